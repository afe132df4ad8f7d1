import type { KubeClients } from './client.js';
import { KubeError, isKubeError, toKubeError } from './errors.js';
import { pollUntil } from './timing.js';
import { rawGet } from './request.js';

export interface ReadyzResult {
  ready: boolean;
  /** Why not, when not: the failing checks or the connection error. */
  detail?: string;
}

/** One `/readyz` probe; never throws, so status pages can show every cluster. */
export async function readyz(clients: KubeClients, opts: { timeoutMs?: number } = {}): Promise<ReadyzResult> {
  try {
    const res = await rawGet(clients, '/readyz', opts);
    if (res.status === 200) return { ready: true };
    const failed = res.body
      .split('\n')
      .filter((l) => l.startsWith('[-]'))
      .join('; ');
    return { ready: false, detail: failed || `HTTP ${res.status}` };
  } catch (e) {
    return { ready: false, detail: isKubeError(e) ? e.message : String(e) };
  }
}

/**
 * Resolves when the API server answers `/readyz` at all, whatever the status: it is alive and
 * serving connections. Rejects with the KubeError (unreachable, timeout) otherwise. A watcher
 * whose watches went quiet asks this to tell a quiet cluster from a hung API server.
 */
export async function pingApiServer(clients: KubeClients, timeoutMs: number): Promise<void> {
  await rawGet(clients, '/readyz', { timeoutMs });
}

export interface WaitOptions {
  timeoutMs: number;
  intervalMs?: number;
  signal?: AbortSignal;
  /** Injected so tests need not wait in real time. */
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

/** Polls `/readyz` until the server is ready; a KubeError with cause `timeout` otherwise. */
export async function waitForReadyz(clients: KubeClients, opts: WaitOptions): Promise<void> {
  const now = opts.now ?? Date.now;
  const deadline = now() + opts.timeoutMs;
  let last: ReadyzResult = { ready: false };
  const done = await pollUntil(
    async () => {
      if (opts.signal?.aborted) throw toKubeError(opts.signal.reason, { cluster: clients.context, resource: '/readyz' });
      last = await readyz(clients, { timeoutMs: Math.min(5_000, Math.max(500, deadline - now())) });
      return last.ready ? true : undefined;
    },
    { timeoutMs: opts.timeoutMs, intervalMs: opts.intervalMs ?? 250, now, ...(opts.sleep ? { sleep: opts.sleep } : {}) },
  );
  if ('value' in done) return;
  throw new KubeError({
    reason: 'timeout',
    message: `${clients.context}: API server not ready after ${Math.round(opts.timeoutMs / 1000)} s (${last.detail ?? 'no answer'})`,
    hint: 'check the API server log; it may still be starting or cannot reach etcd',
    cluster: clients.context,
    resource: '/readyz',
  });
}
