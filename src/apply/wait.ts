import type { Clock } from './context.js';
import { ApplyError } from './errors.js';

/** Polls `probe` until it returns a value or the deadline passes, backing off up to 2 s. */
export async function waitFor<T>(
  clock: Clock,
  probe: () => Promise<T | undefined>,
  opts: { timeoutMs: number; intervalMs?: number; what: string | (() => string); cluster: string; hint: string },
): Promise<T> {
  const deadline = clock.now() + opts.timeoutMs;
  let delay = opts.intervalMs ?? 250;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (clock.now() > deadline) throw new ApplyError({ code: 'MF8002', message: `${opts.cluster}: gave up waiting for ${typeof opts.what === 'function' ? opts.what() : opts.what} after ${Math.round(opts.timeoutMs / 1000)} s`, hint: opts.hint, cluster: opts.cluster, reason: 'timeout' });
    await clock.sleep(delay);
    delay = Math.min(delay * 2, 2000);
  }
}
