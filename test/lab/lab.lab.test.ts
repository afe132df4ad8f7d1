/**
 * One two-cluster lab, proved with the real API and the real kubectl: workloads, endpoints,
 * the lab load balancer (east names no pool, so the lab picks one), service account tokens,
 * RBAC, and a clean `lab down`.
 * Loopback addresses 127.0.2.x belong to this file only.
 */
import { readFileSync, statSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { applyObject, getObject, isKubeError, kubeClients, listObjects, readyz, type KubeObject } from '../../src/kube/index.js';
import { ensureLabBinaries, labDown, labStatus, labUp, type LabBinaries, type LabState } from '../../src/lab/index.js';
import { findLabProcesses, isAlive, spawnComponent, readCmdline } from '../../src/lab/processes.js';
import { contains, parseCidr, validateMeshFile, type MeshFile } from '../../src/topology/index.js';
import { runCli } from '../cli/run.js';
import { labMeshYaml } from './helpers.js';
import { eventually, kubectl } from './labTools.js';

const IPS: [string, string] = ['127.0.2.1', '127.0.2.2'];
const NS = 'lab-test';

let dir: string;
let meshPath: string;
let mesh: MeshFile;
let bin: LabBinaries;
let lab: LabState;
let downDone = false;

const inCidr = (cidr: string, ip: string | undefined) => !!ip && contains(parseCidr(cidr)!, ip);
const k = (context: string, args: string[], input?: string) => kubectl(bin.kubectl, lab.kubeconfig, context, args, input);

const workload = `apiVersion: v1
kind: Namespace
metadata: { name: ${NS} }
---
apiVersion: apps/v1
kind: Deployment
metadata: { name: web, namespace: ${NS} }
spec:
  replicas: 3
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec:
      containers:
      - { name: web, image: registry.example/web:1, ports: [{ containerPort: 8080 }] }
---
apiVersion: v1
kind: Service
metadata: { name: web, namespace: ${NS} }
spec:
  selector: { app: web }
  ports: [{ name: http, port: 80, targetPort: 8080 }]
`;

beforeAll(async () => {
  bin = await ensureLabBinaries({ parts: ['etcd', 'kwok', 'kube'] });
  dir = await mkdtemp(join(tmpdir(), 'meshfed-lab-'));
  meshPath = join(dir, 'mesh.yaml');
  // east names no loadBalancerPool: the lab picks one for it, as a cloud would.
  await writeFile(meshPath, labMeshYaml('labtest', IPS).replace('    loadBalancerPool: 172.18.11.0/24\n', ''));
  const v = await validateMeshFile(meshPath);
  expect(v.ok, JSON.stringify(v.diagnostics)).toBe(true);
  mesh = v.mesh!;
  lab = await labUp({ mesh, meshPath });
});

afterAll(async () => {
  if (!downDone && mesh) await labDown({ mesh, meshPath }).catch(() => undefined);
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('a two-cluster lab', () => {
  it('is healthy, with a kubeconfig context per cluster as the mesh file names them', async () => {
    const status = await labStatus({ mesh, meshPath });
    expect(status.healthy, status.problem).toBe(true);
    expect(status.etcd?.process?.alive).toBe(true);
    expect(status.loadBalancer?.alive).toBe(true);
    expect(status.clusters.map((c) => [c.name, c.context, c.apiServer])).toEqual([
      ['east', 'lab-east', `https://${IPS[0]}:6443`],
      ['west', 'lab-west', `https://${IPS[1]}:6443`],
    ]);
    for (const c of status.clusters) {
      expect(c.processes.map((p) => [p.name, p.alive])).toEqual([
        ['kube-apiserver', true],
        ['kube-controller-manager', true],
        ['kube-scheduler', true],
        ['kwok', true],
      ]);
      expect(c.nodesReady).toBe(2);
    }
    const kubeconfig = parse(await readFile(lab.kubeconfig, 'utf8')) as { contexts: { name: string; context: { cluster: string; user: string } }[]; clusters: { name: string; cluster: { server: string } }[] };
    expect(kubeconfig.contexts.map((c) => [c.name, c.context.cluster, c.context.user])).toEqual([
      ['lab-east', 'lab-east', 'lab-east'],
      ['lab-west', 'lab-west', 'lab-west'],
    ]);
    expect(kubeconfig.clusters.map((c) => c.cluster.server)).toEqual([`https://${IPS[0]}:6443`, `https://${IPS[1]}:6443`]);
    expect(statSync(lab.kubeconfig).mode & 0o777).toBe(0o600);
    expect(statSync(join(lab.stateDir, 'clusters', 'east', 'pki', 'client-admin.key')).mode & 0o777).toBe(0o600);
  });

  it('runs Deployments: Running pods with IPs from the planned pod CIDR, ClusterIPs from the service CIDR, EndpointSlices listing the pods', async () => {
    for (const [context, podCIDR, serviceCIDR] of [
      ['lab-east', '10.10.0.0/16', '10.11.0.0/16'],
      ['lab-west', '10.20.0.0/16', '10.21.0.0/16'],
    ] as const) {
      const applied = k(context, ['apply', '-f', '-'], workload);
      expect(applied.status, applied.stderr).toBe(0);
      // `wait` with a selector fails at once if no pod exists yet, so wait on the Deployment first.
      const available = k(context, ['wait', '--for=condition=Available', 'deployment/web', '-n', NS, '--timeout=120s']);
      expect(available.status, available.stderr).toBe(0);
      const waited = k(context, ['wait', '--for=condition=Ready', 'pod', '-l', 'app=web', '-n', NS, '--timeout=120s']);
      expect(waited.status, waited.stderr).toBe(0);
      expect(waited.stdout.match(/condition met/g)?.length).toBe(3);

      const clients = kubeClients(lab.kubeconfig, context);
      const pods = (await listObjects(clients, 'v1', 'Pod', { namespace: NS, labelSelector: 'app=web' })) as (KubeObject & { status?: { phase?: string; podIP?: string } })[];
      expect(pods).toHaveLength(3);
      for (const p of pods) {
        expect(p.status?.phase).toBe('Running');
        expect(inCidr(podCIDR, p.status?.podIP), `${p.status?.podIP} in ${podCIDR}`).toBe(true);
      }
      const svc = (await getObject(clients, { apiVersion: 'v1', kind: 'Service', name: 'web', namespace: NS })) as KubeObject & { spec: { clusterIP: string } };
      expect(inCidr(serviceCIDR, svc.spec.clusterIP), `${svc.spec.clusterIP} in ${serviceCIDR}`).toBe(true);

      const podIPs = pods.map((p) => p.status?.podIP).sort();
      await eventually(`${context}: EndpointSlice of web lists the pods`, async () => {
        const slices = (await listObjects(clients, 'discovery.k8s.io/v1', 'EndpointSlice', { namespace: NS, labelSelector: 'kubernetes.io/service-name=web' })) as (KubeObject & { endpoints?: { addresses: string[]; conditions?: { ready?: boolean } }[] })[];
        const ready = slices.flatMap((s) => (s.endpoints ?? []).filter((e) => e.conditions?.ready).flatMap((e) => e.addresses)).sort();
        return JSON.stringify(ready) === JSON.stringify(podIPs) ? true : undefined;
      });
    }
  });

  it('the real kubectl gets, labels and annotates', async () => {
    const got = k('lab-west', ['get', 'deployment', 'web', '-n', NS, '-o', 'jsonpath={.status.readyReplicas}']);
    expect(got.status, got.stderr).toBe(0);
    expect(got.stdout).toBe('3');
    expect(k('lab-west', ['label', 'deployment', 'web', '-n', NS, 'tier=frontend']).status).toBe(0);
    expect(k('lab-west', ['annotate', 'deployment', 'web', '-n', NS, 'meshfed.io/note=from-kubectl']).status).toBe(0);
    const d = await getObject(kubeClients(lab.kubeconfig, 'lab-west'), { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', namespace: NS });
    expect(d?.metadata.labels?.['tier']).toBe('frontend');
    expect(d?.metadata.annotations?.['meshfed.io/note']).toBe('from-kubectl');
    const nodes = k('lab-east', ['get', 'nodes', '-l', 'type=kwok', '-o', 'name']);
    expect(nodes.stdout.trim().split('\n')).toEqual(['node/east-node-1', 'node/east-node-2']);
  });

  it('picks a load balancer pool for a cluster whose mesh file names none, records it and shows it in lab status', async () => {
    const status = await labStatus({ mesh, meshPath });
    expect(status.clusters.map((c) => [c.name, c.loadBalancerPool, c.loadBalancerPoolPicked])).toEqual([
      ['east', '198.18.0.0/24', true],
      ['west', '172.18.12.0/24', false],
    ]);
    const state = JSON.parse(readFileSync(join(lab.stateDir, 'state.json'), 'utf8')) as { clusters: { name: string; loadBalancerPool: string }[] };
    expect(state.clusters.map((c) => c.loadBalancerPool)).toEqual(['198.18.0.0/24', '172.18.12.0/24']);
    expect(readFileSync(meshPath, 'utf8')).not.toContain('198.18.');
    const cli = await runCli('lab', 'status', '-f', meshPath);
    expect(cli.code, cli.stderr).toBe(0);
    expect(cli.stdout).toMatch(/east \(context lab-east\)[^\n]*\n\s+pods 10\.10\.0\.0\/16 {2}services 10\.11\.0\.0\/16 {2}load balancer pool 198\.18\.0\.0\/24 \(picked by the lab\)/);
    expect(cli.stdout).toMatch(/load balancer pool 172\.18\.12\.0\/24 {2}nodes/);
  });

  it('the lab load balancer gives LoadBalancer Services an address from the cluster pool, or the one the lab picked', async () => {
    const lb = (name: string, annotations: Record<string, string> = {}): KubeObject => ({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name, namespace: NS, annotations },
      spec: { type: 'LoadBalancer', selector: { app: 'web' }, ports: [{ name: 'tls', port: 15443 }] },
    });
    const ipOf = async (context: string, name: string) => {
      const s = (await getObject(kubeClients(lab.kubeconfig, context), { apiVersion: 'v1', kind: 'Service', name, namespace: NS })) as KubeObject & { status?: { loadBalancer?: { ingress?: { ip?: string }[] } } };
      return s.status?.loadBalancer?.ingress?.[0]?.ip;
    };
    const west = kubeClients(lab.kubeconfig, 'lab-west');
    await applyObject(west, lb('gw'));
    await applyObject(west, lb('pinned', { 'metallb.universe.tf/loadBalancerIPs': '172.18.12.50' }));
    await applyObject(kubeClients(lab.kubeconfig, 'lab-east'), lb('gw'));
    expect(await eventually('west gw address', () => ipOf('lab-west', 'gw'))).toBe('172.18.12.0');
    expect(await eventually('west pinned address', () => ipOf('lab-west', 'pinned'))).toBe('172.18.12.50');
    expect(await eventually('east gw address', () => ipOf('lab-east', 'gw'))).toBe('198.18.0.0');
    const shown = k('lab-west', ['get', 'svc', 'gw', '-n', NS, '-o', 'jsonpath={.status.loadBalancer.ingress[0].ip}']);
    expect(shown.stdout).toBe('172.18.12.0');
    // Asking for an address outside the pool: the lab load balancer takes its address back.
    expect(k('lab-west', ['annotate', '--overwrite', 'svc', 'pinned', '-n', NS, 'metallb.universe.tf/loadBalancerIPs=10.99.0.1']).status).toBe(0);
    await eventually('pinned address released', async () => ((await ipOf('lab-west', 'pinned')) === undefined ? true : undefined));
  });

  it('fills in service account token Secrets, and RBAC denies what a read-only role must not do', async () => {
    const context = 'lab-east';
    const clients = kubeClients(lab.kubeconfig, context);
    const manifests = `apiVersion: v1
kind: ServiceAccount
metadata: { name: reader, namespace: ${NS} }
---
apiVersion: v1
kind: Secret
metadata:
  name: reader-token
  namespace: ${NS}
  annotations: { kubernetes.io/service-account.name: reader }
type: kubernetes.io/service-account-token
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: { name: read-only, namespace: ${NS} }
rules:
- { apiGroups: [""], resources: [pods, services], verbs: [get, list, watch] }
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: { name: reader-read-only, namespace: ${NS} }
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: Role, name: read-only }
subjects:
- { kind: ServiceAccount, name: reader, namespace: ${NS} }
`;
    const applied = k(context, ['apply', '-f', '-'], manifests);
    expect(applied.status, applied.stderr).toBe(0);
    const secret = await eventually('token Secret filled in', async () => {
      const s = (await getObject(clients, { apiVersion: 'v1', kind: 'Secret', name: 'reader-token', namespace: NS })) as KubeObject & { data?: Record<string, string> };
      return s.data?.['token'] && s.data['ca.crt'] ? s.data : undefined;
    });
    const token = Buffer.from(secret['token']!, 'base64').toString('utf8');
    const claims = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as { sub?: string };
    expect(claims.sub).toBe(`system:serviceaccount:${NS}:reader`);
    expect(Buffer.from(secret['ca.crt']!, 'base64').toString('utf8')).toBe(readFileSync(join(lab.stateDir, 'clusters', 'east', 'pki', 'ca.crt'), 'utf8'));

    // A kubeconfig for the reader alone (token auth), kept private like the admin one.
    const readerConfig = join(dir, 'reader.kubeconfig');
    await writeFile(
      readerConfig,
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Config',
        'current-context': 'reader',
        clusters: [{ name: 'east', cluster: { server: `https://${IPS[0]}:6443`, 'certificate-authority-data': secret['ca.crt'] } }],
        users: [{ name: 'reader', user: { token } }],
        contexts: [{ name: 'reader', context: { cluster: 'east', user: 'reader', namespace: NS } }],
      }),
      { mode: 0o600 },
    );
    const asReader = (args: string[]) => kubectl(bin.kubectl, readerConfig, undefined, args);
    expect(asReader(['get', 'pods', '-n', NS]).status).toBe(0);
    const create = asReader(['create', 'configmap', 'nope', '-n', NS]);
    expect(create.status).not.toBe(0);
    expect(create.stderr).toMatch(/forbidden/i);
    expect(asReader(['get', 'secrets', '-n', NS]).stderr).toMatch(/forbidden/i);
    expect(asReader(['delete', 'pods', '--all', '-n', NS]).stderr).toMatch(/forbidden/i);
    expect(asReader(['auth', 'can-i', 'delete', 'pods', '-n', NS]).stdout.trim()).toBe('no');

    const reader = kubeClients(readerConfig, 'reader');
    expect((await listObjects(reader, 'v1', 'Pod', { namespace: NS })).length).toBe(3);
    const denied = await applyObject(reader, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'nope', namespace: NS }, data: { a: 'b' } }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isKubeError(denied) && denied.reason).toBe('forbidden');
  });

  it('the lab load balancer carries on after its API server restarts', async () => {
    const rec = lab.processes.find((p) => p.component === 'kube-apiserver' && p.cluster === 'west')!;
    const argv = readCmdline(rec.pid)!;
    process.kill(-rec.pid, 'SIGKILL');
    await eventually('west API server gone', async () => (isAlive(rec.pid) ? undefined : true));
    const west = kubeClients(lab.kubeconfig, 'lab-west');
    // Created while the API server is down? Impossible; so restart it with the same flags.
    const restarted = spawnComponent({ binary: argv[0]!, args: argv.slice(1), logPath: rec.log });
    // Requests are served a moment before /readyz passes (the Service IP allocator is not
    // running yet), so wait for readiness as `lab up` does.
    const back = await eventually(
      'west API server back',
      async () => {
        // Each ask bounded, as `lab up` asks: one request caught while the server starts must
        // not use up the whole wait.
        const r = await readyz(west, { timeoutMs: 3_000 });
        if (r.ready) return true;
        throw new Error(r.detail ?? 'not ready');
      },
      120_000,
    ).catch(async (e: unknown) => {
      // Say why: the restarted API server's own last lines.
      const tail = (await readFile(rec.log, 'utf8').catch(() => '')).split('\n').slice(-25).join('\n');
      const alive = isAlive(restarted.pid) ? 'running' : 'exited';
      throw new Error(`${(e as Error).message}; the restarted API server (pid ${restarted.pid}) ${alive}\n--- ${rec.log} (last lines) ---\n${tail}`);
    });
    expect(back).toBe(true);
    await applyObject(west, {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'after-restart', namespace: NS },
      spec: { type: 'LoadBalancer', selector: { app: 'web' }, ports: [{ port: 80 }] },
    });
    const ip = await eventually('address after restart', async () => {
      const s = (await getObject(west, { apiVersion: 'v1', kind: 'Service', name: 'after-restart', namespace: NS })) as KubeObject & { status?: { loadBalancer?: { ingress?: { ip?: string }[] } } };
      return s.status?.loadBalancer?.ingress?.[0]?.ip;
    }, 90_000);
    expect(ip).toBe('172.18.12.1');
    const log = await readFile(join(lab.stateDir, 'logs', 'lab-load-balancer.log'), 'utf8');
    expect(log).toMatch(/west: re-listing in \d+ ms after/);
  });

  it('lab down stops every process it started, including ones it did not record, and removes its state', async () => {
    const status = await labStatus({ mesh, meshPath });
    const markers = [lab.stateDir];
    const before = findLabProcesses(markers, [bin.etcd, bin.kubeApiserver, bin.kubeControllerManager, bin.kubeScheduler, bin.kwok, process.execPath]);
    // 2 × (apiserver, kcm, scheduler, kwok) + load balancer (etcd's command line names its tmpfs dir instead)
    expect(before.length).toBeGreaterThanOrEqual(9);
    const { stopped } = await labDown({ mesh, meshPath });
    downDone = true;
    expect(stopped).toBeGreaterThanOrEqual(10);
    for (const p of lab.processes) expect(isAlive(p.pid), `${p.component} ${p.pid}`).toBe(false);
    for (const f of before) expect(isAlive(f.pid), f.argv[0]).toBe(false);
    expect(status.etcd?.process?.pid && isAlive(status.etcd.process.pid)).toBe(false);
    expect(findLabProcesses(markers, [bin.etcd, bin.kubeApiserver, bin.kubeControllerManager, bin.kubeScheduler, bin.kwok, process.execPath])).toEqual([]);
    expect(() => statSync(lab.stateDir)).toThrow();
    expect((await labStatus({ mesh, meshPath })).phase).toBe('absent');
  });
});
