import { applyObject, getObject, kubeClients, listObjects, readyz, type KubeClients, type KubeObject } from '../kube/index.js';
import { isNodeReady, isNodeSchedulable, type NodeLike } from './nodes.js';
import { listLabNetns } from './netns.js';
import { isLabProcess } from './processes.js';
import { labClusterAddresses, type LabClusterAddresses } from './plan.js';
import type { LabComponent, LabStateFile, RecordedProcess } from './state.js';

export interface ProcessStatus {
  name: LabComponent;
  pid: number;
  alive: boolean;
  log: string;
}

export interface ClusterStatus extends LabClusterAddresses {
  processes: ProcessStatus[];
  /** The API server answers /readyz. */
  ready: boolean;
  readyDetail: string | undefined;
  nodesReady: number;
  nodesWanted: number;
  /** Ready, every process alive, every node Ready. */
  healthy: boolean;
}

export interface LabInspection {
  etcd: ProcessStatus | undefined;
  loadBalancer: ProcessStatus | undefined;
  /** The pod network, when the lab has one: its runner and how many namespaces it holds. */
  podNetwork: { prefix: string; runner: ProcessStatus | undefined; namespaces: number; fabric: boolean } | undefined;
  clusters: ClusterStatus[];
  healthy: boolean;
  /** First reason the lab is not healthy, for progress lines. */
  problem: string | undefined;
}

function processStatus(p: RecordedProcess, markers: string[]): ProcessStatus {
  return { name: p.component, pid: p.pid, alive: isLabProcess(p, markers), log: p.log };
}

/** Looks at every recorded process and asks every API server; never throws for a sick cluster. */
export async function inspectLab(state: LabStateFile, opts: { timeoutMs?: number } = {}): Promise<LabInspection> {
  const latest = (component: LabComponent, cluster?: string) =>
    [...state.processes].reverse().find((p) => p.component === component && p.cluster === cluster);
  const etcdRec = latest('etcd');
  const lbRec = latest('load-balancer');
  const etcd = etcdRec ? processStatus(etcdRec, state.markers) : undefined;
  const loadBalancer = lbRec ? processStatus(lbRec, state.markers) : undefined;
  const runnerRec = latest('pod-runner');
  const netns = state.podNetwork ? listLabNetns(state.podNetwork.prefix) : [];
  const podNetwork = state.podNetwork
    ? { prefix: state.podNetwork.prefix, runner: runnerRec ? processStatus(runnerRec, state.markers) : undefined, namespaces: netns.length, fabric: netns.includes(state.podNetwork.fabric) }
    : undefined;
  const clusters = await Promise.all(
    state.clusters.map(async (c): Promise<ClusterStatus> => {
      const components: LabComponent[] = ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kwok'];
      const processes = components.flatMap((k) => {
        const rec = latest(k, c.name);
        return rec ? [processStatus(rec, state.markers)] : [];
      });
      let ready = false;
      let readyDetail: string | undefined = 'not started';
      let nodesReady = 0;
      if (processes.some((p) => p.name === 'kube-apiserver' && p.alive)) {
        try {
          const clients = kubeClients(state.kubeconfig, c.context);
          const r = await readyz(clients, { timeoutMs: opts.timeoutMs ?? 3_000 });
          ready = r.ready;
          readyDetail = r.detail;
          if (ready) {
            const nodes = await listObjects(clients, 'v1', 'Node').catch(() => []);
            nodesReady = nodes.filter((n) => isNodeReady(n as NodeLike)).length;
          }
        } catch (e) {
          // A missing or broken kubeconfig makes the cluster unreachable, not the report.
          readyDetail = (e as Error).message;
        }
      }
      const allAlive = processes.length === components.length && processes.every((p) => p.alive);
      return {
        ...labClusterAddresses(c),
        processes,
        ready,
        readyDetail,
        nodesReady,
        nodesWanted: c.nodes,
        healthy: ready && allAlive && nodesReady >= c.nodes,
      };
    }),
  );
  const problems: string[] = [];
  if (!etcd?.alive) problems.push('etcd is not running');
  if (!loadBalancer?.alive) problems.push('the lab load balancer is not running');
  if (podNetwork && !podNetwork.runner?.alive) problems.push('the lab pod runner is not running');
  if (podNetwork && !podNetwork.fabric) problems.push('the lab pod network is gone (no fabric namespace)');
  for (const c of clusters) {
    const dead = c.processes.filter((p) => !p.alive).map((p) => p.name);
    if (c.processes.length < 4) problems.push(`${c.name}: not every component was started`);
    if (dead.length) problems.push(`${c.name}: ${dead.join(', ')} not running`);
    if (!c.ready) problems.push(`${c.name}: API server not ready (${c.readyDetail ?? 'no answer'})`);
    else if (c.nodesReady < c.nodesWanted) problems.push(`${c.name}: ${c.nodesReady}/${c.nodesWanted} nodes ready`);
  }
  return { etcd, loadBalancer, podNetwork, clusters, healthy: problems.length === 0, problem: problems[0] };
}

const SERVICE_PROBE: KubeObject = {
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: 'meshfed-lab-probe', namespace: 'default' },
  spec: { type: 'ClusterIP', ports: [{ port: 80 }] },
};

/** The checks `up` waits for beyond /readyz: schedulable nodes, the `default` service account, Service IPs. */
export async function clusterSettled(clients: KubeClients, nodesWanted: number): Promise<true | string> {
  const nodes = await listObjects(clients, 'v1', 'Node');
  const ready = nodes.filter((n) => isNodeSchedulable(n as NodeLike)).length;
  if (ready < nodesWanted) return `${ready}/${nodesWanted} nodes ready and untainted`;
  // Pods cannot be created in a namespace before its `default` service account exists.
  const sa = await getObject(clients, { apiVersion: 'v1', kind: 'ServiceAccount', namespace: 'default', name: 'default' });
  if (!sa) return 'service account default/default not created yet';
  // The Service IP allocator starts after the API server answers; a dry run proves it is up.
  await applyObject(clients, SERVICE_PROBE, { dryRun: true }).catch((e: unknown) => {
    throw new Error(`Service IPs cannot be allocated yet (${(e as Error).message})`);
  });
  return true;
}
