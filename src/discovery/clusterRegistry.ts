import type { KubeObject } from '../kube/index.js';
import { bool, compare, int, list, path, record, stringMap, text } from './fields.js';
import { gatewaysOfService } from './gateways.js';
import { DEFAULT_SYSTEM_NAMESPACE, NETWORK_LABEL, SERVICE_NAME_LABEL, TLS_MODE_LABEL } from './labels.js';
import { networkResolver, type NetworkResolver } from './network.js';
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

type PodIndexes = ReturnType<typeof podIndexes>;

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

/** One EndpointSlice's endpoints, and the pods (or their absence) they were made from. */
interface SliceEndpoints {
  hostname: string;
  endpoints: Endpoint[];
  pods: (KubeObject | undefined)[];
  /** The pod indexes those pods were last found in: the same indexes find the same pods. */
  index: PodIndexes;
  network: NetworkResolver;
}

function sliceHostname(slice: KubeObject, domainSuffix: string): string | undefined {
  // FQDN slices are not supported by istiod (istio/istio#34995).
  if (text(slice.addressType) === 'FQDN') return undefined;
  const serviceName = stringMap(slice.metadata.labels)[SERVICE_NAME_LABEL];
  return serviceName ? hostnameOf(serviceName, slice.metadata.namespace ?? '', domainSuffix) : undefined;
}

/**
 * Calls `fn` for each address of a slice with the pod istiod would find for it (undefined:
 * none). A callback, not a generator: this runs for every slice at every rebuild.
 */
function eachAddress(slice: KubeObject, pods: PodIndexes, fn: (ep: Record<string, unknown>, address: string, pod: KubeObject | undefined, expectsPod: boolean) => boolean | void): void {
  const namespace = slice.metadata.namespace ?? '';
  for (const item of list(slice.endpoints)) {
    const ep = record(item) ?? {};
    const ref = record(ep.targetRef);
    const expectsPod = text(ref?.kind) === 'Pod';
    for (const address of list(ep.addresses)) {
      if (typeof address !== 'string') continue;
      const pod = expectsPod
        ? pods.byKey.get(podKey(text(ref?.namespace) ?? namespace, text(ref?.name) ?? ''))
        : pods.byIp.get(address)?.find((p) => p.metadata.namespace === namespace);
      if (fn(ep, address, pod, expectsPod) === false) return;
    }
  }
}

function convertSlice(clusterId: string, hostname: string, slice: KubeObject, pods: PodIndexes, resolver: NetworkResolver): SliceEndpoints {
  const ports: Record<string, number> = {};
  for (const p of list(slice.ports)) ports[text(record(p)?.name) ?? ''] = int(record(p)?.port) ?? 0;
  const byAddress = new Map<string, Endpoint>();
  const found: (KubeObject | undefined)[] = [];
  eachAddress(slice, pods, (ep, address, pod, expectsPod) => {
    found.push(pod);
    // istiod holds back an endpoint whose Pod it has not seen yet (getPod: expectPod).
    if ((expectsPod && !pod) || byAddress.has(address)) return;
    const labels = stringMap(pod?.metadata.labels);
    const health = healthOf(ep.conditions);
    byAddress.set(address, {
      cluster: clusterId,
      network: resolver.resolve(address, labels[NETWORK_LABEL]),
      address,
      // Shared by the slice's endpoints: nothing changes an endpoint once built (merges copy).
      ports,
      ready: health === 'healthy',
      health,
      tlsMode: labels[TLS_MODE_LABEL] === 'istio' ? 'istio' : 'disabled',
      ...(pod ? { pod: { namespace: pod.metadata.namespace ?? '', name: pod.metadata.name }, labels } : {}),
    });
  });
  return { hostname, endpoints: [...byAddress.values()], pods: found, index: pods, network: resolver };
}

/** The slice's endpoints from last time, when it would find exactly the same pods and network again. */
function unchanged(cached: SliceEndpoints | undefined, slice: KubeObject, pods: PodIndexes, resolver: NetworkResolver): cached is SliceEndpoints {
  if (!cached || cached.network !== resolver) return false;
  if (cached.index === pods) return true;
  let i = 0;
  let same = true;
  eachAddress(slice, pods, (_ep, _address, pod) => (same = cached.pods[i++] === pod));
  if (same && i === cached.pods.length) cached.index = pods;
  return same && i === cached.pods.length;
}

/** Endpoints are deduplicated by (address, port name) across a hostname's slices: the first slice's ports win. */
function mergeSlices(parts: Endpoint[][]): Endpoint[] {
  if (parts.length === 1) return parts[0]!;
  const byAddress = new Map<string, Endpoint>();
  for (const part of parts) {
    for (const e of part) {
      const existing = byAddress.get(e.address);
      // A new object: the slices' own endpoints are shared with the next build.
      byAddress.set(e.address, existing ? { ...existing, ports: { ...e.ports, ...existing.ports } } : e);
    }
  }
  return [...byAddress.values()];
}

export type ClusterRegistryBuilder = (snapshot: ClusterSnapshot) => ClusterRegistry;

/**
 * A builder that remembers what it derived from each object, so building a cluster again
 * after one object changed converts only that object (and the slices whose pods changed).
 * Watchers replace an object on every event and never mutate one, so identity means unchanged.
 */
export function clusterRegistryBuilder(opts: ClusterRegistryOptions): ClusterRegistryBuilder {
  const systemNamespace = opts.systemNamespace ?? DEFAULT_SYSTEM_NAMESPACE;
  type Converted = { hostname: string; entry: { namespace: string; name: string; service: ClusterService }; gateways: NetworkGateway[] };
  const services = new WeakMap<KubeObject, Converted>();
  const slices = new WeakMap<KubeObject, SliceEndpoints | null>();
  let podsFrom: { pods: readonly KubeObject[]; indexes: PodIndexes } | undefined;
  let resolverFor: { key: string; resolver: NetworkResolver } | undefined;
  let servicesFrom: { services: readonly KubeObject[]; byHostname: ClusterRegistry['services']; gateways: NetworkGateway[] } | undefined;
  let endpointsFrom: { slices: (SliceEndpoints | null)[]; endpoints: ClusterRegistry['endpoints']; merged: Map<string, { parts: Endpoint[][]; endpoints: Endpoint[] }> } | undefined;

  const convertServices = (clusterId: string, list: readonly KubeObject[]) => {
    const byHostname: ClusterRegistry['services'] = new Map();
    const gateways: NetworkGateway[] = [];
    for (const svc of list) {
      let converted = services.get(svc);
      if (!converted || converted.entry.service.cluster !== clusterId) {
        const namespace = svc.metadata.namespace ?? '';
        converted = {
          hostname: hostnameOf(svc.metadata.name, namespace, opts.domainSuffix),
          entry: { namespace, name: svc.metadata.name, service: convertService(clusterId, svc) },
          gateways: gatewaysOfService(clusterId, svc),
        };
        services.set(svc, converted);
      }
      byHostname.set(converted.hostname, converted.entry);
      gateways.push(...converted.gateways);
    }
    return { services: list, byHostname, gateways };
  };

  const sliceEndpoints = (clusterId: string, slice: KubeObject, pods: PodIndexes, resolver: NetworkResolver): SliceEndpoints | null => {
    const cached = slices.get(slice);
    if (cached === null || unchanged(cached, slice, pods, resolver)) return cached;
    const hostname = sliceHostname(slice, opts.domainSuffix);
    const converted = hostname === undefined ? null : convertSlice(clusterId, hostname, slice, pods, resolver);
    slices.set(slice, converted);
    return converted;
  };

  return (snapshot) => {
    const { clusterId } = snapshot;
    const nsObject = snapshot.namespaces.find((n) => n.metadata.name === systemNamespace);
    const nsNetwork = stringMap(nsObject?.metadata.labels)[NETWORK_LABEL] ?? '';
    const key = `${clusterId}\n${nsNetwork}`;
    if (resolverFor?.key !== key) resolverFor = { key, resolver: networkResolver(clusterId, nsNetwork, opts.meshNetworks) };
    const resolver = resolverFor.resolver;

    if (servicesFrom?.services !== snapshot.services) servicesFrom = convertServices(clusterId, snapshot.services);
    if (podsFrom?.pods !== snapshot.pods) podsFrom = { pods: snapshot.pods, indexes: podIndexes(snapshot.pods) };
    const pods = podsFrom.indexes;

    // A pod's change often changes no endpoint: then the last map stands.
    const converted = snapshot.endpointSlices.map((slice) => sliceEndpoints(clusterId, slice, pods, resolver));
    const last = endpointsFrom?.slices;
    if (!last || last.length !== converted.length || converted.some((c, i) => c !== last[i])) {
      const parts = new Map<string, Endpoint[][]>();
      for (const c of converted) {
        if (!c) continue;
        const p = parts.get(c.hostname);
        if (p) p.push(c.endpoints);
        else parts.set(c.hostname, [c.endpoints]);
      }
      const endpoints: ClusterRegistry['endpoints'] = new Map();
      const merged: NonNullable<typeof endpointsFrom>['merged'] = new Map();
      for (const [hostname, p] of parts) {
        if (p.length === 1) {
          endpoints.set(hostname, p[0]!);
          continue;
        }
        // A hostname of several slices keeps its merged array while none of them changed.
        const before = endpointsFrom?.merged.get(hostname);
        const m = before && before.parts.length === p.length && before.parts.every((x, i) => x === p[i]) ? before : { parts: p, endpoints: mergeSlices(p) };
        merged.set(hostname, m);
        endpoints.set(hostname, m.endpoints);
      }
      endpointsFrom = { slices: converted, endpoints, merged };
    }

    return { clusterId, network: resolver.clusterNetwork, services: servicesFrom.byHostname, endpoints: endpointsFrom!.endpoints, gateways: servicesFrom.gateways };
  };
}

export function buildClusterRegistry(snapshot: ClusterSnapshot, opts: ClusterRegistryOptions): ClusterRegistry {
  return clusterRegistryBuilder(opts)(snapshot);
}
