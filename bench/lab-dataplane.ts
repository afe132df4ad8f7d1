/**
 * The lab data plane's figures, printed beside their targets:
 *   time from `meshfed apply` done to the first answered cross-cluster call (the echo client in
 *   cluster01 answered by HelloWorld v2 in cluster02, through the real istiod), and the lab's
 *   RSS with the data plane running (3 clusters: two primaries and a remote; every lab process
 *   and every process inside the lab's pod namespaces).
 * Run: node --import tsx bench/lab-dataplane.ts   (as root; uses loopback 127.0.43.x; `npm run build` first)
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyObject, kubeClients, listObjects, type KubeObject } from '../src/kube/index.js';
import { ensureLabBinaries, labDown, labRoutes, labUp } from '../src/lab/index.js';
import { listLabNetns, netnsPids } from '../src/lab/netns.js';
import { podRootDir } from '../src/lab/podFiles.js';
import { podNetnsName, podNetworkPlan } from '../src/lab/podNetwork.js';
import { readStateFile } from '../src/lab/state.js';
import { validateMeshFile } from '../src/topology/index.js';
import { numberedMeshYaml } from '../test/lab/numberedMesh.js';
import { meshfedCli, rssBytes } from './labTools.js';

const FIRST_CALL_TARGET_S = 60;
const RSS_TARGET_GIB = 4;

const meshYaml = numberedMeshYaml({ name: 'bench-dataplane', octet: 43, clusters: [{}, {}, { controlPlane: 'cluster01' }] });

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const verdict = (ok: boolean) => (ok ? 'OK' : 'OVER TARGET');

function cli(...args: string[]): void {
  const r = meshfedCli(...args);
  if (r.status !== 0) throw new Error(`meshfed ${args.join(' ')} exited ${r.status}: ${r.out}`);
}

const deployment = (name: string, labels: Record<string, string>, image: string, sa: string): KubeObject =>
  ({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name, namespace: 'sample' }, spec: { replicas: 1, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { serviceAccountName: sa, containers: [{ name: name.split('-')[0], image, ports: [{ containerPort: 5000 }] }] } } } }) as KubeObject;

async function main(): Promise<void> {
  const bins = await ensureLabBinaries({});
  const dir = await mkdtemp(join(tmpdir(), 'meshfed-bench-dp-'));
  const meshPath = join(dir, 'mesh.yaml');
  await writeFile(meshPath, meshYaml);
  const mesh = (await validateMeshFile(meshPath)).mesh!;
  try {
    const lab = await labUp({ mesh, meshPath });
    const state = readStateFile(join(lab.stateDir, 'state.json'))!;
    if (!state.podNetwork) throw new Error('this lab has no pod network (run as root with iproute2)');
    const clients = new Map(mesh.spec.clusters.map((c) => [c.name, kubeClients(lab.kubeconfig, c.context)]));
    cli('certs', '-f', meshPath);
    // The sample first, so apply's end is the only thing the clock waits on.
    for (const [name, k] of clients) {
      for (const o of [
        { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'sample', labels: { 'istio-injection': 'enabled' } } },
        { apiVersion: 'v1', kind: 'Service', metadata: { name: 'helloworld', namespace: 'sample' }, spec: { ports: [{ name: 'grpc', port: 5000 }], selector: { app: 'helloworld' } } },
        { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'helloworld', namespace: 'sample' } },
        { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'sleep', namespace: 'sample' } },
        deployment('sleep', { app: 'sleep' }, 'curlimages/curl:8.16.0', 'sleep'),
        ...(name === 'cluster02' ? [deployment('helloworld-v2', { app: 'helloworld', version: 'v2' }, 'docker.io/istio/examples-helloworld-v2:1.0', 'helloworld')] : []),
      ] as KubeObject[])
        await applyObject(k, o);
    }
    cli('apply', '-f', meshPath);
    const applied = Date.now();
    cli('render', '-f', meshPath, '-o', join(dir, 'out'));
    labRoutes({ mesh, meshPath, renderDir: join(dir, 'out') });

    const node = podNetworkPlan(lab.stateDir, state.clusters).nodes[0]!;
    let answered = 0;
    while (Date.now() - applied < 300_000 && !answered) {
      const pods = (await listObjects(clients.get('cluster01')!, 'v1', 'Pod', { namespace: 'sample' })) as unknown as { metadata: { name: string }; status?: { podIP?: string } }[];
      const sleep = pods.find((p) => p.metadata.name.startsWith('sleep-') && p.status?.podIP);
      const root = sleep && podRootDir(lab.stateDir, 'cluster01', 'sample', sleep.metadata.name);
      const bootstrap = root && join(root, 'etc/istio/proxy/grpc-bootstrap.json');
      if (sleep && bootstrap && existsSync(bootstrap)) {
        const r = spawnSync('ip', ['netns', 'exec', podNetnsName(node, sleep.status!.podIP!), bins.echoClient, '--count', '5', '--qps', '10', '--timeout', '2s', 'xds:///helloworld.sample.svc.cluster.local:5000'], {
          encoding: 'utf8',
          cwd: root,
          env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', GRPC_XDS_BOOTSTRAP: bootstrap, GRPC_XDS_EXPERIMENTAL_SECURITY_SUPPORT: 'true' },
        });
        if (/Cluster=cluster02/.test(r.stdout)) answered = Date.now();
      }
      if (!answered) await new Promise((r) => setTimeout(r, 250));
    }
    if (!answered) throw new Error('no cross-cluster answer within 300 s of apply');
    const firstMs = answered - applied;
    console.log(`apply done → first answered cross-cluster call (cluster01 → v2 in cluster02): ${seconds(firstMs)} (target < ${FIRST_CALL_TARGET_S} s) ${verdict(firstMs < FIRST_CALL_TARGET_S * 1000)}`);

    let peak = 0;
    let count = 0;
    for (let i = 0; i < 6; i++) {
      const pids = new Set([...lab.processes.map((p) => p.pid), ...(readStateFile(join(lab.stateDir, 'state.json'))?.processes ?? []).map((p) => p.pid), ...listLabNetns(state.podNetwork.prefix).flatMap(netnsPids)]);
      count = pids.size;
      peak = Math.max(peak, [...pids].reduce((s, pid) => s + rssBytes(pid), 0));
      await new Promise((r) => setTimeout(r, 5_000));
    }
    const gib = peak / 2 ** 30;
    console.log(`total RSS, 3-cluster lab with its data plane: ${gib.toFixed(2)} GiB over ${count} processes, peak of 30 s (target < ${RSS_TARGET_GIB} GiB) ${verdict(gib < RSS_TARGET_GIB)}`);
  } finally {
    await labDown({ mesh, meshPath }).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : String(e));
  process.exitCode = 1;
});
