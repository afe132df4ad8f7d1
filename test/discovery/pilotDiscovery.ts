/**
 * istiod's own `pilot-discovery` (built by the lab) run as a child process outside any
 * cluster, against a lab cluster's kubeconfig: the reference our discovery engine is compared
 * with. It reads the mesh config from the `istio` ConfigMap and finds remote clusters through
 * the `istio/multiCluster=true` secrets of its own cluster's istio-system, as istiod does.
 *
 * Only one listener is bound, on the loopback address it is given: the plain HTTP port
 * (readiness, debug handlers, webhooks and gRPC multiplexed on it), on a port the kernel
 * picks; ControlZ also gets a kernel-picked port on that address. The CA, the TLS ports, the
 * webhook caBundle patchers and analysis are off (no istio-ca-secret, no webhook patches);
 * it still joins leader election and may run its namespace controller.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';

export interface PilotDiscoveryOptions {
  binary: string;
  /** A kubeconfig file; `context` picks the cluster istiod runs in. */
  kubeconfig: string;
  context: string;
  clusterId: string;
  /** A loopback address this test owns, e.g. 127.0.13.10. */
  host: string;
  namespace?: string;
  domain?: string;
  /** More environment (feature flags); nothing is inherited from this process but PATH. */
  env?: Record<string, string>;
  readyTimeoutMs?: number;
}

export interface PilotDiscovery {
  /** http://host:port of its HTTP server (debug handlers, /ready). */
  url: string;
  pid: number;
  /** Its log so far (the last 4 MB). */
  logs(): string;
  /** GET a debug path (e.g. /debug/registryz) as JSON. */
  debug<T>(path: string): Promise<T>;
  /** SIGTERM to its process group, SIGKILL after a grace period; removes its work folder. */
  stop(): Promise<void>;
}

/** The one context of `kubeconfig` named `context`, with its cluster and user, as current. */
export async function oneContextKubeconfig(kubeconfig: string, context: string): Promise<string> {
  const kc = parse(await readFile(kubeconfig, 'utf8')) as {
    contexts: { name: string; context: { cluster: string; user: string } }[];
    clusters: { name: string }[];
    users: { name: string }[];
  };
  const ctx = kc.contexts.find((c) => c.name === context);
  if (!ctx) throw new Error(`no context ${context} in ${kubeconfig}`);
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    preferences: {},
    'current-context': context,
    contexts: [ctx],
    clusters: kc.clusters.filter((c) => c.name === ctx.context.cluster),
    users: kc.users.filter((u) => u.name === ctx.context.user),
  });
}

const MAX_LOG = 4 * 1024 * 1024;

export async function startPilotDiscovery(opts: PilotDiscoveryOptions): Promise<PilotDiscovery> {
  // An empty working folder: no ./etc/istio/config/mesh (so the `istio` ConfigMap is read),
  // no ./etc/cacerts, no ./var/run/secrets.
  const dir = await mkdtemp(join(tmpdir(), 'meshfed-pilot-discovery-'));
  const kubeconfig = join(dir, 'kubeconfig');
  await writeFile(kubeconfig, await oneContextKubeconfig(opts.kubeconfig, opts.context), { mode: 0o600 });
  const namespace = opts.namespace ?? 'istio-system';
  const env: Record<string, string> = {
    PATH: process.env['PATH'] ?? '/usr/bin:/bin',
    HOME: dir,
    POD_NAMESPACE: namespace,
    POD_NAME: 'pilot-discovery-conformance',
    SERVICE_ACCOUNT: 'istiod',
    REVISION: 'default',
    CLUSTER_ID: opts.clusterId,
    // No CA (no istio-ca-secret written, no istio-ca-root-cert ConfigMaps), no webhook
    // caBundle patching, no analysis: istiod only reads, as a registry.
    ENABLE_CA_SERVER: 'false',
    INJECTION_WEBHOOK_CONFIG_NAME: '',
    VALIDATION_WEBHOOK_CONFIG_NAME: '',
    PILOT_ENABLE_ANALYSIS: 'false',
    ...opts.env,
  };
  const args = [
    'discovery',
    '--kubeconfig', kubeconfig,
    '--clusterID', opts.clusterId,
    '--namespace', namespace,
    '--domain', opts.domain ?? 'cluster.local',
    `--httpAddr=${opts.host}:0`,
    // Empty addresses multiplex gRPC, the monitoring/debug server and the webhooks on httpAddr
    // and turn off the TLS gRPC port.
    '--grpcAddr=',
    '--secureGRPCAddr=',
    '--httpsAddr=',
    '--monitoringAddr=',
    '--ctrlz_address', opts.host,
    '--ctrlz_port', '0',
    '--shutdownDuration', '1s',
    '--log_output_level', 'default:info',
  ];
  const child = spawn(opts.binary, args, { cwd: dir, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  const append = (b: Buffer) => {
    log += b.toString('utf8');
    if (log.length > MAX_LOG) log = log.slice(log.length - MAX_LOG);
  };
  child.stdout!.on('data', append);
  child.stderr!.on('data', append);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let done = false;
  void exited.then(() => void (done = true));
  const pid = child.pid;
  if (pid === undefined) throw new Error(`could not start ${opts.binary}`);

  const stop = async () => {
    await killGroup(child, pid, exited, () => done);
    await rm(dir, { recursive: true, force: true });
  };

  try {
    const base = await waitReady(() => log, () => done, opts.readyTimeoutMs ?? 60_000);
    return {
      url: base,
      pid,
      logs: () => log,
      debug: async <T>(path: string): Promise<T> => {
        const res = await fetch(`${base}${path}`, { signal: AbortSignal.timeout(10_000) });
        if (!res.ok) throw new Error(`GET ${path}: ${res.status} ${await res.text()}`);
        return (await res.json()) as T;
      },
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}

/** The HTTP server's URL, once it has logged its address and /ready answers 200. */
async function waitReady(log: () => string, exited: () => boolean, timeoutMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let url: string | undefined;
  for (;;) {
    if (exited()) throw new Error(`pilot-discovery exited early:\n${tail(log())}`);
    if (Date.now() > deadline) throw new Error(`pilot-discovery not ready in time:\n${tail(log())}`);
    if (!url) {
      const m = /starting HTTP service at (\S+)/.exec(log());
      if (m) url = `http://${m[1]}`;
    }
    if (url && (await status(`${url}/ready`)) === 200) return url;
    await sleep(250);
  }
}

async function killGroup(child: ChildProcess, pid: number, exited: Promise<unknown>, done: () => boolean): Promise<void> {
  const signal = (s: NodeJS.Signals) => {
    try {
      process.kill(-pid, s);
    } catch {
      // The group is gone.
    }
  };
  if (!done()) {
    signal('SIGTERM');
    const timer = setTimeout(() => signal('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  }
  // Anything left in its group (it starts no children, but be sure).
  signal('SIGKILL');
  child.stdout?.destroy();
  child.stderr?.destroy();
}

/** True while any process of the group `pid` is alive. */
export function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function status(url: string): Promise<number> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
    await res.arrayBuffer();
    return res.status;
  } catch {
    return 0;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const tail = (s: string) => s.split('\n').slice(-40).join('\n');

/** `/debug/endpointShardz`: hostname → namespace → shards keyed `<provider>/<cluster>`. */
export type EndpointShardz = Record<string, Record<string, { Shards: Record<string, IstioEndpoint[] | null> }>>;

/** The fields of model.IstioEndpoint the comparison reads. */
export interface IstioEndpoint {
  Labels: Record<string, string> | null;
  Addresses: string[];
  ServicePortName: string;
  Network: string;
  Locality: { Label: string; ClusterID: string };
  EndpointPort: number;
  TLSMode: string;
  Namespace: string;
  /** 1 healthy, 2 unhealthy, 3 draining, 4 terminating. */
  HealthStatus: number;
}

/** One entry of `/debug/registryz` (model.Service), the fields the comparison reads. */
export interface RegistryzService {
  hostname: string;
  Attributes: { Name: string; Namespace: string; ServiceRegistry: string; Type: string };
  ports: { name: string; port: number; protocol: string }[] | null;
  clusterVIPs: { Addresses: Record<string, string[]> | null };
}

/** `/debug/clusterz`. */
export interface ClusterzEntry {
  id: string;
  secretName: string;
  syncStatus: string;
}

/** `/debug/networkz` (model.NetworkGateway). */
export interface NetworkzGateway {
  Network: string;
  Cluster: string;
  Addr: string;
  Port: number;
  HBONEPort: number;
}

/** An endpoint as both sides can state it: one row per (endpoint, service port). */
export interface EndpointRow {
  cluster: string;
  network: string;
  address: string;
  portName: string;
  port: number;
  tlsMode: string;
  health: string;
}

const HEALTH: Record<number, string> = { 1: 'healthy', 2: 'unhealthy', 3: 'draining', 4: 'terminating' };

/** pilot-discovery's endpoints of a hostname, from `/debug/endpointShardz`, sorted. */
export function istiodEndpointRows(shardz: EndpointShardz, hostname: string): EndpointRow[] {
  const rows: EndpointRow[] = [];
  for (const byNamespace of Object.values(shardz[hostname] ?? {})) {
    for (const [key, endpoints] of Object.entries(byNamespace.Shards ?? {})) {
      const cluster = key.slice(key.indexOf('/') + 1);
      for (const e of endpoints ?? []) {
        for (const address of e.Addresses ?? []) {
          rows.push({ cluster, network: e.Network, address, portName: e.ServicePortName, port: e.EndpointPort, tlsMode: e.TLSMode, health: HEALTH[e.HealthStatus] ?? String(e.HealthStatus) });
        }
      }
    }
  }
  return sortRows(rows);
}

export function sortRows(rows: EndpointRow[]): EndpointRow[] {
  const key = (r: EndpointRow) => `${r.cluster}\u0000${r.address}\u0000${r.portName}\u0000${r.port}`;
  return rows.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

/**
 * What a proxyless gRPC client in `clusterId` is told by pilot-discovery for `target`
 * (`xds:///<host>:<port>`): Istio's echo client (built by the lab) with a gRPC xDS bootstrap
 * naming it a sidecar of that cluster and namespace, run with gRPC's own logging; the
 * addresses it then dials, one subchannel per endpoint istiod sent in its EDS, are read from
 * that log. It runs in a network namespace of its own holding only a loopback that is down,
 * so its dials fail at once and no packet leaves (lab traffic stays on loopback): it reaches
 * istiod through a unix socket this process forwards to pilot-discovery's port.
 */
export async function grpcClientDials(opts: { echoClient: string; pilot: PilotDiscovery; clusterId: string; namespace: string; target: string; port: number }): Promise<{ dials: string[]; log: string }> {
  const { createServer, connect } = await import('node:net');
  const dir = await mkdtemp(join(tmpdir(), 'meshfed-xds-client-'));
  const sock = join(dir, 'xds.sock');
  const pilot = new URL(opts.pilot.url);
  const forwarder = createServer((c) => {
    const up = connect(Number(pilot.port), pilot.hostname);
    c.pipe(up).pipe(c);
    const end = () => (c.destroy(), up.destroy());
    c.on('error', end);
    up.on('error', end);
  });
  await new Promise<void>((r) => forwarder.listen(sock, r));
  const bootstrap = {
    xds_servers: [{ server_uri: `unix://${sock}`, channel_creds: [{ type: 'insecure' }], server_features: ['xds_v3'] }],
    node: { id: `sidecar~10.255.0.1~conformance-client.${opts.namespace}~${opts.namespace}.svc.cluster.local`, metadata: { GENERATOR: 'grpc', CLUSTER_ID: opts.clusterId, NAMESPACE: opts.namespace, ISTIO_VERSION: '1.31.0' }, locality: {} },
  };
  await writeFile(join(dir, 'bootstrap.json'), JSON.stringify(bootstrap));
  try {
    const child = spawn('unshare', ['--net', opts.echoClient, '--count', '1', '--timeout', '3s', `xds:///${opts.target}`], {
      cwd: dir,
      env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', GRPC_XDS_BOOTSTRAP: join(dir, 'bootstrap.json'), GRPC_GO_LOG_SEVERITY_LEVEL: 'info', GRPC_GO_LOG_VERBOSITY_LEVEL: '2' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let log = '';
    child.stdout.on('data', (d: Buffer) => (log += d.toString()));
    child.stderr.on('data', (d: Buffer) => (log += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    await new Promise((r) => child.once('close', r));
    clearTimeout(timer);
    const dials = [...new Set([...log.matchAll(/\b(\d+\.\d+\.\d+\.\d+):(\d+)\b/g)].filter((m) => Number(m[2]) === opts.port).map((m) => m[1]!))].sort();
    return { dials, log };
  } finally {
    forwarder.close();
    await rm(dir, { recursive: true, force: true });
  }
}
