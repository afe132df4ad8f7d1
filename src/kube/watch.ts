import { Watch } from '@kubernetes/client-node';
import type { KubeClients } from './client.js';
import { KubeError, toKubeError } from './errors.js';
import { rawGet } from './request.js';

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK';

export interface WatchEvent<T> {
  type: WatchEventType;
  object: T;
}

export interface ListResult<T> {
  items: T[];
  resourceVersion: string;
}

/** Lists a collection path (e.g. `/api/v1/services`) as plain JSON objects. */
export async function listPath<T>(clients: KubeClients, path: string): Promise<ListResult<T>> {
  const res = await rawGet(clients, path, { timeoutMs: 15_000 });
  if (res.status !== 200) throw toKubeError({ code: res.status, body: res.body }, { cluster: clients.context, resource: path });
  const parsed = JSON.parse(res.body) as { items?: T[]; metadata?: { resourceVersion?: string } };
  return { items: parsed.items ?? [], resourceVersion: parsed.metadata?.resourceVersion ?? '' };
}

/**
 * Watches a collection from `resourceVersion` until the stream ends. Resolves when the server
 * closes it normally (callers re-watch); rejects with a KubeError otherwise, with cause
 * `conflict` when the version is too old (HTTP 410: callers must re-list).
 */
export async function watchPath<T>(
  clients: KubeClients,
  path: string,
  resourceVersion: string,
  onEvent: (event: WatchEvent<T>) => void,
  signal: AbortSignal,
  opts: { timeoutSeconds?: number } = {},
): Promise<string> {
  let latest = resourceVersion;
  const watcher = new Watch(clients.config);
  return new Promise<string>((resolve, reject) => {
    let controller: AbortController | undefined;
    // client-node hands out its controller only once the response headers arrived; a server
    // that hangs before sending them would make the watch unstoppable. End it here at once;
    // the request is aborted when (if ever) its controller arrives.
    const onAbort = () => (controller ? controller.abort() : finish(null));
    signal.addEventListener('abort', onAbort, { once: true });
    let ended = false;
    const finish = (err: unknown) => {
      ended = true;
      signal.removeEventListener('abort', onAbort);
      if (err && !signal.aborted) reject(toKubeError(err, { cluster: clients.context, resource: path }));
      else resolve(latest);
    };
    watcher
      .watch(
        path,
        { resourceVersion, allowWatchBookmarks: true, ...(opts.timeoutSeconds ? { timeoutSeconds: opts.timeoutSeconds } : {}) },
        (type: string, object: unknown) => {
          // A watch ended early (see onAbort) delivers nothing more.
          if (ended) return;
          if (type === 'ERROR') {
            const code = (object as { code?: number }).code ?? 500;
            finish(new KubeError({
              reason: code === 410 ? 'conflict' : 'unknown',
              status: code,
              message: `${clients.context}: watch ${path}: ${(object as { message?: string }).message ?? 'error event'}`,
              hint: 're-list and watch again',
              cluster: clients.context,
              resource: path,
            }));
            controller?.abort();
            return;
          }
          const rv = (object as { metadata?: { resourceVersion?: string } }).metadata?.resourceVersion;
          if (rv) latest = rv;
          if (type === 'ADDED' || type === 'MODIFIED' || type === 'DELETED' || type === 'BOOKMARK') onEvent({ type, object: object as T });
        },
        finish,
      )
      .then((c) => {
        controller = c;
        if (signal.aborted) c.abort();
      }, finish);
  });
}
