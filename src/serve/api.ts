import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ApiError } from './errors.js';
import { decodeSegment, parseTarget, refusal, type Guard } from './guard.js';
import type { RegistrySource } from './source.js';
import { endpointsView, servicesView, type EndpointsQuery } from './views.js';

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body, null, 2) + '\n';
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': String(Buffer.byteLength(text)), 'cache-control': 'no-store', 'x-content-type-options': 'nosniff', ...headers });
  res.end(text);
}

const fail = (res: ServerResponse, status: number, error: ApiError, headers?: Record<string, string>) => send(res, status, { error }, headers);

export interface EventStreamLimits {
  /** Open event streams at most; more are answered 503. Default 100. */
  maxStreams?: number;
  /** A stream whose unsent data passes this many bytes (a client that does not read) is dropped. Default 64 KiB. */
  maxBufferedBytes?: number;
  /** Keep-alive comment interval; default 15 s. */
  keepAliveMs?: number;
}

/**
 * Server-Sent Events: one `change` event per registry change, with the clusters' states. One
 * listener serves every open stream and builds each event's data once, however many read it.
 */
function eventStreams(source: RegistrySource, limits: Required<EventStreamLimits>) {
  const open = new Map<ServerResponse, { seq: number }>();
  let off: (() => void) | undefined;
  const data = () => {
    const r = source.registry();
    return JSON.stringify({ at: new Date().toISOString(), clusters: source.clusters(), services: r.services.length, endpoints: r.services.reduce((n, s) => n + s.endpoints.length, 0) });
  };
  const write = (res: ServerResponse, chunk: string) => {
    // A reader that does not keep up would make us hold every event for it: drop it instead.
    if (res.writableLength > limits.maxBufferedBytes) return void res.destroy();
    res.write(chunk);
  };
  // `seq` first in the data, as before: {"seq":N,"at":...}.
  const event = (stream: { seq: number }, json: string) => `id: ${++stream.seq}\nevent: change\ndata: {"seq":${stream.seq},${json.slice(1)}\n\n`;
  const pushAll = () => {
    let json: string;
    try {
      json = data();
    } catch {
      return; // the next change tries again; no stream is harmed
    }
    for (const [res, stream] of open) write(res, event(stream, json));
  };
  // A comment line now and then keeps proxies from closing an idle stream.
  const keepAlive = () => {
    for (const res of open.keys()) write(res, ': keep-alive\n\n');
  };
  let timer: ReturnType<typeof setInterval> | undefined;

  return (_req: IncomingMessage, res: ServerResponse): void => {
    if (open.size >= limits.maxStreams) {
      return fail(res, 503, { code: 'MF9509', message: `${limits.maxStreams} event streams are open already`, hint: 'close an idle one, or retry later' }, { 'retry-after': '5' });
    }
    const stream = { seq: 0 };
    const first = data(); // may throw: answered 500 by the handler's guard, nothing registered yet
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff', connection: 'keep-alive' });
    open.set(res, stream);
    off ??= source.onChange(pushAll);
    if (!timer) {
      timer = setInterval(keepAlive, limits.keepAliveMs);
      timer.unref();
    }
    write(res, event(stream, first)); // the state now, so a client needs no separate first request
    res.on('close', () => {
      open.delete(res);
      if (open.size === 0) {
        off?.();
        off = undefined;
        clearInterval(timer);
        timer = undefined;
      }
    });
  };
}

const ROUTES = 'routes: /api/v1/clusters, /api/v1/services, /api/v1/services/<hostname>/endpoints[?network=N|?cluster=C], /api/v1/events (SSE)';
const badTarget = (what: string): ApiError => ({ code: 'MF9505', message: `malformed request: ${what}`, hint: `${ROUTES}; escape reserved characters as %XX (UTF-8)` });

/**
 * The HTTP API over a registry source. Read-only; nothing it returns holds a secret. Every
 * request is checked by `guard` first (Host, token, method, no body); whatever a request holds,
 * it is answered with JSON, and a handler's fault answers 500 without ending the process.
 */
export function apiHandler(source: RegistrySource, guard: Guard, limits: EventStreamLimits = {}): (req: IncomingMessage, res: ServerResponse) => void {
  const events = eventStreams(source, { maxStreams: 100, maxBufferedBytes: 64 * 1024, keepAliveMs: 15_000, ...limits });
  const route = (req: IncomingMessage, res: ServerResponse): void => {
    const refused = refusal(req, guard);
    if (refused) return fail(res, refused.status, refused.error, refused.headers);
    const target = parseTarget(req.url);
    if (!target) return fail(res, 400, badTarget('the target must be a path (/api/v1/...)'));
    const path = target.path.replace(/\/+$/, '');
    if (path === '/api/v1/clusters') return send(res, 200, { clusters: source.clusters() });
    if (path === '/api/v1/services') return send(res, 200, { services: servicesView(source.registry()) });
    if (path === '/api/v1/events') return events(req, res);
    const m = /^\/api\/v1\/services\/([^/]+)\/endpoints$/.exec(path);
    if (m) {
      const hostname = decodeSegment(m[1]!);
      if (hostname === undefined) return fail(res, 400, badTarget('the hostname has a bad %-escape'));
      const q: EndpointsQuery = {};
      const network = target.query.get('network');
      const cluster = target.query.get('cluster');
      if (network !== null) q.network = network;
      if (cluster !== null) q.cluster = cluster;
      const v = endpointsView(source.registry(), hostname, q);
      return v.ok ? send(res, 200, v.body) : fail(res, v.status, v.error);
    }
    return fail(res, 404, { code: 'MF9501', message: `no route ${JSON.stringify(target.path.slice(0, 200))}`, hint: ROUTES });
  };
  return (req, res) => {
    try {
      route(req, res);
    } catch {
      if (res.headersSent) res.destroy();
      else fail(res, 500, { code: 'MF9510', message: 'the API failed to answer this request', hint: 'a bug in meshfed: report it with the request; the server keeps serving' });
    }
  };
}
