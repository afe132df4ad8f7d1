import { request as httpsRequest, type RequestOptions } from 'node:https';
import type { KubeClients } from './client.js';
import { toKubeError } from './errors.js';

export interface RawResponse {
  status: number;
  body: string;
}

/**
 * One request with the context's credentials and a JSON body; a status of 400 or more is a
 * KubeError of that status (the server's Status message kept). For what client-node's object
 * API cannot do, such as server-side apply of a status subresource.
 */
export async function rawRequest(
  clients: KubeClients,
  method: 'PATCH' | 'PUT' | 'POST',
  path: string,
  body: unknown,
  opts: { contentType: string; timeoutMs?: number },
): Promise<RawResponse> {
  const url = new URL(path, clients.server);
  const data = JSON.stringify(body);
  const options: RequestOptions = { method, timeout: opts.timeoutMs ?? 15_000, headers: { 'Content-Type': opts.contentType, Accept: 'application/json', 'Content-Length': Buffer.byteLength(data) } };
  let res: RawResponse;
  try {
    await clients.config.applyToHTTPSOptions(options);
    res = await new Promise<RawResponse>((resolve, reject) => {
      const req = httpsRequest(url, options, (r) => {
        const chunks: Buffer[] = [];
        r.on('data', (c: Buffer) => chunks.push(c));
        r.on('end', () => resolve({ status: r.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        r.on('error', reject);
      });
      req.on('timeout', () => req.destroy(Object.assign(new Error('request timed out'), { code: 'ETIMEDOUT' })));
      req.on('error', reject);
      req.end(data);
    });
  } catch (e) {
    throw toKubeError(e, { cluster: clients.context, resource: url.pathname });
  }
  // toKubeError reads the status and the server's Status message from this shape.
  if (res.status >= 400) throw toKubeError({ code: res.status, body: res.body }, { cluster: clients.context, resource: url.pathname });
  return res;
}

/**
 * A plain GET with the context's credentials. client-node's own health helper hides the
 * socket error (refused vs. timed out), which is exactly what callers need to tell apart.
 */
export async function rawGet(clients: KubeClients, path: string, opts: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<RawResponse> {
  const url = new URL(path, clients.server);
  // `timeout` is the socket's idle time; `signal` (node:https destroys the request on abort) ends it at once.
  const options: RequestOptions = { method: 'GET', timeout: opts.timeoutMs ?? 5_000, ...(opts.signal ? { signal: opts.signal } : {}) };
  try {
    await clients.config.applyToHTTPSOptions(options);
    return await new Promise<RawResponse>((resolve, reject) => {
      const req = httpsRequest(url, options, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(Object.assign(new Error('request timed out'), { code: 'ETIMEDOUT' })));
      req.on('error', reject);
      req.end();
    });
  } catch (e) {
    throw toKubeError(e, { cluster: clients.context, resource: url.pathname });
  }
}
