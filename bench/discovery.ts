/**
 * Discovery figures on a 3-cluster lab holding 3,000 services and 15,000 endpoints (1,000
 * selector-less Services per cluster, each with an EndpointSlice of 5 addresses), for each
 * engine run as its own process and read the same way, over HTTP, polled every 20 ms:
 *   initial sync time (process start → every service of every cluster in its registry),
 *   latency from a pod becoming Ready in cluster01 to its endpoint showing ready (p50, p99
 *   over 200 pods), and memory (RSS after the run).
 * The mesh is applied first (multi-primary, one network per cluster), so both engines find
 * cluster02 and cluster03 the same way: through the remote secrets in cluster01.
 * Engines: meshfed (`meshfed serve --from secrets`) and istiod's own pilot-discovery built by
 * the lab (test/discovery/pilotDiscovery.ts). pilot-discovery shows endpoints only as a dump
 * of every shard (/debug/endpointShardz), so its latency includes that dump; the time one
 * dump takes is printed beside it.
 * Run: node --import tsx bench/discovery.ts   (loopback 127.0.14.x; `npm run build` first)
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { applyObject, kubeClients, listPath, watchPath, type KubeClients, type KubeObject } from '../src/kube/index.js';
import { ensureLabBinaries, labBinaryPaths, labDown, labUp } from '../src/lab/index.js';
import { validateMeshFile } from '../src/topology/index.js';
import { istiodEndpointRows, startPilotDiscovery, type EndpointShardz, type RegistryzService } from '../test/discovery/pilotDiscovery.js';

const CLUSTERS = 3;
const SERVICES_PER_CLUSTER = Number(process.env['SERVICES_PER_CLUSTER'] ?? 1000);
const ENDPOINTS_PER_SERVICE = 5;
const CHANGES = Number(process.env['CHANGES'] ?? 200);
const POLL_MS = 20;
const NS = 'bench';

const meshYaml = `apiVersion: meshfed.io/v1alpha1
kind: Mesh
metadata: { name: bench-discovery }
spec:
  istio: { version: "1.31.0", installer: istioctl }
  trust: { trustDomain: cluster.local, rootDir: ./certs, keyAlgorithm: ecdsa-p256 }
  lab: { nodes: 5 }
  clusters:
${Array.from({ length: CLUSTERS }, (_, j) => j + 1)
  .map((i) => `  - name: cluster0${i}\n    apiServer: https://127.0.14.${i}:6443\n    network: network${i}\n    controlPlane: self\n    podCIDRs: [10.${i}0.0.0/16]\n    serviceCIDRs: [10.${i}1.0.0/16]\n    loadBalancerPool: 172.18.1${i}.0/24`)
  .join('\n')}
`;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const quantile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))] ?? NaN;
function rssMiB(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** Runs `fn` over items, `limit` at a time. */
async function pool<T>(items: T[], limit: number, fn: (t: T) => Promise<unknown>): Promise<void> {
  let i = 0;
  await Promise.all(Array.from({ length: limit }, async () => {
    while (i < items.length) await fn(items[i++]!);
  }));
}

function staticService(c: number, i: number): KubeObject[] {
  const name = `svc-c${c}-${i}`;
  return [
    { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: NS }, spec: { ports: [{ name: 'http', port: 80 }] } },
    {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: `${name}-static`, namespace: NS, labels: { 'kubernetes.io/service-name': name } },
      addressType: 'IPv4',
      ports: [{ name: 'http', port: 80, protocol: 'TCP' }],
      endpoints: Array.from({ length: ENDPOINTS_PER_SERVICE }, (_, e) => ({ addresses: [`10.${c}${Math.floor(i / 200) + 2}.${i % 200}.${e + 1}`], conditions: { ready: true } })),
    },
  ];
}

/** One engine seen from outside: how many services it holds, and whether an endpoint is ready. */
interface Engine {
  name: string;
  process: ChildProcess;
  serviceCount(): Promise<number>;
  readyAddresses(hostname: string): Promise<Set<string>>;
  stop(): Promise<void>;
}

async function meshfedEngine(meshPath: string): Promise<Engine> {
  const child = spawn(process.execPath, [resolve('bin/meshfed.js'), 'serve', '-f', meshPath, '--from', 'secrets', '--port', '0', '-q'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((res) => createInterface({ input: child.stdout! }).once('line', res));
  const json = async <T>(path: string) => (await (await fetch(`${url}${path}`)).json()) as T;
  return {
    name: 'meshfed',
    process: child,
    serviceCount: async () => (await json<{ services: { namespace: string }[] }>('/api/v1/services')).services.filter((x) => x.namespace === NS).length,
    readyAddresses: async (h) => {
      const r = await json<{ endpoints?: { address: string; ready: boolean }[] }>(`/api/v1/services/${h}/endpoints`);
      return new Set((r.endpoints ?? []).filter((e) => e.ready).map((e) => e.address));
    },
    stop: async () => {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    },
  };
}

async function pilotEngine(kubeconfig: string): Promise<Engine & { dumpMs: number[] }> {
  const p = await startPilotDiscovery({ binary: labBinaryPaths().pilotDiscovery, kubeconfig, context: 'cluster01', clusterId: 'cluster01', host: '127.0.14.10', readyTimeoutMs: 600_000 });
  const dumpMs: number[] = [];
  return {
    name: 'pilot-discovery',
    process: { pid: p.pid } as ChildProcess,
    dumpMs,
    serviceCount: async () => (await p.debug<RegistryzService[]>('/debug/registryz')).filter((x) => x.hostname.endsWith(`.${NS}.svc.cluster.local`)).length,
    readyAddresses: async (h) => {
      const t = Date.now();
      const rows = istiodEndpointRows(await p.debug<EndpointShardz>('/debug/endpointShardz'), h);
      dumpMs.push(Date.now() - t);
      return new Set(rows.filter((r) => r.health === 'healthy').map((r) => r.address));
    },
    stop: () => p.stop(),
  };
}

interface Figures {
  line: string;
  p50: number;
  p99: number;
  rss: number;
}

async function measure(engineStart: () => Promise<Engine>, clients: KubeClients[], wanted: number): Promise<Figures> {
  const t0 = Date.now();
  const engine = await engineStart();
  while ((await engine.serviceCount().catch(() => 0)) < wanted) await sleep(POLL_MS);
  const syncMs = Date.now() - t0;

  // Latency: a pod of the selector Service `lat` becomes Ready (seen by our own watch), until
  // the engine lists its address as a ready endpoint.
  const k = clients[0]!;
  const hostname = `lat.${NS}.svc.cluster.local`;
  const readyAt = new Map<string, number>();
  const ac = new AbortController();
  const list = await listPath<KubeObject>(k, `/api/v1/namespaces/${NS}/pods?labelSelector=app%3Dlat`);
  void watchPath<KubeObject>(k, `/api/v1/namespaces/${NS}/pods?labelSelector=app%3Dlat`, list.resourceVersion, (ev) => {
    const st = ev.object['status'] as { podIP?: string; conditions?: { type: string; status: string }[] } | undefined;
    if (st?.podIP && st.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') && !readyAt.has(st.podIP)) readyAt.set(st.podIP, Date.now());
  }, ac.signal).catch(() => undefined);
  const latencies: number[] = [];
  for (let i = 0; i < CHANGES; i++) {
    const name = `lat-${engine.name}-${i}`;
    await applyObject(k, { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: NS, labels: { app: 'lat' } }, spec: { containers: [{ name: 'c', image: 'registry.example/lat:1' }] } });
    for (;;) {
      const ready = await engine.readyAddresses(hostname).catch(() => new Set<string>());
      const fresh = [...ready].filter((a) => readyAt.has(a) && !seen.has(a));
      if (fresh.length) {
        for (const a of fresh) {
          seen.add(a);
          latencies.push(Date.now() - readyAt.get(a)!);
        }
        break;
      }
      await sleep(POLL_MS);
    }
  }
  ac.abort();
  const rss = rssMiB(engine.process.pid!);
  await engine.stop();
  const dump = 'dumpMs' in engine ? `; one endpointShardz dump takes p50 ${quantile((engine as { dumpMs: number[] }).dumpMs, 0.5)} ms` : '';
  const p50 = quantile(latencies, 0.5);
  const p99 = quantile(latencies, 0.99);
  return { p50, p99, rss, line: `${engine.name}: initial sync ${(syncMs / 1000).toFixed(1)} s; pod Ready → endpoint ready p50 ${p50} ms, p99 ${p99} ms over ${latencies.length}; RSS ${rss.toFixed(0)} MiB${dump}` };
}
/** Addresses already counted, so each pod's latency is taken once. */
const seen = new Set<string>();

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'meshfed-bench-discovery-'));
  const meshPath = join(dir, 'mesh.yaml');
  await writeFile(meshPath, meshYaml);
  const mesh = (await validateMeshFile(meshPath)).mesh!;
  try {
    await ensureLabBinaries({});
    const lab = await labUp({ mesh, meshPath });
    for (const args of [['certs', '-f', meshPath], ['apply', '-f', meshPath, '-q']]) {
      const r = spawnSync(process.execPath, [resolve('bin/meshfed.js'), ...args], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`meshfed ${args[0]} failed: ${r.stderr}`);
    }
    const clients = mesh.spec.clusters.map((c) => kubeClients(lab.kubeconfig, c.context));
    const t0 = Date.now();
    await Promise.all(
      clients.map(async (k, c) => {
        await applyObject(k, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
        const objects = Array.from({ length: SERVICES_PER_CLUSTER }, (_, i) => staticService(c + 1, i)).flat();
        await pool(objects, 8, (o) => applyObject(k, o));
      }),
    );
    await applyObject(clients[0]!, { apiVersion: 'v1', kind: 'Service', metadata: { name: 'lat', namespace: NS }, spec: { selector: { app: 'lat' }, ports: [{ name: 'http', port: 80 }] } });
    const total = CLUSTERS * SERVICES_PER_CLUSTER;
    console.log(`${CLUSTERS} clusters, ${total} services, ${total * ENDPOINTS_PER_SERVICE} endpoints created in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
    // The bench namespace's services: ours and `lat`.
    const wanted = total + 1;
    const ours = await measure(() => meshfedEngine(meshPath), clients, wanted);
    console.log(ours.line);
    if (process.env['PILOT'] !== '0') {
      const istiod = await measure(() => pilotEngine(lab.kubeconfig), clients, wanted);
      console.log(istiod.line);
      const ok = (b: boolean) => (b ? 'OK' : 'OVER TARGET');
      console.log(
        `target (meshfed at or below pilot-discovery): latency p50/p99 ${ok(ours.p50 <= istiod.p50 && ours.p99 <= istiod.p99)}, memory ${ok(ours.rss <= istiod.rss)} (${ours.rss.toFixed(0)} vs ${istiod.rss.toFixed(0)} MiB)`,
      );
    }
  } finally {
    await labDown({ mesh, meshPath }).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.stack ?? e.message : String(e));
  process.exitCode = 1;
});
