/**
 * The discovery engine against a real two-cluster lab: watchers fill the registry from the
 * live API, a remote secret adds and removes a cluster, a killed API server turns its
 * cluster unsynced (the other stays synced) and it recovers once the lab restarts it.
 * Loopback addresses 127.0.12.x belong to this file only.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { remoteKubeconfig } from '../../src/apply/index.js';
import { Supervisor, type ClusterInfo, type Registry } from '../../src/discovery/index.js';
import { applyObject, deleteObject, getObject, kubeClients, kubeClientsFromKubeconfigText, type KubeClients, type KubeObject } from '../../src/kube/index.js';
import { ensureLabBinaries, labDown, labUp, type LabState } from '../../src/lab/index.js';
import { contains, parseCidr, validateMeshFile, type MeshFile } from '../../src/topology/index.js';
import { runCli } from '../cli/run.js';
import { labMeshYaml } from '../lab/helpers.js';
import { eventually } from '../lab/labTools.js';

const IPS: [string, string] = ['127.0.12.1', '127.0.12.2'];
const NS = 'demo';
const HOST = `web.${NS}.svc.cluster.local`;
const POD_CIDR: Record<string, string> = { east: '10.10.0.0/16', west: '10.20.0.0/16' };

let dir: string;
let meshPath: string;
let mesh: MeshFile;
let lab: LabState;
let east: KubeClients;
let west: KubeClients;
let westToken = '';
let remoteSecret: KubeObject;
const running: Supervisor[] = [];

const inCidr = (cidr: string, ip: string) => contains(parseCidr(cidr)!, ip);

function workload(network: string): KubeObject[] {
  return [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'istio-system', labels: { 'topology.istio.io/network': network } } },
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: NS },
      spec: { replicas: 2, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'registry.example/web:1', ports: [{ containerPort: 8080 }] }] } } },
    },
    { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: NS }, spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] } },
  ];
}

/** A reader in west for the remote secret: a service account with list/watch of what discovery reads. */
const reader: KubeObject[] = [
  { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'discovery-reader', namespace: 'istio-system' } },
  { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'discovery-reader-token', namespace: 'istio-system', annotations: { 'kubernetes.io/service-account.name': 'discovery-reader' } }, type: 'kubernetes.io/service-account-token' },
  {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRole',
    metadata: { name: 'discovery-reader' },
    rules: [
      { apiGroups: [''], resources: ['services', 'pods', 'namespaces'], verbs: ['get', 'list', 'watch'] },
      { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['get', 'list', 'watch'] },
    ],
  },
  {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: { name: 'discovery-reader' },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'discovery-reader' },
    subjects: [{ kind: 'ServiceAccount', name: 'discovery-reader', namespace: 'istio-system' }],
  },
];

function supervise(members: ConstructorParameters<typeof Supervisor>[0]['members'], syncTimeoutMs = 20_000): Supervisor {
  const s = new Supervisor({ members, syncTimeoutMs, maxBackoffMs: 2_000 }).start();
  running.push(s);
  return s;
}

const fromMesh = () => supervise({ from: 'mesh', clusters: [{ clusterId: 'east', clients: east }, { clusterId: 'west', clients: () => kubeClients(lab.kubeconfig, 'lab-west') }] }, 5_000);
const fromSecrets = () => supervise({ from: 'secrets', local: { clusterId: 'east', clients: east }, clientsFor: (m) => kubeClientsFromKubeconfigText(m.kubeconfig()) });
const state = (s: Supervisor, id: string): ClusterInfo | undefined => s.clusters().find((c) => c.clusterId === id);

/** Both clusters' web pods, ready, in the registry (two per cluster, from each pod CIDR). */
function readyWeb(registry: Registry, clusters: string[]): boolean {
  const web = registry.services.find((s) => s.hostname === HOST);
  return clusters.every((c) => (web?.endpoints ?? []).filter((e) => e.cluster === c && e.ready).length === 2);
}

beforeAll(async () => {
  await ensureLabBinaries({ parts: ['etcd', 'kwok', 'kube'] });
  dir = await mkdtemp(join(tmpdir(), 'meshfed-discovery-'));
  meshPath = join(dir, 'mesh.yaml');
  await writeFile(meshPath, labMeshYaml('discovery', IPS));
  const v = await validateMeshFile(meshPath);
  expect(v.ok, JSON.stringify(v.diagnostics)).toBe(true);
  mesh = v.mesh!;
  lab = await labUp({ mesh, meshPath });
  east = kubeClients(lab.kubeconfig, 'lab-east');
  west = kubeClients(lab.kubeconfig, 'lab-west');
  for (const [k, network] of [[east, 'net-east'], [west, 'net-west']] as const) for (const o of workload(network)) await applyObject(k, o);
  for (const o of reader) await applyObject(west, o);
  const data = await eventually('the reader token in west', async () => {
    const s = await getObject(west, { apiVersion: 'v1', kind: 'Secret', name: 'discovery-reader-token', namespace: 'istio-system' });
    const d = (s?.['data'] ?? {}) as Record<string, string>;
    return d['token'] && d['ca.crt'] ? d : undefined;
  });
  westToken = Buffer.from(data['token']!, 'base64').toString('utf8');
  const kubeconfig = remoteKubeconfig('west', `https://${IPS[1]}:6443`, data['ca.crt']!, westToken);
  remoteSecret = {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'istio-remote-secret-west', namespace: 'istio-system', labels: { 'istio/multiCluster': 'true' } },
    type: 'Opaque',
    data: { west: Buffer.from(kubeconfig).toString('base64') },
  };
});

afterAll(async () => {
  await Promise.all(running.map((s) => s.stop()));
  if (mesh) await labDown({ mesh, meshPath }).catch(() => undefined);
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('discovery against a real lab', () => {
  it("from the mesh file's contexts: a Service + Deployment per cluster, ready endpoints with pod IPs of each cluster's pod CIDR and network", async () => {
    const s = fromMesh();
    await s.settled();
    expect(s.clusters().map((c) => [c.clusterId, c.source, c.state, c.server])).toEqual([
      ['east', 'mesh', 'synced', `https://${IPS[0]}:6443`],
      ['west', 'mesh', 'synced', `https://${IPS[1]}:6443`],
    ]);
    await eventually('web ready in both clusters', async () => (readyWeb(s.registry(), ['east', 'west']) ? true : undefined), 120_000);
    const web = s.registry().services.find((x) => x.hostname === HOST)!;
    expect(web.clusters.map((c) => c.cluster)).toEqual(['east', 'west']);
    for (const e of web.endpoints) {
      expect(inCidr(POD_CIDR[e.cluster]!, e.address), `${e.address} in ${POD_CIDR[e.cluster]}`).toBe(true);
      expect(e.network).toBe(`net-${e.cluster}`);
      expect(e.ports).toEqual({ http: 8080 });
      expect(e.pod?.namespace).toBe(NS);
    }
    await s.stop();
    expect(s.clusters().every((c) => c.state === 'closed')).toBe(true);
  });

  it('from remote secrets: a secret added adds the cluster, synced with its own token; `discover -o json` shows no token; deleted removes it', async () => {
    const s = fromSecrets();
    await s.settled();
    expect(s.clusters().map((c) => [c.clusterId, c.source, c.state])).toEqual([['east', 'local', 'synced']]);

    await applyObject(east, remoteSecret);
    await eventually('west added and synced', async () => (state(s, 'west')?.state === 'synced' ? true : undefined), 30_000);
    expect(state(s, 'west')).toEqual({ clusterId: 'west', source: 'secret', server: `https://${IPS[1]}:6443`, state: 'synced', secret: { namespace: 'istio-system', name: 'istio-remote-secret-west' } });
    await eventually('west endpoints through the secret', async () => (readyWeb(s.registry(), ['east', 'west']) ? true : undefined), 60_000);

    const cli = await runCli('discover', '-f', meshPath, '--from', 'secrets', '-o', 'json', '--network', 'net-east');
    expect(cli.code, cli.stderr).toBe(0);
    expect(cli.stdout).not.toContain(westToken);
    expect(cli.stdout).not.toContain(Buffer.from(westToken).toString('base64').slice(0, 40));
    expect(cli.stdout).not.toContain(String(remoteSecret['data'] && (remoteSecret['data'] as Record<string, string>)['west']!.slice(0, 40)));
    const report = JSON.parse(cli.stdout) as { clusters: ClusterInfo[]; services: { hostname: string; endpoints: { cluster: string; ready: boolean }[] }[]; view: { hostname: string; network: string }[] };
    expect(report.clusters.map((c) => [c.clusterId, c.source, c.state]), JSON.stringify({ clusters: report.clusters, secrets: (report as unknown as { secrets: unknown }).secrets })).toEqual([['east', 'local', 'synced'], ['west', 'secret', 'synced']]);
    expect(report.services.find((x) => x.hostname === HOST)?.endpoints.filter((e) => e.ready).map((e) => e.cluster)).toEqual(['east', 'east', 'west', 'west']);
    expect(report.view.find((v) => v.hostname === HOST)?.network).toBe('net-east');

    await deleteObject(east, { apiVersion: 'v1', kind: 'Secret', name: 'istio-remote-secret-west', namespace: 'istio-system' });
    await eventually('west removed', async () => (state(s, 'west') === undefined ? true : undefined), 30_000);
    expect(s.registry().services.find((x) => x.hostname === HOST)!.endpoints.every((e) => e.cluster === 'east')).toBe(true);
    await s.stop();
  });

  it('remote secrets as istiod reads them: two clusters in one secret, the local cluster ignored, a bad kubeconfig an error that breaks nothing', async () => {
    const s = fromSecrets();
    await s.settled();
    const kc = Buffer.from(remoteSecret['data'] ? (remoteSecret['data'] as Record<string, string>)['west']! : '', 'base64').toString('utf8');
    const secret = (name: string, data: Record<string, string>): KubeObject => ({
      ...remoteSecret,
      metadata: { name, namespace: 'istio-system', labels: { 'istio/multiCluster': 'true' } },
      data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
    });
    // One secret, two cluster IDs (the same API server under a second name), and the local ID.
    // west-b: the same kubeconfig with its names changed (the token kept as it is).
    const westB = kc.replaceAll('west', 'west-b').replaceAll(westToken.replaceAll('west', 'west-b'), westToken);
    await applyObject(east, secret('istio-remote-secret-pair', { west: kc, 'west-b': westB, east: kc }));
    await applyObject(east, secret('istio-remote-secret-bad', { broken: 'clusters: [ this is not a kubeconfig' }));
    await eventually('west and west-b synced from one secret', async () => (state(s, 'west')?.state === 'synced' && state(s, 'west-b')?.state === 'synced' ? true : undefined), 30_000);
    expect(state(s, 'west-b')?.secret).toEqual({ namespace: 'istio-system', name: 'istio-remote-secret-pair' });
    const problems = await eventually('the bad secret reported', async () => (s.secretProblems().errors.length ? s.secretProblems() : undefined), 30_000);
    expect(problems.ignored.map((i) => [i.clusterId, i.reason])).toEqual([['east', 'localCluster']]);
    expect(problems.errors.map((e) => [e.clusterId, e.code, e.secret.name])).toEqual([['broken', 'MF9003', 'istio-remote-secret-bad']]);
    expect(state(s, 'broken')).toBeUndefined();
    expect(state(s, 'east')?.state).toBe('synced');
    await eventually('west-b endpoints too', async () => (readyWeb(s.registry(), ['east', 'west', 'west-b']) ? true : undefined), 30_000);

    for (const name of ['istio-remote-secret-pair', 'istio-remote-secret-bad']) await deleteObject(east, { apiVersion: 'v1', kind: 'Secret', name, namespace: 'istio-system' });
    await s.stop();
  });

  it('`meshfed serve --from secrets`: the API shows both clusters synced and the split-horizon view, never the token; SIGTERM stops it', async () => {
    await applyObject(east, remoteSecret);
    const child = spawn(process.execPath, [resolve('bin/meshfed.js'), 'serve', '-f', meshPath, '--from', 'secrets', '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    try {
      const url = await new Promise<string>((res, rej) => {
        createInterface({ input: child.stdout }).once('line', res);
        child.once('exit', (code) => rej(new Error(`serve exited ${code}: ${stderr}`)));
      });
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const text = async (path: string) => (await fetch(`${url}${path}`)).text();
      await eventually('both clusters synced in the API', async () => {
        const c = JSON.parse(await text('/api/v1/clusters')) as { clusters: ClusterInfo[] };
        return c.clusters.map((x) => `${x.clusterId}:${x.state}`).join(',') === 'east:synced,west:synced' ? true : undefined;
      }, 60_000);
      const view = await eventually('west endpoints in the view from east (no gateway in this lab: by pod address, as istiod does)', async () => {
        const v = JSON.parse(await text(`/api/v1/services/${HOST}/endpoints?cluster=east`)) as { network: string; ports: { endpoints: { cluster: string; address: string }[] }[] };
        return v.ports[0]?.endpoints.some((e) => e.cluster === 'west') ? v : undefined;
      }, 60_000);
      expect(view.network).toBe('net-east');
      for (const path of ['/api/v1/clusters', '/api/v1/services', `/api/v1/services/${HOST}/endpoints`]) expect(await text(path)).not.toContain(westToken);
    } finally {
      child.kill('SIGTERM');
      const code = await new Promise<number | null>((res) => (child.exitCode !== null ? res(child.exitCode) : child.once('exit', (c) => res(c))));
      expect(code, stderr).toBe(0);
      await deleteObject(east, { apiVersion: 'v1', kind: 'Secret', name: 'istio-remote-secret-west', namespace: 'istio-system' });
    }
  });

  it('a killed API server: its cluster leaves synced with lastError unreachable, the other stays synced; `discover` exits 69; back to synced after labUp', async () => {
    const s = fromMesh();
    await s.settled();
    expect(s.clusters().map((c) => c.state)).toEqual(['synced', 'synced']);
    const apiserver = lab.processes.find((p) => p.component === 'kube-apiserver' && p.cluster === 'west')!;
    process.kill(apiserver.pid, 'SIGKILL');

    await eventually('west unsynced, unreachable', async () => {
      const w = state(s, 'west');
      return w && w.state !== 'synced' && w.lastError?.cause === 'unreachable' ? true : undefined;
    }, 30_000);
    await eventually('west timeout', async () => (state(s, 'west')?.state === 'timeout' ? true : undefined), 15_000);
    expect(state(s, 'west')?.lastError).toMatchObject({ code: 'MF7001', cause: 'unreachable' });
    expect(state(s, 'east')).toEqual({ clusterId: 'east', source: 'mesh', server: `https://${IPS[0]}:6443`, state: 'synced' });
    // The last known endpoints stay, as in istiod.
    expect(readyWeb(s.registry(), ['east', 'west'])).toBe(true);

    const cli = await runCli('discover', '-f', meshPath, '--timeout', '3');
    expect(cli.code, cli.stderr).toBe(69);
    expect(cli.stdout).toMatch(/west {2}timeout/);
    expect(cli.stdout).toMatch(/MF7001 \[unreachable\]/);
    expect(cli.stdout).toContain(HOST);

    lab = await labUp({ mesh, meshPath });
    await eventually('west synced again', async () => (state(s, 'west')?.state === 'synced' ? true : undefined), 60_000);
    expect(state(s, 'west')?.lastError).toBeUndefined();
    expect(state(s, 'east')?.state).toBe('synced');
    await eventually('west endpoints after recovery', async () => (readyWeb(s.registry(), ['east', 'west']) ? true : undefined), 60_000);
  });
});
