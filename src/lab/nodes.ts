import type { KubeObject } from '../kube/index.js';
import { KWOK_KUBELET_PORT } from './kwokDebug.js';
import type { LabClusterPlan } from './plan.js';

/** Enough room that the scheduler never turns a test workload away. */
export const LAB_NODE_RESOURCES = { cpu: '32', memory: '256Gi', pods: '250' } as const;

export function labNodeName(cluster: string, i: number): string {
  return `${cluster}-node-${i + 1}`;
}

/**
 * A fake Node that kwok plays the kubelet for (`kwok.x-k8s.io/node: fake`). Untainted, so
 * ordinary pods land on it; status is filled in by kwok and patched with its resources.
 */
export function labNodeManifest(cluster: LabClusterPlan, i: number): KubeObject {
  const name = labNodeName(cluster.name, i);
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      labels: {
        type: 'kwok',
        'kubernetes.io/hostname': name,
        'kubernetes.io/os': 'linux',
        'kubernetes.io/arch': 'amd64',
        'node.kubernetes.io/instance-type': 'kwok',
        'meshfed.io/lab-cluster': cluster.name,
      },
      annotations: { 'kwok.x-k8s.io/node': 'fake', 'node.alpha.kubernetes.io/ttl': '0' },
    },
    spec: {},
  };
}

/**
 * Resources, and where the node's "kubelet" (kwok's server) answers: kwok's node-initialize
 * stage writes the port only on a node that is not Ready yet, so a lab brought up again over
 * its old Nodes gets it here.
 */
export function labNodeStatus(): Record<string, unknown> {
  return { allocatable: { ...LAB_NODE_RESOURCES }, capacity: { ...LAB_NODE_RESOURCES }, daemonEndpoints: { kubeletEndpoint: { Port: KWOK_KUBELET_PORT } } };
}

export interface NodeLike {
  spec?: { taints?: { key?: string; effect?: string }[]; unschedulable?: boolean };
  status?: { conditions?: { type?: string; status?: string }[] };
}

export function isNodeReady(node: NodeLike): boolean {
  return (node.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
}

/**
 * Ready and free of the not-ready taint that admission puts on every new Node: until the
 * node lifecycle controller lifts it, the scheduler places nothing there.
 */
export function isNodeSchedulable(node: NodeLike): boolean {
  return isNodeReady(node) && !node.spec?.unschedulable && !(node.spec?.taints ?? []).some((t) => t.key === 'node.kubernetes.io/not-ready' || t.key === 'node.kubernetes.io/unreachable');
}
