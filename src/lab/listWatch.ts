import { KubeError, listPath, watchPath, type KubeClients, type WatchEvent } from '../kube/index.js';

export interface ListWatchOptions<T> {
  cluster: string;
  clients: KubeClients;
  /** A collection path, e.g. /api/v1/services. */
  path: string;
  signal: AbortSignal;
  log: (line: string) => void;
  /** A fresh list: everything known before is replaced by it. Awaited before the watch starts. */
  onList(items: T[]): Promise<void>;
  onEvent(ev: WatchEvent<T>): void;
  /** Backoff between re-lists after an error; injected for tests. */
  sleep?: (ms: number) => Promise<void>;
  maxBackoffMs?: number;
}

const realSleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(t);
      resolve();
    }, { once: true });
  });

/**
 * Runs until `signal` aborts: list, hand the list over, watch from its resourceVersion; on
 * any error (API server restarted, watch expired) back off and start over with a fresh list,
 * since a watch that ended after an error cannot be trusted to have delivered everything.
 * The lab's controllers (load balancer, pod runner) all follow a cluster this way.
 */
export async function runListWatch<T>(opts: ListWatchOptions<T>): Promise<void> {
  const sleep = opts.sleep ?? ((ms: number) => realSleep(ms, opts.signal));
  const maxBackoff = opts.maxBackoffMs ?? 10_000;
  let backoff = 250;
  while (!opts.signal.aborted) {
    try {
      const list = await listPath<T>(opts.clients, opts.path);
      await opts.onList(list.items);
      backoff = 250;
      let rv = list.resourceVersion;
      while (!opts.signal.aborted) {
        rv = await watchPath<T>(opts.clients, opts.path, rv, (ev) => opts.onEvent(ev), opts.signal);
      }
    } catch (e) {
      if (opts.signal.aborted) break;
      const reason = e instanceof KubeError ? `${e.reason}: ${e.message}` : (e as Error).message;
      opts.log(`${opts.cluster}: re-listing in ${backoff} ms after ${reason}`);
      await sleep(backoff);
      backoff = Math.min(maxBackoff, backoff * 2);
    }
  }
}
