/**
 * Conformance with istiod: the real `pilot-discovery` (built by the lab) runs outside the
 * cluster against cluster01 of a two-cluster lab mesh that `meshfed apply` installed (first
 * multi-primary multi-network in depth, then the three other seed models); it finds
 * cluster02 through the remote secret apply wrote. Its debug view (/debug/registryz,
 * /debug/endpointShardz, /debug/networkz, /debug/clusterz) must equal what buildRegistry
 * computes from the same clusters' objects, except for the differences listed under
 * "Conformance with pilot-discovery" in src/discovery/README.md.
 * Loopback addresses 127.0.13.x belong to this file only.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildRegistry, ISTIOD_SPLIT_HORIZON, networkView, type ClusterSnapshot, type Registry } from '../../src/discovery/index.js';
import { applyObject, listObjects, type KubeClients, type KubeObject } from '../../src/kube/index.js';
import { labBinaryPaths } from '../../src/lab/index.js';
import { startLabMesh, type LabMesh } from '../apply/labMesh.js';
import { runCli } from '../cli/run.js';
import {
  groupAlive,
  istiodEndpointRows,
  sortRows,
  startPilotDiscovery,
  type ClusterzEntry,
  type EndpointRow,
  type EndpointShardz,
  type NetworkzGateway,
  type PilotDiscovery,
  type RegistryzService,
} from './pilotDiscovery.js';

const IPS = ['127.0.13.1', '127.0.13.2'];
/** pilot-discovery's own listeners. */
const PILOT_HOST = '127.0.13.10';
const NS = 'sample';
const HELLO = `helloworld.${NS}.svc.cluster.local`;
const LEGACY = `legacy.${NS}.svc.cluster.local`;
const CLUSTERS = ['cluster01', 'cluster02'] as const;

let t: LabMesh;
let pd: PilotDiscovery | undefined;
let pdPid: number | undefined;

const clients = (c: string): KubeClients => {
  const k = t.clients.get(c);
  if (!k) throw new Error(`no client for ${c}`);
  return k;
};

/**
 * Seed 000's HelloWorld: v1 in cluster01 with the sidecar label an injected pod carries, v2
 * in cluster02 without one (the lab has no injector: its webhook has no real istiod behind it).
 */
function helloworld(version: 'v1' | 'v2', replicas: number): KubeObject[] {
  const labels: Record<string, string> = { app: 'helloworld', version, ...(version === 'v1' ? { 'security.istio.io/tlsMode': 'istio' } : {}) };
  return [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } },
    { apiVersion: 'v1', kind: 'Service', metadata: { name: 'helloworld', namespace: NS, labels: { app: 'helloworld' } }, spec: { selector: { app: 'helloworld' }, ports: [{ name: 'http', port: 5000, targetPort: 5000 }] } },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: `helloworld-${version}`, namespace: NS },
      spec: {
        replicas,
        selector: { matchLabels: { app: 'helloworld', version } },
        template: { metadata: { labels }, spec: { containers: [{ name: 'helloworld', image: `docker.io/istio/examples-helloworld-${version}:1.0`, ports: [{ containerPort: 5000 }] }] } },
      },
    },
  ];
}

/** A selector-less Service with a hand-written EndpointSlice: ready, not ready, and terminating (ready=false, serving, terminating). */
function legacy(n: number, touched?: string): KubeObject[] {
  return [
    { apiVersion: 'v1', kind: 'Service', metadata: { name: 'legacy', namespace: NS }, spec: { ports: [{ name: 'tcp-db', port: 5432, targetPort: 5432 }] } },
    {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: 'legacy-1', namespace: NS, labels: { 'kubernetes.io/service-name': 'legacy', ...(touched ? { touched } : {}) } },
      addressType: 'IPv4',
      ports: [{ name: 'tcp-db', port: 5432, protocol: 'TCP' }],
      endpoints: [
        { addresses: [`192.168.${n}.10`], conditions: { ready: true } },
        { addresses: [`192.168.${n}.11`], conditions: { ready: false, serving: false, terminating: false } },
        { addresses: [`192.168.${n}.12`], conditions: { ready: false, serving: true, terminating: true } },
      ],
    },
  ];
}

async function applyAll(k: KubeClients, objects: KubeObject[]): Promise<void> {
  for (const o of objects) await applyObject(k, o);
}

/** Our registry over the objects we list ourselves, in istiod's registry order (local cluster first). */
async function ours(): Promise<Registry> {
  const snapshots: ClusterSnapshot[] = [];
  for (const c of CLUSTERS) {
    const k = clients(c);
    snapshots.push({
      clusterId: c,
      services: await listObjects(k, 'v1', 'Service'),
      endpointSlices: await listObjects(k, 'discovery.k8s.io/v1', 'EndpointSlice'),
      pods: await listObjects(k, 'v1', 'Pod'),
      namespaces: await listObjects(k, 'v1', 'Namespace'),
    });
  }
  return buildRegistry(snapshots);
}

function ourEndpointRows(registry: Registry, hostname: string): EndpointRow[] {
  const s = registry.services.find((x) => x.hostname === hostname);
  return sortRows(
    (s?.endpoints ?? []).flatMap((e) =>
      Object.entries(e.ports).map(([portName, port]) => ({ cluster: e.cluster, network: e.network, address: e.address, portName, port, tlsMode: e.tlsMode, health: e.health })),
    ),
  );
}

/** Both views, side by side, as plain data for toEqual. */
interface Views {
  hostnames: string[];
  /** hostname → cluster → VIPs. */
  vips: Record<string, Record<string, string[]>>;
  /** hostname → "name:port"; protocols differ by design (README). */
  ports: Record<string, string[]>;
  endpoints: Record<string, EndpointRow[]>;
  gateways: string[];
  clusters: string[];
}

async function views(p: PilotDiscovery): Promise<{ istiod: Views; ours: Views }> {
  const [registryz, shardz, networkz, clusterz] = await Promise.all([
    p.debug<RegistryzService[]>('/debug/registryz'),
    p.debug<EndpointShardz>('/debug/endpointShardz'),
    p.debug<NetworkzGateway[]>('/debug/networkz'),
    p.debug<ClusterzEntry[]>('/debug/clusterz'),
  ]);
  const registry = await ours();
  const kube = registryz.filter((s) => s.Attributes.ServiceRegistry === 'Kubernetes');
  const hostnames = kube.map((s) => s.hostname).sort();
  const istiod: Views = {
    hostnames,
    vips: Object.fromEntries(kube.map((s) => [s.hostname, Object.fromEntries(Object.entries(s.clusterVIPs.Addresses ?? {}).map(([c, a]) => [c, [...a].sort()]).sort())])),
    ports: Object.fromEntries(kube.map((s) => [s.hostname, (s.ports ?? []).map((x) => `${x.name}:${x.port}`)])),
    endpoints: Object.fromEntries(hostnames.map((h) => [h, istiodEndpointRows(shardz, h)])),
    // With no gateway at all, istiod answers null.
    gateways: (networkz ?? []).map((g) => `${g.Network} ${g.Cluster} ${g.Addr}:${g.Port} hbone=${g.HBONEPort}`).sort(),
    clusters: clusterz.map((c) => `${c.id} ${c.syncStatus}`).sort(),
  };
  const ourHostnames = registry.services.map((s) => s.hostname).sort();
  const mine: Views = {
    hostnames: ourHostnames,
    vips: Object.fromEntries(registry.services.map((s) => [s.hostname, Object.fromEntries(s.clusters.filter((c) => c.clusterIPs.length > 0).map((c) => [c.cluster, [...c.clusterIPs].sort()]).sort())])),
    ports: Object.fromEntries(registry.services.map((s) => [s.hostname, s.ports.map((x) => `${x.name}:${x.port}`)])),
    endpoints: Object.fromEntries(ourHostnames.map((h) => [h, ourEndpointRows(registry, h)])),
    gateways: registry.gateways.map((g) => `${g.network} ${g.cluster} ${g.address}:${g.port} hbone=${g.hbonePort}`).sort(),
    clusters: CLUSTERS.map((c) => `${c} synced`),
  };
  return { istiod, ours: mine };
}

/**
 * The one listed endpoint difference: an endpoint with ready=false and terminating=true that
 * istiod reads during its initial sync, before it knows the Service, stays `unhealthy` until
 * its slice changes; we (and istiod after any change of the slice) say `terminating`.
 */
function allowStartupTerminating(istiod: Views, mine: Views): Views {
  const endpoints = Object.fromEntries(
    Object.entries(istiod.endpoints).map(([h, rows]) => [
      h,
      rows.map((r) => {
        const our = mine.endpoints[h]?.find((o) => o.cluster === r.cluster && o.address === r.address && o.portName === r.portName);
        return r.health === 'unhealthy' && our?.health === 'terminating' ? { ...r, health: 'terminating' } : r;
      }),
    ]),
  );
  return { ...istiod, endpoints };
}

/** Polls until both views agree (after `normalise`), then asserts it so a failure shows the diff. */
async function expectSameViews(p: PilotDiscovery, normalise: (istiod: Views, mine: Views) => Views = (i) => i, timeoutMs = 60_000): Promise<Views> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await views(p);
    const istiod = normalise(v.istiod, v.ours);
    if (JSON.stringify(istiod) === JSON.stringify(v.ours) || Date.now() > deadline) {
      expect(istiod).toEqual(v.ours);
      return v.istiod;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}

beforeAll(async () => {
  t = await startLabMesh('discovery-conformance', 'examples/multi-primary-multi-network/mesh.yaml', IPS);
  const applied = await runCli('apply', '-f', t.meshPath);
  expect(applied.code, applied.stderr).toBe(0);
  await applyAll(clients('cluster01'), [...helloworld('v1', 2), ...legacy(1)]);
  await applyAll(clients('cluster02'), [...helloworld('v2', 2), ...legacy(2)]);
  // The pods are scheduled, get IPs and turn ready before istiod starts.
  const ready = async () => {
    const r = await ours();
    return CLUSTERS.every((c) => ourEndpointRows(r, HELLO).filter((e) => e.cluster === c && e.health === 'healthy').length === 2);
  };
  const deadline = Date.now() + 120_000;
  while (!(await ready())) {
    if (Date.now() > deadline) throw new Error('helloworld pods not ready in both clusters');
    await new Promise((r) => setTimeout(r, 500));
  }

  pd = await startPilotDiscovery({ binary: labBinaryPaths().pilotDiscovery, kubeconfig: t.lab.kubeconfig, context: 'lab-cluster01', clusterId: 'cluster01', host: PILOT_HOST, readyTimeoutMs: 120_000 });
  pdPid = pd.pid;
});

afterAll(async () => {
  try {
    await pd?.stop();
    if (pdPid !== undefined) expect(groupAlive(pdPid), 'pilot-discovery process group still alive').toBe(false);
  } finally {
    await t?.down();
  }
});

describe('pilot-discovery and buildRegistry on the same multi-primary multi-network lab', () => {
  it('istiod finds cluster02 through the remote secret and lists helloworld with endpoints of both clusters', async () => {
    const p = pd!;
    const deadline = Date.now() + 120_000;
    for (;;) {
      const [clusterz, registryz, shardz] = await Promise.all([
        p.debug<ClusterzEntry[]>('/debug/clusterz'),
        p.debug<RegistryzService[]>('/debug/registryz'),
        p.debug<EndpointShardz>('/debug/endpointShardz'),
      ]);
      const rows = istiodEndpointRows(shardz, HELLO);
      const ok =
        CLUSTERS.every((c) => clusterz.some((x) => x.id === c && x.syncStatus === 'synced')) &&
        registryz.some((s) => s.hostname === HELLO) &&
        CLUSTERS.every((c) => rows.filter((r) => r.cluster === c).length === 2);
      if (ok) {
        expect(clusterz.find((c) => c.id === 'cluster02')?.secretName).toBe('istio-system/istio-remote-secret-cluster02');
        break;
      }
      if (Date.now() > deadline) throw new Error(`pilot-discovery did not sync both clusters: ${JSON.stringify(clusterz)}\n${p.logs().split('\n').slice(-30).join('\n')}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  });

  it('helloworld: the same (cluster, network, address) endpoints, ports, sidecar mode and health', async () => {
    const istiod = await expectSameViews(pd!, allowStartupTerminating);
    expect(istiod.endpoints[HELLO]!.map((r) => `${r.cluster} ${r.network} ${r.tlsMode} ${r.health}`)).toEqual([
      'cluster01 network1 istio healthy',
      'cluster01 network1 istio healthy',
      'cluster02 network2 disabled healthy',
      'cluster02 network2 disabled healthy',
    ]);
    expect(Object.keys(istiod.vips[HELLO]!)).toEqual(['cluster01', 'cluster02']);
    expect(istiod.gateways).toEqual(['network1 cluster01 172.18.11.1:15443 hbone=0', 'network2 cluster02 172.18.12.1:15443 hbone=0']);
  });

  it("helloworld as each network sees it (split horizon): its own pods directly, the other network's sidecar pods through that network's gateway on 15443, weighted by count", async () => {
    const registry = await ours();
    const hello = registry.services.find((s) => s.hostname === HELLO)!;
    const pods = (c: string) => hello.endpoints.filter((e) => e.cluster === c && e.ready).map((e) => e.address).sort();
    const seen = (network: string) => {
      const view = networkView(registry, hello, network, ISTIOD_SPLIT_HORIZON);
      const http = view.ports.find((p) => p.name === 'http')!;
      return { view, endpoints: http.endpoints.map((e) => `${e.via} ${e.address}:${e.port} w${e.weight / view.scaleFactor}`).sort() };
    };
    // From network2: cluster02's v2 pods by address, cluster01's two v1 pods (they have a
    // sidecar) as one gateway endpoint of weight 2.
    expect(seen('network2').endpoints).toEqual([...pods('cluster02').map((a) => `pod ${a}:5000 w1`), 'gateway 172.18.11.1:15443 w2'].sort());
    // From network1: cluster01's pods only; v2 has no sidecar, so istiod cannot send mTLS to it
    // through a gateway and leaves it out, as it does.
    const one = seen('network1');
    expect(one.endpoints).toEqual(pods('cluster01').map((a) => `pod ${a}:5000 w1`));
    expect(one.view.dropped.map((d) => `${d.cluster} ${d.address} ${d.reason}`).sort()).toEqual(pods('cluster02').map((a) => `cluster02 ${a} notMtls`));
  });

  it('every service agrees, the startup health of terminating endpoints aside; after their slices change, exactly', async () => {
    const first = await expectSameViews(pd!, allowStartupTerminating);
    // The listed difference, where istiod shows it: unhealthy or terminating, depending on
    // whether it read the slice before the Service.
    expect(first.endpoints[LEGACY]!.filter((r) => r.address.endsWith('.12')).every((r) => ['unhealthy', 'terminating'].includes(r.health))).toBe(true);

    const touched = String(Date.now());
    await applyAll(clients('cluster01'), legacy(1, touched));
    await applyAll(clients('cluster02'), legacy(2, touched));
    const after = await expectSameViews(pd!);
    expect(after.endpoints[LEGACY]!.map((r) => `${r.cluster} ${r.address} ${r.health}`)).toEqual([
      'cluster01 192.168.1.10 healthy',
      'cluster01 192.168.1.11 unhealthy',
      'cluster01 192.168.1.12 terminating',
      'cluster02 192.168.2.10 healthy',
      'cluster02 192.168.2.11 unhealthy',
      'cluster02 192.168.2.12 terminating',
    ]);
  });

  it('a live change (helloworld-v2 scaled to 3 in cluster02) reaches both views alike', async () => {
    await applyAll(clients('cluster02'), helloworld('v2', 3));
    const deadline = Date.now() + 120_000;
    for (;;) {
      const v = await views(pd!);
      const n = (x: Views) => (x.endpoints[HELLO] ?? []).filter((r) => r.cluster === 'cluster02' && r.health === 'healthy').length;
      if ((n(v.istiod) === 3 && n(v.ours) === 3) || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    const istiod = await expectSameViews(pd!);
    expect(istiod.endpoints[HELLO]!.filter((r) => r.cluster === 'cluster02')).toHaveLength(3);
  });
});

describe('pilot-discovery and buildRegistry on the other seed models', () => {
  it.each(['primary-remote', 'multi-primary', 'primary-remote-multi-network'])('%s: the same services, VIPs, endpoints, gateways and clusters', async (model) => {
    await pd?.stop();
    const destroyed = await runCli('destroy', '-f', t.meshPath);
    expect(destroyed.code, destroyed.stderr).toBe(0);
    await t.use(`examples/${model}/mesh.yaml`);
    const applied = await runCli('apply', '-f', t.meshPath);
    expect(applied.code, applied.stderr).toBe(0);
    pd = await startPilotDiscovery({ binary: labBinaryPaths().pilotDiscovery, kubeconfig: t.lab.kubeconfig, context: 'lab-cluster01', clusterId: 'cluster01', host: PILOT_HOST, readyTimeoutMs: 120_000 });
    pdPid = pd.pid;
    const istiod = await expectSameViews(pd, allowStartupTerminating, 120_000);
    // Both clusters' helloworld pods, seen by istiod through the remote secret.
    expect([...new Set(istiod.endpoints[HELLO]!.map((r) => r.cluster))]).toEqual(['cluster01', 'cluster02']);
    expect(istiod.clusters).toEqual(['cluster01 synced', 'cluster02 synced']);
  });
});
