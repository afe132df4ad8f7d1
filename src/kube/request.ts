import { request as httpsRequest, type RequestOptions } from 'node:https';
import type { KubeClients } from './client.js';
import { toKubeError } from './errors.js';

export interface RawResponse {
  status: number;
  body: string;
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
