/** Waits `ms`, or less when `signal` aborts first (then resolves, never rejects). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

export interface PollOptions {
  timeoutMs: number;
  /** First pause between probes; default 250 ms. */
  intervalMs?: number;
  /** Pauses double up to this; default: they stay at intervalMs. */
  maxIntervalMs?: number;
  /** Injected so tests need not wait in real time. */
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

/**
 * Probes until it returns a value; `undefined` means not yet. Resolves with the value, or with
 * `{ timedOut: true }` once the deadline has passed (the caller says what timed out).
 */
export async function pollUntil<T>(probe: () => Promise<T | undefined>, opts: PollOptions): Promise<{ value: T } | { timedOut: true }> {
  const now = opts.now ?? Date.now;
  const pause = opts.sleep ?? ((ms: number) => sleep(ms));
  const deadline = now() + opts.timeoutMs;
  let delay = opts.intervalMs ?? 250;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return { value };
    if (now() >= deadline) return { timedOut: true };
    await pause(delay);
    delay = Math.min(delay * 2, opts.maxIntervalMs ?? delay);
  }
}

/** Waits for `work`, or `ms`, whichever is first (rejects when `work` rejects first). */
export async function within(work: Promise<unknown>, ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  try {
    await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}
