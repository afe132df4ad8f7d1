import type { ClusterSnapshot } from '../../src/discovery/index.js';
import { eastWestGateway, endpointSlice, namespace, pod, service, type PodSpec } from './helpers.js';

/**
 * Seed 000's multi-primary, multi-network layout: HelloWorld v1 in cluster01 (network1),
 * v2 in cluster02 (network2), the Service in both, one east-west gateway per network.
 * cluster01 also runs an unready v1 pod.
 */
export const V1: PodSpec[] = [
  { name: 'helloworld-v1-a', ip: '10.10.0.5' },
  { name: 'helloworld-v1-b', ip: '10.10.0.6', ready: false },
];
export const V2: PodSpec[] = [
  { name: 'helloworld-v2-a', ip: '10.20.0.7' },
  { name: 'helloworld-v2-b', ip: '10.20.0.8' },
];

export function seedCluster(clusterId: string, network: string, clusterIP: string, pods: PodSpec[], gatewayIps: string[]): ClusterSnapshot {
  return {
    clusterId,
    namespaces: [namespace('istio-system', { 'topology.istio.io/network': network }), namespace('sample')],
    services: [
      service('helloworld', 'sample', { clusterIP }),
      ...gatewayIps.map((ip, i) => eastWestGateway(network, ip, { name: i === 0 ? 'istio-eastwestgateway' : `istio-eastwestgateway-${i}` })),
    ],
    endpointSlices: [endpointSlice('helloworld', 'sample', pods)],
    pods: pods.map((p) => pod('sample', p)),
  };
}

export const cluster01 = () => seedCluster('cluster01', 'network1', '10.11.0.10', V1, ['172.18.11.1']);
export const cluster02 = () => seedCluster('cluster02', 'network2', '10.21.0.10', V2, ['172.18.12.1']);
