import { mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { MeshFile } from '../topology/index.js';
import { applyObject, kubeClients, patchStatus, readyz } from '../kube/index.js';
import { ensureLabBinaries, labProgramPaths } from './binaries.js';
import {
  apiServerSpec,
  controllerManagerSpec,
  etcdSpec,
  kwokSpec,
  loadBalancerSpec,
  schedulerSpec,
  type ComponentSpec,
} from './components.js';
import { writeExecWrapperDir } from './execWrapper.js';
import { clusterSettled, inspectLab } from './inspect.js';
import { kwokCrdsEstablished, readKwokCrds } from './kwokCrds.js';
import { renderComponentKubeconfig, writeLabKubeconfig } from './kubeconfig.js';
import { defaultLabStateDir, labLayout, type LabLayout } from './layout.js';
import { loadBalancerEntry, podRunnerEntry } from './loadBalancerEntry.js';
import { createPodNetwork, podNetworkPossible, removeLabNetns } from './netns.js';
import { podNetworkPlan, podNetworkPrefix } from './podNetwork.js';
import { fillApiServersInFile } from './meshFile.js';
import { labNodeManifest, labNodeStatus } from './nodes.js';
import { ensureClusterPki, type ClusterPki, type LabClientName } from './pki.js';
import { labClusterAddresses, planLab, type LabClusterAddresses, type LabClusterPlan, type LabPlan } from './plan.js';
import { assertPortsFree, etcdHealthy } from './preflight.js';
import { spawnComponent } from './processes.js';
import { readStateFile, writeStateFile, type LabStateFile, type RecordedProcess } from './state.js';
import { stopLabProcesses } from './stop.js';
import { assertRunning, waitUntil } from './wait.js';

export interface LabUpOptions {
  mesh: MeshFile;
  meshPath: string;
  stateDir?: string;
  onProgress?(line: string): void;
  /** How long each cluster may take to become ready; the default suits two cores. */
  readyTimeoutMs?: number;
}

export interface LabClusterState extends LabClusterAddresses {
  nodes: number;
}

export interface LabState {
  mesh: string;
  stateDir: string;
  kubeconfig: string;
  etcd: string;
  clusters: LabClusterState[];
  processes: RecordedProcess[];
  /** True when the lab was already up and healthy and nothing was started. */
  reused: boolean;
}

function toLabState(s: LabStateFile, stateDir: string, reused: boolean): LabState {
  return {
    mesh: s.mesh,
    stateDir,
    kubeconfig: s.kubeconfig,
    etcd: `http://${s.etcd.ip}:${s.etcd.clientPort}`,
    clusters: s.clusters.map((c) => ({ ...labClusterAddresses(c), nodes: c.nodes })),
    processes: s.processes,
    reused,
  };
}

async function writeComponentKubeconfigs(layout: LabLayout, c: LabClusterPlan, pki: ClusterPki): Promise<Record<LabClientName, string>> {
  const names: LabClientName[] = ['controller-manager', 'scheduler', 'kwok'];
  const out = { admin: layout.kubeconfig } as Record<LabClientName, string>;
  for (const n of names) {
    const path = layout.componentKubeconfig(c.name, n);
    await writeFile(path, renderComponentKubeconfig({ name: `${c.name}-${n}`, server: c.apiServer, caFile: pki.ca.cert, client: pki.clients[n] }), { mode: 0o600 });
    out[n] = path;
  }
  return out;
}

/**
 * Starts (or resumes) the lab of a mesh file: one etcd, then per cluster an API server,
 * controller-manager, scheduler and kwok with fake nodes, then the lab load balancer.
 * Returns at once when the recorded lab is already healthy; otherwise stops whatever is left
 * of an earlier run and starts every process again (data and certificates are kept unless
 * the plan changed).
 */
export async function labUp(opts: LabUpOptions): Promise<LabState> {
  const progress = (line: string) => opts.onProgress?.(line);
  const plan = planLab(opts.mesh);
  const layout = labLayout(opts.stateDir ?? defaultLabStateDir(opts.meshPath, opts.mesh.metadata.name));
  const readyTimeout = opts.readyTimeoutMs ?? 180_000;

  const fills = plan.clusters.filter((c) => c.assigned).map((c) => ({ index: c.index, apiServer: c.apiServer }));
  if (await fillApiServersInFile(opts.meshPath, fills)) {
    for (const c of plan.clusters.filter((x) => x.assigned)) progress(`${c.name}: no apiServer in ${opts.meshPath}; the lab uses ${c.apiServer} and wrote it there`);
  }

  const binaries = await ensureLabBinaries({ parts: ['etcd', 'kwok', 'kube'], ...(opts.onProgress ? { onProgress: opts.onProgress } : {}) });
  const lbEntry = loadBalancerEntry();
  // The pod network needs root and iproute2; without them pods stay data only, as before.
  const podNet = podNetworkPossible() ? podNetworkPlan(layout.stateDir, plan.clusters) : undefined;
  const runnerEntry = podNet ? podRunnerEntry() : undefined;

  const previous = readStateFile(layout.stateFile);
  if (previous && previous.fingerprint === plan.fingerprint && previous.phase === 'up') {
    const seen = await inspectLab(previous);
    if (seen.healthy) {
      progress(`lab ${plan.mesh} is already up and healthy (${layout.stateDir})`);
      return toLabState(previous, layout.stateDir, true);
    }
    progress(`lab ${plan.mesh} is not healthy (${seen.problem ?? 'unknown'}); restarting its processes`);
  } else if (previous && previous.phase === 'starting') {
    progress(`lab ${plan.mesh}: an earlier \`lab up\` did not finish; cleaning up after it`);
  }
  const { stopped } = await stopLabProcesses(layout, previous, labProgramPaths(binaries));
  if (stopped > 0) progress(`stopped ${stopped} leftover process(es) of this lab`);
  const leftNetns = removeLabNetns(podNetworkPrefix(layout.stateDir));
  if (leftNetns > 0) progress(`removed ${leftNetns} leftover network namespace(s) of this lab`);
  if (previous && previous.fingerprint !== plan.fingerprint) {
    progress(`lab ${plan.mesh}: addresses, ranges or versions changed; starting from empty state`);
    await rm(layout.stateDir, { recursive: true, force: true });
    if (layout.externalDir) await rm(layout.externalDir, { recursive: true, force: true });
  }
  assertPortsFree(plan);

  await mkdir(layout.logsDir, { recursive: true, mode: 0o700 });
  await mkdir(layout.etcdDataDir, { recursive: true, mode: 0o700 });
  const pkis = await Promise.all(
    plan.clusters.map(async (c) => {
      await mkdir(layout.clusterDir(c.name), { recursive: true, mode: 0o700 });
      return ensureClusterPki(layout.pkiDir(c.name), { cluster: c.name, ip: c.ip, kubernetesServiceIP: c.kubernetesServiceIP });
    }),
  );
  await writeLabKubeconfig(
    layout.kubeconfig,
    plan.clusters.map((c, i) => ({ name: c.context, server: c.apiServer, ca: pkis[i]!.ca.cert, client: pkis[i]!.clients.admin })),
  );
  const kubeconfigs = await Promise.all(plan.clusters.map((c, i) => writeComponentKubeconfigs(layout, c, pkis[i]!)));
  const clients = plan.clusters.map((c) => kubeClients(layout.kubeconfig, c.context));

  const state: LabStateFile = {
    version: 1,
    mesh: plan.mesh,
    meshPath: opts.meshPath,
    fingerprint: plan.fingerprint,
    phase: 'starting',
    etcd: plan.etcd,
    clusters: plan.clusters,
    kubeconfig: layout.kubeconfig,
    etcdDataDir: layout.etcdDataDir,
    markers: layout.markers,
    processes: [],
    updatedAt: '',
  };
  writeStateFile(layout.stateFile, state);

  const start = (spec: ComponentSpec): RecordedProcess => {
    const log = layout.log(spec.cluster ?? 'lab', spec.component);
    const { pid } = spawnComponent({ binary: spec.binary, args: spec.args, env: spec.env, logPath: log, cwd: layout.stateDir });
    const rec: RecordedProcess = { component: spec.component, pid, binary: spec.binary, log, startedAt: new Date().toISOString(), ...(spec.cluster ? { cluster: spec.cluster } : {}) };
    state.processes.push(rec);
    writeStateFile(layout.stateFile, state);
    return rec;
  };

  const etcd = start(etcdSpec(binaries.etcd, plan, layout.etcdDataDir));
  progress(`etcd: started (pid ${etcd.pid}) on ${plan.etcd.ip}:${plan.etcd.clientPort}`);
  await waitUntil({ what: 'etcd', timeoutMs: 30_000, check: () => etcdHealthy(plan), processes: [etcd], logOf: etcd });

  // API servers start together: their first seconds are CPU-bound bootstrap either way.
  const apiservers = plan.clusters.map((c, i) => {
    const rec = start(apiServerSpec(binaries.kubeApiserver, plan, c, pkis[i]!));
    progress(`${c.name}: kube-apiserver started (pid ${rec.pid}) on ${c.apiServer}`);
    return rec;
  });
  await Promise.all(
    plan.clusters.map((c, i) =>
      waitUntil({
        what: `the API server of ${c.name}`,
        cluster: c.name,
        timeoutMs: readyTimeout,
        processes: [etcd, apiservers[i]!],
        logOf: apiservers[i]!,
        check: async () => {
          const r = await readyz(clients[i]!, { timeoutMs: 3_000 });
          return r.ready ? true : (r.detail ?? 'not ready');
        },
      }).then(() => progress(`${c.name}: API server ready`)),
    ),
  );

  // kwok watches its Exec and Logs objects from the start, so their CRDs come first.
  const crds = readKwokCrds(binaries.kwokCrds);
  await Promise.all(clients.map(async (k) => { for (const crd of crds) await applyObject(k, crd); }));
  // Istio's binaries (pilot-agent, echo-client, ...) come after the host's, so a lab pod's
  // commands find them by name, as a container finds its image's programs.
  const execPath = [process.env['PATH'] ?? '', dirname(binaries.echoClient)].filter(Boolean).join(':');
  const execWrapper = writeExecWrapperDir(layout.execWrapperDir, podNetworkPrefix(layout.stateDir), execPath);
  const perCluster = plan.clusters.map((c, i) => {
    const pki = pkis[i]!;
    const kc = kubeconfigs[i]!;
    const procs = [
      start(controllerManagerSpec(binaries.kubeControllerManager, c, pki, kc['controller-manager'])),
      start(schedulerSpec(binaries.kubeScheduler, c, kc.scheduler)),
      start(kwokSpec(binaries.kwok, c, kc.kwok, binaries.kwokStages, pki, execWrapper.env)),
    ];
    progress(`${c.name}: controller-manager, scheduler and kwok started`);
    return [apiservers[i]!, ...procs];
  });

  await Promise.all(
    plan.clusters.map(async (c, ci) => {
      for (let i = 0; i < c.nodes; i++) {
        const node = labNodeManifest(c, i);
        await applyObject(clients[ci]!, node);
        await patchStatus(clients[ci]!, { kind: 'Node', name: node.metadata.name }, labNodeStatus());
      }
    }),
  );

  const lb = start(loadBalancerSpec(process.execPath, lbEntry, layout.stateDir));
  progress(`lab load balancer (stands in for MetalLB) started (pid ${lb.pid})`);
  for (const c of plan.clusters.filter((x) => x.loadBalancerPoolPicked)) progress(`${c.name}: no loadBalancerPool in the mesh file; the lab load balancer hands out ${c.loadBalancerPool}`);
  if (podNet && runnerEntry) {
    state.podNetwork = { prefix: podNet.prefix, fabric: podNet.fabric };
    writeStateFile(layout.stateFile, state);
    createPodNetwork(podNet);
    const runner = start(loadBalancerSpec(process.execPath, runnerEntry, layout.stateDir, 'pod-runner'));
    progress(`pod network up (namespaces ${podNet.prefix}*); lab pod runner started (pid ${runner.pid})`);
  } else {
    progress('no pod network: it needs root and iproute2 (`ip netns`); every pod stays data only');
  }

  await Promise.all(
    plan.clusters.map((c, i) =>
      waitUntil({
        what: `cluster ${c.name}`,
        cluster: c.name,
        timeoutMs: readyTimeout,
        processes: [etcd, ...perCluster[i]!],
        check: async () => {
          const settled = await clusterSettled(clients[i]!, c.nodes);
          return settled === true ? kwokCrdsEstablished(clients[i]!, crds) : settled;
        },
      }).then(() => progress(`${c.name}: ${c.nodes} node(s) ready`)),
    ),
  );
  assertRunning(state.processes);
  state.phase = 'up';
  writeStateFile(layout.stateFile, state);
  progress(`lab ${plan.mesh} is up: kubeconfig ${layout.kubeconfig}`);
  return toLabState(state, layout.stateDir, false);
}
