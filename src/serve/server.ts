import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { MeshfedError } from '../errors/index.js';
import { apiHandler, type DashboardOptions, type EventStreamLimits } from './api.js';
import type { ApiError } from './errors.js';
import { allowedHosts, isLoopback, type Guard } from './guard.js';
import { loadDashboard } from './page.js';
import type { RegistrySource } from './source.js';

export interface RunningServer {
  url: string;
  close(): Promise<void>;
}

export interface ServerOptions extends EventStreamLimits, DashboardOptions {
  source: RegistrySource;
  /** Default 127.0.0.1. Any other than loopback needs `token`. */
  host?: string;
  port?: number;
  /** Every request must carry `Authorization: Bearer <token>`. */
  token?: string;
  /** DNS names the Host header may carry besides the bound address (e.g. behind a proxy). */
  allowHosts?: readonly string[];
}

/** Limits on what a client may send: requests are small GETs. */
const LIMITS = { maxHeaderSize: 16 * 1024, headersTimeout: 10_000, requestTimeout: 15_000, keepAliveTimeout: 5_000, maxHeadersCount: 100 };

/** A JSON error written on the raw socket, where node:http hands us no response object. */
function answerRaw(socket: Duplex, status: number, reason: string, error: ApiError): void {
  const body = JSON.stringify({ error }) + '\n';
  if (!socket.writable) return void socket.destroy();
  socket.end(`HTTP/1.1 ${status} ${reason}\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
}

/** What the HTTP parser itself refused (no request object exists). */
function answerParseError(err: Error & { code?: string }, socket: Duplex): void {
  if (err.code === 'HPE_HEADER_OVERFLOW') return answerRaw(socket, 431, 'Request Header Fields Too Large', { code: 'MF9507', message: 'request headers are too large', hint: `at most ${LIMITS.maxHeaderSize / 1024} KiB of headers` });
  answerRaw(socket, 400, 'Bad Request', { code: 'MF9505', message: 'malformed HTTP request', hint: 'send a plain HTTP/1.1 GET' });
}

/** Serves the API on host:port (port 0 picks a free one). Loopback by default: it is an operator's tool. */
export async function startServer(opts: ServerOptions): Promise<RunningServer> {
  const host = opts.host ?? '127.0.0.1';
  if (!isLoopback(host) && !opts.token) {
    throw new MeshfedError({ code: 'MF9511', message: `serve --host ${host}: off loopback the API must ask for a token`, hint: 'give one with --token-file <file> (mode 0600) or MESHFED_SERVE_TOKEN; clients send Authorization: Bearer <token>', resource: '--host' });
  }
  // The allowed Host values are known once the port is; requests cannot arrive before.
  const guard: { allowedHosts: Set<string>; token?: string } = { allowedHosts: new Set(), ...(opts.token ? { token: opts.token } : {}) };
  const server: Server = createServer(
    { maxHeaderSize: LIMITS.maxHeaderSize, headersTimeout: LIMITS.headersTimeout, requestTimeout: LIMITS.requestTimeout, keepAliveTimeout: LIMITS.keepAliveTimeout },
    apiHandler({
      source: opts.source,
      guard: guard satisfies Guard,
      limits: opts,
      dashboard: opts.dashboard ?? (await loadDashboard()),
      ...(opts.plan ? { plan: opts.plan } : {}),
      ...(opts.trust ? { trust: opts.trust } : {}),
      ...(opts.checks ? { checks: opts.checks } : {}),
    }),
  );
  server.maxHeadersCount = LIMITS.maxHeadersCount;
  server.on('clientError', answerParseError);
  // node:http hands CONNECT and Upgrade requests to these events and, with no listener, drops them unanswered.
  server.on('connect', (_req, socket: Duplex) => answerRaw(socket, 405, 'Method Not Allowed', { code: 'MF9504', message: 'CONNECT: the API is read-only and no proxy', hint: 'use GET' }));
  server.on('upgrade', (_req, socket: Duplex) => answerRaw(socket, 400, 'Bad Request', { code: 'MF9505', message: 'the API does not upgrade connections', hint: 'use a plain GET; /api/v1/events streams over HTTP/1.1' }));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  const a = server.address() as AddressInfo;
  guard.allowedHosts = allowedHosts(a.address, a.port, opts.allowHosts);
  return {
    url: `http://${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
