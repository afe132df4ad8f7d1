import { pollUntil } from '../kube/index.js';
import type { Clock } from './context.js';
import { ApplyError } from './errors.js';

/** Polls `probe` until it returns a value or the deadline passes, backing off up to 2 s. */
export async function waitFor<T>(
  clock: Clock,
  probe: () => Promise<T | undefined>,
  opts: { timeoutMs: number; intervalMs?: number; what: string | (() => string); cluster: string; hint: string },
): Promise<T> {
  const r = await pollUntil(probe, { timeoutMs: opts.timeoutMs, intervalMs: opts.intervalMs ?? 250, maxIntervalMs: 2000, now: () => clock.now(), sleep: (ms) => clock.sleep(ms) });
  if ('value' in r) return r.value;
  throw new ApplyError({ code: 'MF8002', message: `${opts.cluster}: gave up waiting for ${typeof opts.what === 'function' ? opts.what() : opts.what} after ${Math.round(opts.timeoutMs / 1000)} s`, hint: opts.hint, cluster: opts.cluster, reason: 'timeout' });
}
