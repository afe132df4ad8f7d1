/**
 * The lab's stand-in for a kubelet, for the pods the lab really runs (images.ts): it follows
 * a cluster's Pods and gives each such pod a network namespace holding its kwok pod IP,
 * removing it when the pod goes. Every other pod stays a kwok fake.
 */
import type { KubeClients, WatchEvent } from '../kube/index.js';
import { labWorkloadOf, runnablePodIP, type PodLike } from './images.js';
import { runListWatch } from './listWatch.js';
import type { PodDebugOps } from './podDebug.js';
import type { ClusterNode } from './podNetwork.js';

export interface PodNetworkOps {
  attach(node: ClusterNode, ip: string): string;
  detach(node: ClusterNode, ip: string): void;
  /** Starts the pod's processes in its fresh namespace (what a kubelet's container start is). */
  run?(node: ClusterNode, pod: PodLike, netns: string): void;
  /** The pod's namespace is going: stop starting it. */
  stop?(node: ClusterNode, key: string): void;
}

export interface PodRunnerOptions {
  node: ClusterNode;
  clients: KubeClients;
  signal: AbortSignal;
  log: (line: string) => void;
  ops: PodNetworkOps;
  /** `kubectl exec`/`logs` into the pod's namespace (podDebug.ts), told of every attach and detach. */
  debug?: PodDebugOps;
}

const keyOf = (p: PodLike) => `${p.metadata.namespace}/${p.metadata.name}`;

/** Decides, for one pod event, which IP to attach or detach; pure over the `held` map (key → IP). */
export function podNetworkChange(held: ReadonlyMap<string, string>, pod: PodLike, deleted: boolean): { detach?: string; attach?: string } {
  const k = keyOf(pod);
  const had = held.get(k);
  const want = !deleted && labWorkloadOf(pod) ? runnablePodIP(pod) : undefined;
  if (had === want) return {};
  return { ...(had ? { detach: had } : {}), ...(want ? { attach: want } : {}) };
}

/** What the runner does with the list and each watch event of a cluster's Pods. */
export interface PodRunnerHandlers {
  onList(items: PodLike[]): Promise<void>;
  onEvent(ev: WatchEvent<PodLike>): void;
}

export function podRunnerHandlers(opts: Omit<PodRunnerOptions, 'clients' | 'signal'>): PodRunnerHandlers {
  const held = new Map<string, string>();
  // Pods refused an IP another pod still held: tried again once that pod lets it go, as a
  // kubelet retries a sandbox it could not create (else such a pod would never run).
  const waiting = new Map<string, PodLike>();
  const retryWaiting = () => {
    const free = [...waiting.values()].filter((p) => ![...held.values()].includes(runnablePodIP(p) ?? ''));
    for (const p of free) {
      waiting.delete(keyOf(p));
      apply(p, false);
    }
  };
  const apply = (pod: PodLike, deleted: boolean) => {
    const k = keyOf(pod);
    waiting.delete(k);
    const change = podNetworkChange(held, pod, deleted);
    try {
      if (change.detach) {
        opts.ops.stop?.(opts.node, k);
        opts.ops.detach(opts.node, change.detach);
        held.delete(k);
        opts.debug?.podDetached(pod.metadata.namespace, pod.metadata.name);
        opts.log(`${opts.node.name}: ${k}: namespace for ${change.detach} removed`);
        retryWaiting();
      }
      if (change.attach) {
        // kwok may hand a new pod an IP another pod still holds (seen after kwok restarts).
        const clash = [...held.entries()].find(([other, ip]) => ip === change.attach && other !== k);
        if (clash) {
          opts.log(`${opts.node.name}: ${k}: pod IP ${change.attach} is already held by ${clash[0]}; attached once it is free`);
          waiting.set(k, pod);
          return;
        }
        const netns = opts.ops.attach(opts.node, change.attach);
        held.set(k, change.attach);
        opts.debug?.podAttached(pod, netns);
        opts.log(`${opts.node.name}: ${k}: ${change.attach} in network namespace ${netns}`);
        opts.ops.run?.(opts.node, pod, netns);
      }
    } catch (e) {
      opts.log(`${opts.node.name}: ${k}: ${(e as Error).message}`);
    }
  };
  return {
    onList: async (items) => {
      const listed = new Set(items.map(keyOf));
      for (const [k, ip] of [...held]) {
        if (listed.has(k)) continue;
        opts.ops.stop?.(opts.node, k);
        opts.ops.detach(opts.node, ip);
        held.delete(k);
        const [namespace, name] = k.split('/') as [string, string];
        opts.debug?.podDetached(namespace, name);
      }
      waiting.clear();
      for (const p of items) apply(p, false);
      retryWaiting();
      opts.log(`${opts.node.name}: watching Pods`);
    },
    onEvent: (ev: WatchEvent<PodLike>) => {
      if (ev.type === 'BOOKMARK') return;
      apply(ev.object, ev.type === 'DELETED');
    },
  };
}

export async function runPodRunnerForCluster(opts: PodRunnerOptions): Promise<void> {
  const handlers = podRunnerHandlers(opts);
  await runListWatch<PodLike>({
    cluster: opts.node.name,
    clients: opts.clients,
    path: '/api/v1/pods',
    signal: opts.signal,
    log: opts.log,
    onList: handlers.onList,
    onEvent: handlers.onEvent,
  });
}
