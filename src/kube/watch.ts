import { request as httpsRequest, type RequestOptions } from 'node:https';
import { createInterface } from 'node:readline';
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
export async function listPath<T>(clients: KubeClients, path: string, signal?: AbortSignal): Promise<ListResult<T>> {
  const res = await rawGet(clients, path, { timeoutMs: 15_000, ...(signal ? { signal } : {}) });
  if (res.status !== 200) throw toKubeError({ code: res.status, body: res.body }, { cluster: clients.context, resource: path });
  const parsed = JSON.parse(res.body) as { items?: T[]; metadata?: { resourceVersion?: string } };
  return { items: parsed.items ?? [], resourceVersion: parsed.metadata?.resourceVersion ?? '' };
}

/**
 * Watches a collection from `resourceVersion` until the stream ends. Resolves when the server
 * closes it normally (callers re-watch) or `signal` aborts; rejects with a KubeError otherwise,
 * with cause `conflict` when the version is too old (HTTP 410: callers must re-list).
 *
 * Spoken over node:https like rawGet, not client-node's Watch: that one hands out its abort
 * controller only once response headers arrived, so a server that accepts a watch and never
 * answers held the socket (and the process) open for ever. Here an abort destroys the request
 * at any stage.
 */
export async function watchPath<T>(
  clients: KubeClients,
  path: string,
  resourceVersion: string,
  onEvent: (event: WatchEvent<T>) => void,
  signal: AbortSignal,
  opts: { timeoutSeconds?: number } = {},
): Promise<string> {
  const where = { cluster: clients.context, resource: path };
  const url = new URL(path, clients.server);
  url.searchParams.set('watch', 'true');
  url.searchParams.set('resourceVersion', resourceVersion);
  url.searchParams.set('allowWatchBookmarks', 'true');
  if (opts.timeoutSeconds) url.searchParams.set('timeoutSeconds', String(opts.timeoutSeconds));
  const options: RequestOptions = { method: 'GET' };
  try {
    await clients.config.applyToHTTPSOptions(options);
  } catch (e) {
    throw toKubeError(e, where);
  }
  let latest = resourceVersion;
  if (signal.aborted) return latest;
  return new Promise<string>((resolve, reject) => {
    let ended = false;
    const finish = (err: unknown) => {
      if (ended) return;
      ended = true;
      signal.removeEventListener('abort', onAbort);
      req.destroy();
      if (err && !signal.aborted) reject(toKubeError(err, where));
      else resolve(latest);
    };
    const onAbort = () => finish(null);
    signal.addEventListener('abort', onAbort, { once: true });
    const req = httpsRequest(url, options, (res) => {
      if (res.statusCode !== 200) {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.length < 64 && chunks.push(c));
        res.on('end', () => finish(Object.assign(new Error(`HTTP ${res.statusCode ?? 0}`), { code: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') })));
        res.on('error', finish);
        return;
      }
      const lines = createInterface({ input: res, crlfDelay: Infinity });
      lines.on('line', (line) => {
        // A watch ended early delivers nothing more.
        if (ended || line.trim() === '') return;
        let event: { type?: string; object?: unknown };
        try {
          event = JSON.parse(line) as { type?: string; object?: unknown };
        } catch {
          return finish(new KubeError({ reason: 'unknown', message: `${clients.context}: watch ${path}: the server sent a line that is not JSON`, hint: 're-list and watch again', ...where }));
        }
        const { type, object } = event;
        if (type === 'ERROR') {
          const code = (object as { code?: number } | undefined)?.code ?? 500;
          return finish(new KubeError({
            reason: code === 410 ? 'conflict' : 'unknown',
            status: code,
            message: `${clients.context}: watch ${path}: ${(object as { message?: string } | undefined)?.message ?? 'error event'}`,
            hint: 're-list and watch again',
            ...where,
          }));
        }
        const rv = (object as { metadata?: { resourceVersion?: string } } | undefined)?.metadata?.resourceVersion;
        if (rv) latest = rv;
        if (type === 'ADDED' || type === 'MODIFIED' || type === 'DELETED' || type === 'BOOKMARK') onEvent({ type, object: object as T });
      });
      // readline re-emits its input's errors (a destroyed response: `aborted`) on itself.
      lines.on('error', finish);
      res.on('error', finish);
      // The server ends a watch normally at timeoutSeconds, or by closing: callers watch again.
      res.on('close', () => finish(null));
    });
    // Long-lived and often quiet: let TCP notice a peer that vanished.
    req.on('socket', (socket) => socket.setKeepAlive(true, 30_000));
    req.on('error', finish);
    req.end();
  });
}
