/**
 * Shared by the lab data plane's test files: one lab with a mesh applied by `meshfed apply`
 * and its rendered routes, seed 000's sample objects, and Istio's echo client run inside a
 * lab pod's namespace with the bootstrap its agent wrote.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { listObjects, kubeClients, type KubeClients, type KubeObject } from '../../src/kube/index.js';
import { ensureLabBinaries, labDown, labRoutes, labUp, type LabBinaries, type LabState } from '../../src/lab/index.js';
import { podRootDir } from '../../src/lab/podFiles.js';
import { podNetworkPlan, podNetnsName } from '../../src/lab/podNetwork.js';
import { readStateFile } from '../../src/lab/state.js';
import { validateMeshFile, type MeshFile } from '../../src/topology/index.js';
import { echoAnswers } from '../../src/verify/index.js';
import { runCli } from '../cli/run.js';
import { eventually } from './labTools.js';

export const HOST = 'xds:///helloworld.sample.svc.cluster.local:5000';

export const sampleNamespace = (): KubeObject => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'sample', labels: { 'istio-injection': 'enabled' } } });
export const helloService = (): KubeObject => ({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'helloworld', namespace: 'sample', labels: { app: 'helloworld' } }, spec: { ports: [{ name: 'grpc', port: 5000 }], selector: { app: 'helloworld' } } }) as KubeObject;
export const serviceAccount = (name: string): KubeObject => ({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace: 'sample' } });
export function deployment(name: string, labels: Record<string, string>, image: string, account: string, podLabels: Record<string, string> = {}): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: 'sample' },
    spec: { replicas: 1, selector: { matchLabels: labels }, template: { metadata: { labels: { ...labels, ...podLabels } }, spec: { serviceAccountName: account, containers: [{ name: name.split('-')[0], image, ports: [{ containerPort: 5000 }] }] } } },
  } as KubeObject;
}
export const helloworld = (version: string, podLabels: Record<string, string> = {}) =>
  deployment(`helloworld-${version}`, { app: 'helloworld', version }, `docker.io/istio/examples-helloworld-${version}:1.0`, 'helloworld', podLabels);
export const sleepClient = () => deployment('sleep', { app: 'sleep' }, 'curlimages/curl:8.16.0', 'sleep');

export interface LabPod {
  name: string;
  ip: string;
  netns: string;
  root: string;
}

export interface DataplaneLab {
  dir: string;
  meshPath: string;
  /** The rendered files (`meshfed render -o`). */
  out: string;
  mesh: MeshFile;
  lab: LabState;
  bins: LabBinaries;
  clients: Map<string, KubeClients>;
  down(): Promise<void>;
}

/** Lab up, certs, apply, render, and the rendered routes applied: the mesh as a user builds it. */
export async function startDataplaneLab(name: string, yaml: string): Promise<DataplaneLab> {
  const bins = await ensureLabBinaries({});
  const dir = await mkdtemp(join(tmpdir(), `meshfed-${name}-`));
  const meshPath = join(dir, 'mesh.yaml');
  const out = join(dir, 'out');
  await writeFile(meshPath, yaml);
  const v = await validateMeshFile(meshPath);
  expect(v.ok, JSON.stringify(v.diagnostics)).toBe(true);
  const mesh = v.mesh!;
  let lab: LabState;
  try {
    lab = await labUp({ mesh, meshPath });
  } catch (e) {
    await labDown({ mesh, meshPath }).catch(() => undefined);
    throw e;
  }
  const clients = new Map(mesh.spec.clusters.map((c) => [c.name, kubeClients(lab.kubeconfig, c.context)]));
  const down = async () => {
    await labDown({ mesh, meshPath }).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  };
  try {
    for (const args of [['certs', '-f', meshPath], ['apply', '-f', meshPath], ['render', '-f', meshPath, '-o', out]]) {
      const r = await runCli(...args);
      expect(r.code, `${args[0]}: ${r.stderr}${r.stdout}`).toBe(0);
    }
    labRoutes({ mesh, meshPath, renderDir: out });
  } catch (e) {
    await down();
    throw e;
  }
  return { dir, meshPath, out, mesh, lab, bins, clients, down };
}

/** A running pod of the sample namespace whose name starts with `prefix`, with where the lab runs it. */
export async function samplePod(l: DataplaneLab, cluster: string, prefix: string, namespace = 'sample'): Promise<LabPod> {
  const state = readStateFile(join(l.lab.stateDir, 'state.json'))!;
  const node = podNetworkPlan(l.lab.stateDir, state.clusters).nodes.find((n) => n.name === cluster)!;
  return eventually(`${cluster}: a running ${prefix} pod`, async () => {
    const pods = (await listObjects(l.clients.get(cluster)!, 'v1', 'Pod', { namespace })) as unknown as { metadata: { name: string }; status?: { phase?: string; podIP?: string } }[];
    const p = pods.find((x) => x.metadata.name.startsWith(prefix) && x.status?.phase === 'Running' && x.status.podIP);
    if (!p) return undefined;
    const root = podRootDir(l.lab.stateDir, cluster, namespace, p.metadata.name);
    // The sample's pods are injected: ready once the agent has written the app's gRPC bootstrap.
    if (namespace === 'sample' && !existsSync(join(root, 'etc/istio/proxy/grpc-bootstrap.json'))) return undefined;
    return { name: p.metadata.name, ip: p.status!.podIP!, netns: podNetnsName(node, p.status!.podIP!), root };
  }, 120_000);
}

const clientEnv = (pod: LabPod) => ({ PATH: process.env['PATH'] ?? '/usr/bin:/bin', GRPC_XDS_BOOTSTRAP: join(pod.root, 'etc/istio/proxy/grpc-bootstrap.json'), GRPC_XDS_EXPERIMENTAL_SECURITY_SUPPORT: 'true' });

/** Istio's echo client, run inside the client pod's namespace with the bootstrap its agent wrote. */
export function echoClient(l: DataplaneLab, pod: LabPod, args: string[], env: Record<string, string> = {}): { ok: boolean; out: string } {
  const r = spawnSync('ip', ['netns', 'exec', pod.netns, l.bins.echoClient, ...args], { encoding: 'utf8', timeout: 60_000, cwd: pod.root, env: { ...clientEnv(pod), ...env } });
  return { ok: r.status === 0, out: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}

/**
 * Calls the mesh over and over until stopped: a client pod's agent holds its xDS stream to
 * istiod only while its app has one open (so istiod lists a client only during calls), and
 * the echo client ends at its first failed request.
 */
export function keepCalling(l: DataplaneLab, pod: LabPod): { stop(): void } {
  const loop = `while :; do "$0" --count 50 --qps 5 --timeout 2s ${HOST}; sleep 0.2; done`;
  const child: ChildProcess = spawn('ip', ['netns', 'exec', pod.netns, 'sh', '-c', loop, l.bins.echoClient], { cwd: pod.root, env: clientEnv(pod), stdio: 'ignore', detached: true });
  return {
    stop() {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // gone already
      }
    },
  };
}

/** 20 calls, paced (gRPC round robin only uses connections already up: istio/istio#32208). */
export const callMesh = (l: DataplaneLab, pod: LabPod) => echoClient(l, pod, ['--count', '20', '--qps', '10', '--timeout', '5s', HOST]);

/** Who answered: `v1@cluster01` → count, from the echo server's `ServiceVersion=` and `Cluster=` (verify's parser). */
export function tally(out: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const a of echoAnswers(out)) if (a.cluster) counts.set(`${a.version}@${a.cluster}`, (counts.get(`${a.version}@${a.cluster}`) ?? 0) + 1);
  return counts;
}

/** Pod names that answered (`Hostname=`: each lab pod has its own UTS namespace named after it). */
export const hostnames = (out: string) => new Set(echoAnswers(out).map((a) => a.pod));

/** GET on istiod's monitoring port (15014) from inside its own pod namespace. */
export async function istiodDebug(l: DataplaneLab, cluster: string, path: string): Promise<string> {
  const istiod = await samplePod(l, cluster, 'istiod-', 'istio-system');
  const r = spawnSync('ip', ['netns', 'exec', istiod.netns, 'curl', '-sf', `http://localhost:15014${path}`], { encoding: 'utf8', timeout: 30_000 });
  if (r.status !== 0) throw new Error(`istiod ${path}: curl exited ${r.status}: ${r.stderr}`);
  return r.stdout;
}
