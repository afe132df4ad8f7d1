import type { IncomingMessage, ServerResponse } from 'node:http';
import FindMyWay from 'find-my-way';
import type { Plan } from '../plan/index.js';
import type { TrustSummary } from '../pki/index.js';
import { checksView, type ChecksSource } from './checks.js';
import type { ApiError } from './errors.js';
import { decodeSegment, parseTarget, refusal, type Guard } from './guard.js';
import { DASHBOARD_FILES, PAGE_SECURITY_HEADERS, type DashboardAssets, type DashboardFile } from './page.js';
import type { RegistrySource } from './source.js';
import { topologyView } from './topology.js';
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

const ROUTES = 'routes: /api/v1/clusters, /api/v1/services, /api/v1/services/<hostname>/endpoints[?network=N|?cluster=C], /api/v1/events (SSE), /api/v1/topology, /api/v1/trust, /api/v1/checks, /api/v1/checks/doctor, /api/v1/checks/verify; the dashboard at /';
const badTarget = (what: string): ApiError => ({ code: 'MF9505', message: `malformed request: ${what}`, hint: `${ROUTES}; escape reserved characters as %XX (UTF-8)` });

/** What the dashboard shows beside the registry; each part optional (the API answers without them). */
export interface DashboardOptions {
  /** The mesh's plan: clusters, networks, control planes, remote secrets, gateways. */
  plan?: Plan;
  /** The trust folder's certificates (summarizeTrust); never a key. */
  trust?: () => Promise<TrustSummary>;
  /** doctor / verify results once those commands record them. */
  checks?: ChecksSource;
  /** The built page (loadDashboard). */
  dashboard?: DashboardAssets;
}

export interface ApiOptions extends DashboardOptions {
  source: RegistrySource;
  guard: Guard;
  limits?: EventStreamLimits;
}

type Handler = (req: IncomingMessage, res: ServerResponse, params: Record<string, string | undefined>, query: URLSearchParams) => void | Promise<void>;

/**
 * The HTTP API over a registry source, and the dashboard page beside it, routed by
 * find-my-way. Read-only; nothing it returns holds a secret. Every request is checked by
 * `guard` first (Host, token, method, no body); whatever a request holds, it is answered with
 * JSON (the page's own files aside), and a handler's fault answers 500 without ending the process.
 */
export function apiHandler(opts: ApiOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const { source, guard } = opts;
  const events = eventStreams(source, { maxStreams: 100, maxBufferedBytes: 64 * 1024, keepAliveMs: 15_000, ...opts.limits });
  const router = FindMyWay<FindMyWay.HTTPVersion.V1>({ ignoreTrailingSlash: true });
  const get = (path: string, handler: Handler) => router.on('GET', path, handler as unknown as FindMyWay.Handler<FindMyWay.HTTPVersion.V1>);

  get('/api/v1/clusters', (_q, res) => send(res, 200, { clusters: source.clusters() }));
  get('/api/v1/services', (_q, res) => send(res, 200, { services: servicesView(source.registry(), source.scopes?.()) }));
  get('/api/v1/events', (req, res) => events(req, res));
  get('/api/v1/services/:hostname/endpoints', (_q, res, params, query) => {
    const q: EndpointsQuery = {};
    const network = query.get('network');
    const cluster = query.get('cluster');
    if (network !== null) q.network = network;
    if (cluster !== null) q.cluster = cluster;
    const v = endpointsView(source.registry(), params['hostname'] ?? '', q);
    return v.ok ? send(res, 200, v.body) : fail(res, v.status, v.error);
  });
  get('/api/v1/topology', (_q, res) => {
    if (!opts.plan) return fail(res, 404, { code: 'MF9501', message: 'this server was started without a mesh plan', hint: 'meshfed serve -f mesh.yaml serves the topology' });
    send(res, 200, topologyView(opts.plan, source.clusters(), source.registry()));
  });
  get('/api/v1/trust', async (_q, res) => {
    if (!opts.trust) return fail(res, 404, { code: 'MF9501', message: 'this server was started without a trust folder', hint: 'meshfed serve -f mesh.yaml reads the trust folder of the mesh file' });
    send(res, 200, await opts.trust());
  });
  get('/api/v1/checks', (_q, res) => send(res, 200, checksView(opts.checks)));
  // Each check's latest result on its own (`serve --doctor-every`, `--verify-every`).
  get('/api/v1/checks/doctor', (_q, res) => send(res, 200, checksView(opts.checks).doctor));
  get('/api/v1/checks/verify', (_q, res) => send(res, 200, checksView(opts.checks).verify));

  // The page: one document for every deep link, which the script routes by its path.
  const file = (name: DashboardFile): Handler => (_q, res) => {
    const body = opts.dashboard?.files?.[name];
    if (!body) return fail(res, 503, { code: 'MF9512', message: `the dashboard is not built (${opts.dashboard?.dir ?? 'no dashboard folder'} has no ${name})`, hint: 'run `npm run build` (npm ci does it), then restart meshfed serve; the API under /api/v1/ works without it' });
    res.writeHead(200, { 'content-type': DASHBOARD_FILES[name], 'content-length': String(body.length), ...PAGE_SECURITY_HEADERS });
    res.end(body);
  };
  for (const path of ['/', '/topology', '/services', '/trust', '/checks', '/clusters/:name', '/services/:hostname']) get(path, file('index.html'));
  get('/assets/app.js', file('app.js'));
  get('/assets/app.css', file('app.css'));

  const route = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const refused = refusal(req, guard);
    if (refused) return fail(res, refused.status, refused.error, refused.headers);
    const target = parseTarget(req.url);
    if (!target) return fail(res, 400, badTarget('the target must be a path (/api/v1/...)'));
    // find-my-way answers a bad %-escape as "no route"; it is a malformed request.
    if (target.path.split('/').some((seg) => decodeSegment(seg) === undefined)) return fail(res, 400, badTarget('the path has a bad %-escape'));
    const found = router.find('GET', target.path);
    if (!found) return fail(res, 404, { code: 'MF9501', message: `no route ${JSON.stringify(target.path.slice(0, 200))}`, hint: ROUTES });
    await (found.handler as unknown as Handler)(req, res, found.params, target.query);
  };
  const failed = (res: ServerResponse) => {
    if (res.headersSent) res.destroy();
    else fail(res, 500, { code: 'MF9510', message: 'the API failed to answer this request', hint: 'a bug in meshfed: report it with the request; the server keeps serving' });
  };
  return (req, res) => {
    route(req, res).catch(() => failed(res));
  };
}
