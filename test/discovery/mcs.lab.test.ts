/**
 * meshfed as the MCS controller against a real two-cluster lab (services.discovery: mcs):
 * apply's mcs-crds step installs mcs-api v0.5.0's CRDs into both API servers; a Service
 * exported in cluster02 only gets a ServiceImport in cluster01 and cluster02 with its ports,
 * type, IP and status.clusters, an unexported one gets none; a port conflict between two
 * exporting clusters is reported on both ServiceExports; unexporting removes the imports;
 * `meshfed dns` answers the clusterset.local names of the imports (ClusterSetIP and headless) to a
 * real resolver and NXDOMAIN for an unexported one, following an unexport;
 * discover and the API show each service's scope (exported, cluster-local) and why;
 * conformance: the real pilot-discovery, run with the MCS env and meshConfig render writes,
 * lists the same clusterset.local hosts, VIPs, exports and imports (/debug/registryz, /debug/mcsz)
 * and sends a proxyless gRPC client the endpoints the engine's reach says (the mesh file's
 * cluster-local host: its own cluster's only);
 * `meshfed serve` of the mesh file does the same as a process; destroy's undo removes the CRDs. Everything is read back through the real API.
 * Loopback addresses 127.0.18.x belong to this file only.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KeyedLock, STEP_HANDLERS, istioctlInstaller, systemClock, type ApplyContext } from '../../src/apply/index.js';
import { McsController, Supervisor, mcsState, serviceScopes, type HostScope } from '../../src/discovery/index.js';
import { applyObject, deleteObject, getObject, kubeClients, listObjects, type KubeClients, type KubeObject } from '../../src/kube/index.js';
import { ensureLabBinaries, labBinaryPaths, labDown, labUp, type LabState } from '../../src/lab/index.js';
import { OBJECTS, planMesh, type Plan } from '../../src/plan/index.js';
import { validateMeshFile, type MeshFile } from '../../src/topology/index.js';
import { eventually } from '../lab/labTools.js';
import { captureIo } from '../render/helpers.js';
import { runCli } from '../cli/run.js';
import { dnsCommand } from '../../src/cli/commands/dns.js';
import { Resolver } from 'node:dns/promises';
import { readFile } from 'node:fs/promises';
import { parse, stringify } from 'yaml';
import { grpcClientDials, startPilotDiscovery, type PilotDiscovery, type RegistryzService } from './pilotDiscovery.js';

const IPS = ['127.0.18.1', '127.0.18.2'] as const;
/** The reference pilot-discovery's own listeners. */
const PILOT_HOST = '127.0.18.10';
const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const NS = 'sample';
const MCS = 'multicluster.x-k8s.io/v1alpha1';

const meshYaml = `# a lab mesh in MCS discovery mode, written by a test
apiVersion: meshfed.io/v1alpha1
kind: Mesh
metadata:
  name: mcs
spec:
  lab:
    nodes: 1
  services:
    discovery: mcs
    clusterLocal: [other.${NS}.svc.cluster.local]
  clusters:
  - name: cluster01
    context: lab-cluster01
    apiServer: https://${IPS[0]}:6443
    podCIDRs: [10.10.0.0/16]
    serviceCIDRs: [10.11.0.0/16]
    loadBalancerPool: 172.18.11.0/24
  - name: cluster02
    context: lab-cluster02
    apiServer: https://${IPS[1]}:6443
    podCIDRs: [10.20.0.0/16]
    serviceCIDRs: [10.21.0.0/16]
    loadBalancerPool: 172.18.12.0/24
`;

let dir: string;
let meshPath: string;
let mesh: MeshFile;
let plan: Plan;
let lab: LabState;
const k: Record<'cluster01' | 'cluster02', KubeClients> = {} as never;
let supervisor: Supervisor | undefined;
let controller: McsController | undefined;
let pd: PilotDiscovery | undefined;

const service = (name: string, port: number): KubeObject => ({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: NS }, spec: { selector: { app: name }, ports: [{ name: 'http', port, protocol: 'TCP', targetPort: 8080 }] } });
const serviceExport = (name: string): KubeObject => ({ apiVersion: MCS, kind: 'ServiceExport', metadata: { name, namespace: NS } });
const imports = async (c: KubeClients) => (await listObjects(c, MCS, 'ServiceImport', { namespace: NS })).map((o) => o.metadata.name).sort();
const importOf = (c: KubeClients, name: string) => getObject(c, { apiVersion: MCS, kind: 'ServiceImport', name, namespace: NS });
type Condition = { type: string; status: string; reason: string };
async function conflictOf(c: KubeClients, name: string): Promise<Condition | undefined> {
  const exp = await getObject(c, { apiVersion: MCS, kind: 'ServiceExport', name, namespace: NS });
  const conditions = (exp?.['status'] as { conditions?: Condition[] } | undefined)?.conditions ?? [];
  return conditions.find((x) => x.type === 'Conflict');
}

function applyContext(): ApplyContext {
  return {
    plan,
    clients: new Map(Object.entries(k)),
    // The mcs-crds step does not install anything through it; apply's own is the real istioctl.
    installer: istioctlInstaller({ plan, kubeconfig: lab.kubeconfig, binary: labBinaryPaths().istioctl }),
    clock: systemClock,
    dryRun: false,
    waitTimeoutMs: 60_000,
    stateLock: new KeyedLock(),
    rootDir: join(dir, 'certs'),
    gatewayAddresses: new Map(),
  };
}

beforeAll(async () => {
  await ensureLabBinaries({ parts: ['etcd', 'kwok', 'kube', 'istio'] });
  dir = await mkdtemp(join(tmpdir(), 'meshfed-mcs-'));
  meshPath = join(dir, 'mesh.yaml');
  await writeFile(meshPath, meshYaml);
  const v = await validateMeshFile(meshPath);
  expect(v.ok, JSON.stringify(v.diagnostics)).toBe(true);
  mesh = v.mesh!;
  plan = planMesh(mesh);
  try {
    lab = await labUp({ mesh, meshPath });
  } catch (e) {
    await labDown({ mesh, meshPath }).catch(() => undefined);
    throw e;
  }
  k.cluster01 = kubeClients(lab.kubeconfig, 'lab-cluster01');
  k.cluster02 = kubeClients(lab.kubeconfig, 'lab-cluster02');
  for (const c of Object.values(k)) await applyObject(c, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
}, 600_000);

afterAll(async () => {
  await pd?.stop();
  await controller?.stop();
  await supervisor?.stop();
  if (mesh) await labDown({ mesh, meshPath }).catch(() => undefined);
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('meshfed as the MCS controller, against a real lab', () => {
  it("apply's mcs-crds step installs the ServiceExport and ServiceImport CRDs (established) in every cluster; a second run changes nothing", async () => {
    const ctx = applyContext();
    for (const c of plan.clusters) {
      const step = plan.steps.find((s) => s.id === `mcs-crds:${c.name}`)!;
      const first = await STEP_HANDLERS['mcs-crds'].run(ctx, step, c);
      expect(first.changed, first.detail).toBe(true);
      for (const ref of OBJECTS.mcsCrds) expect(await getObject(k[c.name as keyof typeof k], ref), `${c.name}: ${ref.name}`).toBeDefined();
      const again = await STEP_HANDLERS['mcs-crds'].run(ctx, step, c);
      expect(again.changed, again.detail).toBe(false);
    }
  }, 120_000);

  it('a Service exported in cluster02 only: a ServiceImport in both clusters with its ports, type, IP and status.clusters; an unexported Service gets none', async () => {
    await applyObject(k.cluster02, service('helloworld', 5000));
    for (const c of Object.values(k)) await applyObject(c, service('other', 80));
    await applyObject(k.cluster02, serviceExport('helloworld'));
    supervisor = new Supervisor({ members: { from: 'mesh', clusters: [{ clusterId: 'cluster01', clients: k.cluster01 }, { clusterId: 'cluster02', clients: k.cluster02 }] }, mcs: true, syncTimeoutMs: 20_000 }).start();
    controller = new McsController({ source: supervisor, writers: new Map([['cluster01', k.cluster01], ['cluster02', k.cluster02]]) }).start();
    const clusterIP = String(((await getObject(k.cluster02, { apiVersion: 'v1', kind: 'Service', name: 'helloworld', namespace: NS }))!['spec'] as { clusterIP: string }).clusterIP);
    for (const [name, c] of Object.entries(k)) {
      const imp = await eventually(`${name}: ServiceImport helloworld with status`, async () => {
        const o = await importOf(c, 'helloworld');
        return (o?.['status'] as { clusters?: unknown[] } | undefined)?.clusters?.length ? o : undefined;
      });
      expect(imp['spec'], name).toEqual({ type: 'ClusterSetIP', ports: [{ name: 'http', port: 5000, protocol: 'TCP' }], ips: [clusterIP] });
      expect(imp['status'], name).toEqual({ clusters: [{ cluster: 'cluster02' }] });
      expect(await imports(c), `${name}: only the exported service is imported`).toEqual(['helloworld']);
    }
    // The export's conditions are written after the imports (Ready says where they are).
    const conditions = await eventually('ServiceExport helloworld has its three conditions', async () => {
      const cs = (((await getObject(k.cluster02, { apiVersion: MCS, kind: 'ServiceExport', name: 'helloworld', namespace: NS }))?.['status'] as { conditions?: { type: string; status: string; reason: string }[] } | undefined)?.conditions ?? []);
      return cs.length === 3 ? cs : undefined;
    });
    expect(conditions.map((c) => [c.type, c.status, c.reason])).toEqual([
      ['Valid', 'True', 'Valid'],
      ['Ready', 'True', 'Exported'],
      ['Conflict', 'False', 'NoConflicts'],
    ]);
    // Nothing left to do: a reconcile now writes nothing.
    expect((await controller.reconcile()).changed).toEqual([]);
    // discover shows each service's scope and why.
    const d = await runCli('discover', '-f', meshPath, '-o', 'json');
    expect(d.code, d.stderr).toBe(0);
    const scopes = Object.fromEntries((JSON.parse(d.stdout) as { services: { hostname: string; scope?: { scope: string; imported?: unknown } }[] }).services.map((x) => [x.hostname, x.scope]));
    expect(scopes['helloworld.sample.svc.cluster.local']).toMatchObject({ scope: 'exported', imported: { hostname: 'helloworld.sample.svc.clusterset.local', from: ['cluster02'] } });
    expect(scopes['other.sample.svc.cluster.local']?.scope).toBe('cluster-local');
  }, 120_000);

  it("conformance: the real pilot-discovery, with the MCS settings render writes, lists exactly the clusterset.local hosts (and VIPs) meshfed's engine lists, and the same exports, imports and reach; the mesh file's cluster-local host reaches only its own cluster in both", async () => {
    // A headless export too: its import has no IPs, so neither side gives it a clusterset.local host.
    await applyObject(k.cluster01, { apiVersion: 'v1', kind: 'Service', metadata: { name: 'cache', namespace: NS }, spec: { clusterIP: 'None', ports: [{ name: 'tcp-cache', port: 6379, protocol: 'TCP' }] } });
    await applyObject(k.cluster01, serviceExport('cache'));
    for (const [name, c] of Object.entries(k)) await eventually(`${name}: ServiceImport cache`, async () => ((await imports(c)).includes('cache') ? true : undefined));

    // istiod as render writes it for cluster01: its env (values.pilot.env) and meshConfig.
    const out = join(dir, 'out');
    const rendered = await runCli('render', '-f', meshPath, '-o', out);
    expect(rendered.code, rendered.stderr).toBe(0);
    const operator = parse(await readFile(join(out, 'cluster01', '20-istio.yaml'), 'utf8')) as { spec: { meshConfig: Record<string, unknown>; values: { pilot: { env: Record<string, unknown> } } } };
    const env = Object.fromEntries(Object.entries(operator.spec.values.pilot.env).map(([n, v]) => [n, String(v)]));
    expect(Object.keys(env).filter((n) => n.includes('MCS')).sort()).toEqual(['ENABLE_MCS_AUTO_EXPORT', 'ENABLE_MCS_CLUSTER_LOCAL', 'ENABLE_MCS_HOST', 'ENABLE_MCS_SERVICE_DISCOVERY', 'MCS_API_VERSION']);
    // What apply does before istiod runs: istio-system, cluster02's reader (its RBAC reads the
    // MCS resources) and the remote secret in cluster01; the mesh config istioctl installs.
    const ctx = applyContext();
    const step = (id: string) => plan.steps.find((x) => x.id === id)!;
    for (const c of plan.clusters) await STEP_HANDLERS.namespace.run(ctx, step(`namespace:${c.name}`), c);
    await STEP_HANDLERS['remote-reader'].run(ctx, step('remote-reader:cluster02'), plan.clusters.find((c) => c.name === 'cluster02')!);
    await STEP_HANDLERS['remote-secret'].run(ctx, step('remote-secret:cluster01:cluster02'));
    await applyObject(k.cluster01, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'istio', namespace: 'istio-system' }, data: { mesh: stringify(operator.spec.meshConfig) } });
    pd = await startPilotDiscovery({ binary: labBinaryPaths().pilotDiscovery, kubeconfig: lab.kubeconfig, context: 'lab-cluster01', clusterId: 'cluster01', host: PILOT_HOST, env, readyTimeoutMs: 120_000 });
    const p = pd;

    type Mcsz = { Cluster: string; Name: string; Namespace: string; Exported: boolean; Imported: boolean; ClusterSetVIP: string; Discoverability: Record<string, string> | null };
    const POLICY: Record<HostScope['reaches'], string> = { 'own-cluster': 'DiscoverableFromSameCluster', 'exporting-clusters': 'AlwaysDiscoverable', 'every-cluster': 'AlwaysDiscoverable' };
    const views = async () => {
      const [registryz, mcsz, clusterz] = await Promise.all([p.debug<RegistryzService[]>('/debug/registryz'), p.debug<Mcsz[]>('/debug/mcsz'), p.debug<{ id: string; syncStatus: string }[]>('/debug/clusterz')]);
      const clustersetOf = (hosts: { hostname: string; vips: Record<string, string[]> }[]) => Object.fromEntries(hosts.filter((h) => h.hostname.endsWith('.svc.clusterset.local')).map((h) => [h.hostname, h.vips]).sort());
      const istiod = {
        synced: clusterz.filter((c) => c.syncStatus === 'synced').map((c) => c.id).sort(),
        clusterset: clustersetOf(registryz.filter((x) => x.Attributes.ServiceRegistry === 'Kubernetes').map((x) => ({ hostname: x.hostname, vips: Object.fromEntries(Object.entries(x.clusterVIPs.Addresses ?? {}).map(([c, a]) => [c, [...a].sort()]).sort()) }))),
        mcs: (mcsz ?? []).filter((m) => m.Namespace === NS).map((m) => ({ ...m, Discoverability: m.Discoverability ?? {} })).sort((a, b) => `${a.Cluster}/${a.Name}`.localeCompare(`${b.Cluster}/${b.Name}`)),
      };
      // meshfed's engine over the same clusters: the registry, the MCS controller's decisions and
      // the mesh file's services section, as discover and the API show them.
      const snapshots = supervisor!.snapshots().map((x) => x.snapshot);
      const registry = supervisor!.registry();
      const state = mcsState(snapshots);
      const scopes = serviceScopes(registry, { discovery: 'mcs', clusterLocal: mesh.spec.services!.clusterLocal! }, state);
      const hosts = [...scopes.values()].flatMap((x) => x.hosts);
      const inCluster = (hostname: string, cluster: string) => registry.services.find((x) => x.hostname === hostname)?.clusters.some((c) => c.cluster === cluster) ?? false;
      const mine = {
        synced: ['cluster01', 'cluster02'],
        clusterset: clustersetOf(hosts.map((h) => ({ hostname: h.hostname, vips: h.vips ?? {} }))),
        mcs: snapshots
          .flatMap((snap) => {
            const c = snap.clusterId;
            const names = [...new Set([...state.exports.filter((e) => e.cluster === c).map((e) => e.name), ...state.imports.map((i) => i.name)])];
            return names.map((name) => {
              const exported = state.exports.some((e) => e.cluster === c && e.name === name);
              const scope = scopes.get(`${name}.${NS}.svc.cluster.local`);
              const set = scope?.hosts.find((h) => h.vips);
              // istiod lists, for an export, the reach of each of its names that its own registry holds.
              const discoverability = exported ? Object.fromEntries((scope?.hosts ?? []).filter((h) => (h.vips ? (h.vips[c]?.length ?? 0) > 0 : inCluster(h.hostname, c))).map((h) => [h.hostname, POLICY[h.reaches]])) : {};
              return { Cluster: c, Name: name, Namespace: NS, Exported: exported, Imported: state.imports.some((i) => i.name === name), ClusterSetVIP: set?.vips?.[c]?.[0] ?? '', Discoverability: discoverability };
            });
          })
          .sort((a, b) => `${a.Cluster}/${a.Name}`.localeCompare(`${b.Cluster}/${b.Name}`)),
      };
      return { istiod, mine, scopes };
    };
    let v = await views();
    const deadline = Date.now() + 60_000;
    while (JSON.stringify(v.istiod) !== JSON.stringify(v.mine) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 500));
      v = await views();
    }
    expect(v.istiod, p.logs().split('\n').filter((l) => /mcs|ServiceImport|ServiceExport|error/i.test(l)).slice(-20).join('\n')).toEqual(v.mine);
    console.log(`pilot-discovery and meshfed agree: clusterset.local ${JSON.stringify(v.istiod.clusterset)}; mcsz ${JSON.stringify(v.istiod.mcs.map((m) => `${m.Cluster}/${m.Name} exported=${m.Exported} imported=${m.Imported} vip=${m.ClusterSetVIP}`))}`);
    // What they agree on, spelled out: helloworld's clusterset.local host with cluster02's
    // ClusterIP as its VIP in both clusters; no host for the headless cache nor the unexported other.
    const ip = String(((await getObject(k.cluster02, { apiVersion: 'v1', kind: 'Service', name: 'helloworld', namespace: NS }))!['spec'] as { clusterIP: string }).clusterIP);
    expect(v.mine.clusterset).toEqual({ 'helloworld.sample.svc.clusterset.local': { cluster01: [ip], cluster02: [ip] } });
    expect(v.mine.mcs.find((m) => m.Cluster === 'cluster02' && m.Name === 'helloworld')!.Discoverability).toEqual({ 'helloworld.sample.svc.cluster.local': 'DiscoverableFromSameCluster', 'helloworld.sample.svc.clusterset.local': 'AlwaysDiscoverable' });
    // The mesh file's cluster-local host: own-cluster in meshfed's engine, and in istiod's
    // mesh config as render wrote it.
    expect(v.scopes.get('other.sample.svc.cluster.local')!.hosts).toEqual([{ hostname: 'other.sample.svc.cluster.local', reaches: 'own-cluster' }]);
    const meshz = await p.debug<{ serviceSettings?: { settings?: { clusterLocal?: boolean }; hosts?: string[] }[] }>('/debug/mesh');
    expect(meshz.serviceSettings).toEqual([{ settings: { clusterLocal: true }, hosts: ['other.sample.svc.cluster.local'] }]);


    // Reach as a client sees it: endpoints for other (both clusters) and helloworld (cluster02);
    // a proxyless gRPC client of cluster01 is told, for other's cluster-local host, only
    // cluster01's endpoint, and for helloworld's clusterset.local host cluster02's: what the
    // engine's reach over its own registry says.
    const slice = (svc: string, name: string, address: string): KubeObject => ({
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name, namespace: NS, labels: { 'kubernetes.io/service-name': svc, 'endpointslice.kubernetes.io/managed-by': 'test' } },
      addressType: 'IPv4',
      ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
      endpoints: [{ addresses: [address], conditions: { ready: true } }],
    });
    await applyObject(k.cluster01, slice('other', 'other-test', '10.10.9.1'));
    await applyObject(k.cluster02, slice('other', 'other-test', '10.20.9.1'));
    await applyObject(k.cluster02, slice('helloworld', 'helloworld-test', '10.20.9.2'));
    const expected = (hostname: string, client: string) => {
      const scope = [...serviceScopes(supervisor!.registry(), { discovery: 'mcs', clusterLocal: mesh.spec.services!.clusterLocal! }, mcsState(supervisor!.snapshots().map((x) => x.snapshot))).values()].find((x) => x.hosts.some((h) => h.hostname === hostname))!;
      const reach = scope.hosts.find((h) => h.hostname === hostname)!.reaches;
      const local = supervisor!.registry().services.find((x) => x.namespace === NS && x.hostname === `${hostname.split('.')[0]}.${NS}.svc.cluster.local`)!;
      return local.endpoints.filter((e) => e.ready && (reach === 'own-cluster' ? e.cluster === client : reach === 'exporting-clusters' ? scope.imported!.from.includes(e.cluster) : true)).map((e) => e.address).sort();
    };
    for (const [host, port] of [['other.sample.svc.cluster.local', 80], ['helloworld.sample.svc.clusterset.local', 5000]] as const) {
      const engine = await eventually(`the engine sees ${host}'s endpoints`, async () => (expected(host, 'cluster01').length ? expected(host, 'cluster01') : undefined));
      let last = '';
      const told = await eventually(`a cluster01 client of ${host} is told ${engine.join(', ')}`, async () => {
        const r = await grpcClientDials({ echoClient: labBinaryPaths().echoClient, pilot: p, clusterId: 'cluster01', namespace: NS, target: `${host}:${port}`, port: 8080 });
        last = r.log.split('\n').slice(-15).join('\n');
        return JSON.stringify(r.dials) === JSON.stringify(engine) ? r.dials : undefined;
      }, 60_000).catch((e: Error) => Promise.reject(new Error(`${e.message}\n${last}`)));
      console.log(`a cluster01 client of ${host}: istiod sent ${told.join(', ')}; meshfed's engine says ${engine.join(', ')}`);
    }
    expect(expected('other.sample.svc.cluster.local', 'cluster01')).toEqual(['10.10.9.1']);
    expect(expected('helloworld.sample.svc.clusterset.local', 'cluster01')).toEqual(['10.20.9.2']);
    for (const [c, name] of [[k.cluster01, 'other-test'], [k.cluster02, 'other-test'], [k.cluster02, 'helloworld-test']] as const) await deleteObject(c, { apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', name, namespace: NS });

    await deleteObject(k.cluster01, { apiVersion: MCS, kind: 'ServiceExport', name: 'cache', namespace: NS });
    await pd.stop();
    pd = undefined;
  }, 240_000);

  it('`meshfed dns` answers helloworld.sample.svc.clusterset.local with the import\'s IP (real resolver); a headless export\'s SRV lists each endpoint; an unexported name is NXDOMAIN', async () => {
    // A headless Service with endpoints of its own (no selector: the EndpointSlice is ours).
    await applyObject(k.cluster02, { apiVersion: 'v1', kind: 'Service', metadata: { name: 'db', namespace: NS }, spec: { clusterIP: 'None', ports: [{ name: 'tcp-db', port: 5432, protocol: 'TCP' }] } });
    await applyObject(k.cluster02, {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: 'db-1', namespace: NS, labels: { 'kubernetes.io/service-name': 'db', 'endpointslice.kubernetes.io/managed-by': 'test' } },
      addressType: 'IPv4',
      ports: [{ name: 'tcp-db', port: 5432, protocol: 'TCP' }],
      endpoints: [{ addresses: ['10.20.0.7'], conditions: { ready: true } }, { addresses: ['10.20.0.8'], conditions: { ready: true } }],
    });
    await applyObject(k.cluster02, serviceExport('db'));
    const io = captureIo();
    let stop!: () => void;
    const done = dnsCommand({ file: meshPath, from: 'mesh', host: '127.0.0.1', port: 0 }, io, new Promise<void>((r) => (stop = r)));
    try {
      const where = await eventually(`meshfed dns listening (${io.stderr})`, async () => io.stdout.trim() || undefined);
      const resolver = new Resolver({ timeout: 1_000, tries: 1 });
      resolver.setServers([where]);
      const ip = String(((await getObject(k.cluster02, { apiVersion: 'v1', kind: 'Service', name: 'helloworld', namespace: NS }))!['spec'] as { clusterIP: string }).clusterIP);
      expect(await eventually('helloworld resolves', () => resolver.resolve4('helloworld.sample.svc.clusterset.local'))).toEqual([ip]);
      const srv = await eventually('db SRV lists both endpoints', async () => {
        const r = await resolver.resolveSrv('_tcp-db._tcp.db.sample.svc.clusterset.local');
        return r.length === 2 ? r : undefined;
      });
      expect(srv.map((r) => [r.name, r.port]).sort()).toEqual([
        ['10-20-0-7.cluster02.db.sample.svc.clusterset.local', 5432],
        ['10-20-0-8.cluster02.db.sample.svc.clusterset.local', 5432],
      ]);
      expect(await resolver.resolve4('10-20-0-7.cluster02.db.sample.svc.clusterset.local')).toEqual(['10.20.0.7']);
      // The MCS conformance suite's required test: a service that is not exported does not resolve.
      expect(await resolver.resolve4('other.sample.svc.clusterset.local').then(() => 'answered', (e: { code?: string }) => e.code)).toBe('ENOTFOUND');
      // Answers follow changes: unexporting db makes it NXDOMAIN. How fast is printed, not judged (bench/ holds targets).
      await deleteObject(k.cluster02, { apiVersion: MCS, kind: 'ServiceExport', name: 'db', namespace: NS });
      const t0 = performance.now();
      await eventually('db gone from DNS', async () => ((await resolver.resolve4('db.sample.svc.clusterset.local').then(() => 'answered', (e: { code?: string }) => e.code)) === 'ENOTFOUND' ? true : undefined));
      console.log(`meshfed dns followed an unexport in ${Math.round(performance.now() - t0)} ms (issue 18's target: within 1 s)`);
    } finally {
      stop();
      await done;
    }
  }, 120_000);

  it('a port conflict between two exporting clusters is reported on both ServiceExports; the older export (cluster02) keeps its port', async () => {
    await applyObject(k.cluster01, service('helloworld', 5001));
    await applyObject(k.cluster01, serviceExport('helloworld'));
    for (const [name, c] of Object.entries(k)) {
      const conflict = await eventually(`${name}: Conflict=True on ServiceExport helloworld`, async () => {
        const x = await conflictOf(c, 'helloworld');
        return x?.status === 'True' ? x : undefined;
      });
      expect(conflict.reason, name).toBe('PortConflict');
    }
    for (const [name, c] of Object.entries(k)) {
      const imp = await eventually(`${name}: the import lists both clusters`, async () => {
        const o = await importOf(c, 'helloworld');
        return ((o?.['status'] as { clusters?: unknown[] } | undefined)?.clusters?.length ?? 0) === 2 ? o : undefined;
      });
      expect((imp['spec'] as { ports: unknown }).ports, name).toEqual([{ name: 'http', port: 5000, protocol: 'TCP' }]);
    }
  }, 120_000);

  it('unexporting removes the import from every cluster', async () => {
    for (const c of Object.values(k)) await deleteObject(c, { apiVersion: MCS, kind: 'ServiceExport', name: 'helloworld', namespace: NS });
    for (const [name, c] of Object.entries(k)) await eventually(`${name}: no ServiceImport left`, async () => ((await imports(c)).length === 0 ? true : undefined));
  }, 120_000);

  it('`meshfed serve` of an mcs mesh is the MCS controller: an export made while it runs gets its imports; SIGTERM ends it', async () => {
    await controller?.stop();
    await supervisor?.stop();
    controller = undefined;
    supervisor = undefined;
    // The built CLI, as users run it (npx tsc first); the lab mesh's kubeconfig is the lab's.
    const serve = spawn(process.execPath, [join(REPO, 'bin/meshfed.js'), 'serve', '-f', meshPath, '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let stdout = '';
    serve.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    serve.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    const exited = new Promise<number | null>((resolve) => serve.on('close', resolve));
    try {
      await applyObject(k.cluster02, serviceExport('helloworld'));
      for (const [name, c] of Object.entries(k)) await eventually(`${name}: ServiceImport helloworld written by meshfed serve (${stderr})`, async () => ((await imports(c)).includes('helloworld') ? true : undefined));
      // The API shows each service's scope.
      const url = await eventually('serve printed its URL', async () => stdout.trim().split('\n')[0] || undefined);
      const services = await eventually('the API lists helloworld as exported', async () => {
        const body = (await (await fetch(`${url}/api/v1/services`)).json()) as { services: { hostname: string; scope?: { scope: string } }[] };
        return body.services.find((x) => x.hostname === 'helloworld.sample.svc.cluster.local')?.scope?.scope === 'exported' ? body.services : undefined;
      });
      expect(services.find((x) => x.hostname === 'other.sample.svc.cluster.local')?.scope?.scope).toBe('cluster-local');
    } finally {
      serve.kill('SIGTERM');
    }
    expect(await exited, stderr).toBe(0);
  }, 120_000);

  it("destroy's undo of mcs-crds removes the CRDs", async () => {
    const ctx = applyContext();
    for (const c of plan.clusters) {
      await STEP_HANDLERS['mcs-crds'].undo(ctx, plan.steps.find((s) => s.id === `mcs-crds:${c.name}`)!, c);
      for (const ref of OBJECTS.mcsCrds) await eventually(`${c.name}: ${ref.name} gone`, async () => ((await getObject(k[c.name as keyof typeof k], ref)) ? undefined : true));
    }
  }, 120_000);
});
