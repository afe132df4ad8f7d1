import type { KubeObject } from '../kube/index.js';
import { bool, compare, int, list, path, record, stringMap, text } from './fields.js';
import { gatewaysOfService } from './gateways.js';
import { DEFAULT_SYSTEM_NAMESPACE, NETWORK_LABEL, SERVICE_NAME_LABEL, TLS_MODE_LABEL } from './labels.js';
import { networkResolver } from './network.js';
import type { ClusterService, ClusterSnapshot, Endpoint, EndpointHealth, MeshNetworks, NetworkGateway, ServicePort } from './types.js';

export interface ClusterRegistryOptions {
  domainSuffix: string;
  systemNamespace?: string;
  meshNetworks?: MeshNetworks;
}

/** One cluster's kube registry: what istiod's per-cluster Controller derives from its informers. */
export interface ClusterRegistry {
  clusterId: string;
  network: string;
  services: Map<string, { namespace: string; name: string; service: ClusterService }>;
  /** By hostname; a slice counts even if this cluster lacks the Service (EDS shards are by hostname). */
  endpoints: Map<string, Endpoint[]>;
  gateways: NetworkGateway[];
}

export const hostnameOf = (name: string, namespace: string, domainSuffix: string) => `${name}.${namespace}.svc.${domainSuffix}`;

const podKey = (namespace: string, name: string) => `${namespace}/${name}`;

function convertService(clusterId: string, svc: KubeObject): ClusterService {
  const spec = record(svc.spec) ?? {};
  const type = text(spec.type) ?? 'ClusterIP';
  const clusterIP = text(spec.clusterIP) ?? '';
  const headless = clusterIP === 'None';
  const ips = list(spec.clusterIPs).filter((ip): ip is string => typeof ip === 'string' && ip !== '' && ip !== 'None');
  const clusterIPs = headless ? [] : ips.length > 0 ? ips : clusterIP ? [clusterIP] : [];
  const ports: ServicePort[] = list(spec.ports).map((p) => ({
    name: text(record(p)?.name) ?? '',
    port: int(record(p)?.port) ?? 0,
    protocol: text(record(p)?.protocol) ?? 'TCP',
  }));
  return { cluster: clusterId, clusterIPs, ports, type, headless };
}

/** endpointHealthStatus (endpointslice.go) for a Service that exists, without persistent sessions. */
function healthOf(conditions: unknown): EndpointHealth {
  const ready = bool(record(conditions)?.ready);
  if (ready === undefined || ready) return 'healthy';
  const terminating = bool(record(conditions)?.terminating);
  return terminating === undefined || terminating ? 'terminating' : 'unhealthy';
}

function podReady(pod: KubeObject): boolean {
  return list(path(pod, 'status', 'conditions')).some((c) => text(record(c)?.type) === 'Ready' && text(record(c)?.status) === 'True');
}

/** The pods istiod can find (pod.go): the informer drops phase Failed; the IP index keeps only ready, live pods with an IP. */
function podIndexes(pods: readonly KubeObject[]) {
  const byKey = new Map<string, KubeObject>();
  const byIp = new Map<string, KubeObject[]>();
  for (const pod of pods) {
    const phase = text(path(pod, 'status', 'phase'));
    if (phase === 'Failed') continue;
    const ns = pod.metadata.namespace ?? '';
    byKey.set(podKey(ns, pod.metadata.name), pod);
    const ip = text(path(pod, 'status', 'podIP'));
    const live = phase !== 'Succeeded' && !pod.metadata.deletionTimestamp && ip;
    if (live && podReady(pod)) byIp.set(ip, [...(byIp.get(ip) ?? []), pod].sort((a, b) => compare(a.metadata.name, b.metadata.name)));
  }
  return { byKey, byIp };
}

export function buildClusterRegistry(snapshot: ClusterSnapshot, opts: ClusterRegistryOptions): ClusterRegistry {
  const { clusterId } = snapshot;
  const systemNamespace = opts.systemNamespace ?? DEFAULT_SYSTEM_NAMESPACE;
  const nsObject = snapshot.namespaces.find((n) => n.metadata.name === systemNamespace);
  const resolver = networkResolver(clusterId, stringMap(nsObject?.metadata.labels)[NETWORK_LABEL] ?? '', opts.meshNetworks);

  const services: ClusterRegistry['services'] = new Map();
  const gateways: NetworkGateway[] = [];
  for (const svc of snapshot.services) {
    const namespace = svc.metadata.namespace ?? '';
    services.set(hostnameOf(svc.metadata.name, namespace, opts.domainSuffix), { namespace, name: svc.metadata.name, service: convertService(clusterId, svc) });
    gateways.push(...gatewaysOfService(clusterId, svc));
  }

  const pods = podIndexes(snapshot.pods);
  const endpoints: ClusterRegistry['endpoints'] = new Map();
  for (const slice of snapshot.endpointSlices) {
    // FQDN slices are not supported by istiod (istio/istio#34995).
    if (text(slice.addressType) === 'FQDN') continue;
    const serviceName = stringMap(slice.metadata.labels)[SERVICE_NAME_LABEL];
    const namespace = slice.metadata.namespace ?? '';
    if (!serviceName) continue;
    const hostname = hostnameOf(serviceName, namespace, opts.domainSuffix);
    const ports: Record<string, number> = {};
    for (const p of list(slice.ports)) ports[text(record(p)?.name) ?? ''] = int(record(p)?.port) ?? 0;

    const byAddress = new Map((endpoints.get(hostname) ?? []).map((e) => [e.address, e]));
    for (const item of list(slice.endpoints)) {
      const ep = record(item) ?? {};
      const ref = record(ep.targetRef);
      const expectsPod = text(ref?.kind) === 'Pod';
      for (const address of list(ep.addresses).filter((a): a is string => typeof a === 'string')) {
        const pod = expectsPod
          ? pods.byKey.get(podKey(text(ref?.namespace) ?? namespace, text(ref?.name) ?? ''))
          : pods.byIp.get(address)?.find((p) => p.metadata.namespace === namespace);
        // istiod holds back an endpoint whose Pod it has not seen yet (getPod: expectPod).
        if (expectsPod && !pod) continue;
        const existing = byAddress.get(address);
        if (existing) {
          // Endpoints are deduplicated by (address, port name) across slices.
          existing.ports = { ...ports, ...existing.ports };
          continue;
        }
        const labels = stringMap(pod?.metadata.labels);
        const health = healthOf(ep.conditions);
        const endpoint: Endpoint = {
          cluster: clusterId,
          network: resolver.resolve(address, labels[NETWORK_LABEL]),
          address,
          ports: { ...ports },
          ready: health === 'healthy',
          health,
          tlsMode: labels[TLS_MODE_LABEL] === 'istio' ? 'istio' : 'disabled',
          ...(pod ? { pod: { namespace: pod.metadata.namespace ?? '', name: pod.metadata.name }, labels } : {}),
        };
        byAddress.set(address, endpoint);
      }
    }
    endpoints.set(hostname, [...byAddress.values()]);
  }

  return { clusterId, network: resolver.clusterNetwork, services, endpoints, gateways };
}
