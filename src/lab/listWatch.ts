import { KubeError, listWatchSource, reflect, type KubeClients, type WatchEvent } from '../kube/index.js';

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

/**
 * Runs until `signal` aborts: src/kube's reflector (list, hand the list over, watch from its
 * resourceVersion; after an error back off and start over with a fresh list), logging each
 * error. The lab's controllers (load balancer, pod runner) all follow a cluster this way.
 */
export async function runListWatch<T>(opts: ListWatchOptions<T>): Promise<void> {
  const sleep = opts.sleep;
  await reflect(
    listWatchSource<T>(opts.clients),
    opts.path,
    {
      onList: (list) => opts.onList(list.items),
      onEvent: (ev) => opts.onEvent(ev),
      onError: (e, retryInMs) => {
        const reason = e instanceof KubeError ? `${e.reason}: ${e.message}` : (e as Error).message;
        opts.log(`${opts.cluster}: re-listing in ${retryInMs} ms after ${reason}`);
      },
    },
    opts.signal,
    { ...(sleep ? { sleep: (ms: number) => sleep(ms) } : {}), ...(opts.maxBackoffMs !== undefined ? { maxBackoffMs: opts.maxBackoffMs } : {}) },
  );
}
