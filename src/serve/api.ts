import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ApiError } from './errors.js';
import type { RegistrySource } from './source.js';
import { endpointsView, servicesView, type EndpointsQuery } from './views.js';

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body, null, 2) + '\n';
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(text);
}

const fail = (res: ServerResponse, status: number, error: ApiError) => send(res, status, { error });

/** Server-Sent Events: one `change` event per registry change, with the clusters' states. */
function events(source: RegistrySource, req: IncomingMessage, res: ServerResponse): void {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
  let seq = 0;
  const push = () => {
    const r = source.registry();
    const data = { seq: ++seq, at: new Date().toISOString(), clusters: source.clusters(), services: r.services.length, endpoints: r.services.reduce((n, s) => n + s.endpoints.length, 0) };
    res.write(`id: ${seq}\nevent: change\ndata: ${JSON.stringify(data)}\n\n`);
  };
  push(); // the state now, so a client needs no separate first request
  const off = source.onChange(push);
  // A comment line now and then keeps proxies from closing an idle stream.
  const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), 15_000);
  keepAlive.unref();
  req.on('close', () => {
    off();
    clearInterval(keepAlive);
  });
}

/** The HTTP API over a registry source. Read-only; nothing it returns holds a secret. */
export function apiHandler(source: RegistrySource): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (req.method !== 'GET') return fail(res, 405, { code: 'MF9504', message: `${req.method} ${url.pathname}: the API is read-only`, hint: 'use GET' });
    const path = url.pathname.replace(/\/+$/, '');
    if (path === '/api/v1/clusters') return send(res, 200, { clusters: source.clusters() });
    if (path === '/api/v1/services') return send(res, 200, { services: servicesView(source.registry()) });
    if (path === '/api/v1/events') return events(source, req, res);
    const m = /^\/api\/v1\/services\/([^/]+)\/endpoints$/.exec(path);
    if (m) {
      const q: EndpointsQuery = {};
      const network = url.searchParams.get('network');
      const cluster = url.searchParams.get('cluster');
      if (network !== null) q.network = network;
      if (cluster !== null) q.cluster = cluster;
      const v = endpointsView(source.registry(), decodeURIComponent(m[1]!), q);
      return v.ok ? send(res, 200, v.body) : fail(res, v.status, v.error);
    }
    return fail(res, 404, {
      code: 'MF9501',
      message: `no route ${url.pathname}`,
      hint: 'routes: /api/v1/clusters, /api/v1/services, /api/v1/services/<hostname>/endpoints[?network=N|?cluster=C], /api/v1/events (SSE)',
    });
  };
}
