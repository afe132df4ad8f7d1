import { ApplyError } from './errors.js';

/** Polls `probe` until it returns a value or the deadline passes. */
export async function waitFor<T>(
  probe: () => Promise<T | undefined>,
  opts: { timeoutMs: number; intervalMs?: number; what: string | (() => string); cluster: string; hint: string },
): Promise<T> {
  const deadline = Date.now() + opts.timeoutMs;
  let delay = opts.intervalMs ?? 250;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new ApplyError('MF8002', `${opts.cluster}: gave up waiting for ${typeof opts.what === 'function' ? opts.what() : opts.what} after ${Math.round(opts.timeoutMs / 1000)} s`, opts.hint, opts.cluster, 'timeout');
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(delay * 2, 2000);
  }
}
