import { clusterRegistryBuilder, type ClusterRegistry, type ClusterRegistryBuilder, type ClusterRegistryOptions } from './clusterRegistry.js';
import { compare } from './fields.js';
import { uniqueGateways } from './gateways.js';
import { DEFAULT_DOMAIN_SUFFIX } from './labels.js';
import type { ClusterSnapshot, Endpoint, MeshNetworks, Registry, ServiceEntry } from './types.js';

export interface RegistryOptions {
  /** meshConfig / --domain; default cluster.local. */
  domainSuffix?: string;
  /** istiod's namespace in every cluster; default istio-system. */
  systemNamespace?: string;
  meshNetworks?: MeshNetworks;
}

const byEndpoint = (a: Endpoint, b: Endpoint) => compare(a.cluster, b.cluster) || compare(a.address, b.address);

/**
 * The aggregate registry (pilot/pkg/serviceregistry/aggregate/controller.go): Kubernetes
 * services merged by hostname, the first registry's attributes winning and every later
 * cluster adding its own VIPs; endpoints of every cluster served together per hostname (EDS
 * shards keyed by cluster). Pass the snapshots in istiod's registry order: the local (config)
 * cluster first, then remotes as their secrets were added.
 */
export function buildRegistry(snapshots: readonly ClusterSnapshot[], opts: RegistryOptions = {}): Registry {
  return registryBuilder(opts)(snapshots);
}

export type RegistryBuilder = (snapshots: readonly ClusterSnapshot[]) => Registry;

/**
 * buildRegistry for a registry kept live: each cluster keeps its builder, and a snapshot seen
 * last time is not converted again, so one cluster's change costs that cluster and the merge.
 */
export function registryBuilder(opts: RegistryOptions = {}): RegistryBuilder {
  const clusterOpts: ClusterRegistryOptions = {
    domainSuffix: opts.domainSuffix ?? DEFAULT_DOMAIN_SUFFIX,
    ...(opts.systemNamespace ? { systemNamespace: opts.systemNamespace } : {}),
    ...(opts.meshNetworks ? { meshNetworks: opts.meshNetworks } : {}),
  };
  const merge = registryMerger();
  let builders = new Map<string, { build: ClusterRegistryBuilder; from?: ClusterSnapshot; built?: ClusterRegistry }>();
  return (snapshots) => {
    const next: typeof builders = new Map();
    const clusters = snapshots.map((s) => {
      const b = builders.get(s.clusterId) ?? next.get(s.clusterId) ?? { build: clusterRegistryBuilder(clusterOpts) };
      next.set(s.clusterId, b);
      if (b.from !== s || !b.built) {
        b.built = b.build(s);
        b.from = s;
      }
      return b.built;
    });
    // Clusters no longer given are forgotten with their caches.
    builders = next;
    return merge(clusters);
  };
}

/** Hostname → service, for findService; the merger hands over the index it built anyway. */
const indexes = new WeakMap<Registry, Map<string, ServiceEntry>>();

/** Cluster by cluster, what a hostname is made of: its ClusterService and its endpoints array, by identity. */
type Parts = readonly unknown[];

const partsOfHostname = (hostname: string, clusters: readonly ClusterRegistry[]): Parts =>
  clusters.flatMap((c) => [c.services.get(hostname)?.service, c.endpoints.get(hostname)]);

/** Compares in place: allocating the parts of every hostname at every rebuild is what this saves. */
function sameParts(parts: Parts, hostname: string, clusters: readonly ClusterRegistry[]): boolean {
  if (parts.length !== clusters.length * 2) return false;
  return clusters.every((c, i) => parts[2 * i] === c.services.get(hostname)?.service && parts[2 * i + 1] === c.endpoints.get(hostname));
}

function mergeService(hostname: string, clusters: readonly ClusterRegistry[]): ServiceEntry {
  let merged: ServiceEntry | undefined;
  for (const c of clusters) {
    const s = c.services.get(hostname);
    if (!s) continue;
    if (!merged) merged = { hostname, namespace: s.namespace, name: s.name, ports: s.service.ports, clusters: [s.service], endpoints: [] };
    // mergeService: a later cluster only adds its ClusterVIPs entry (ports that differ are logged at debug level).
    else if (!merged.clusters.some((x) => x.cluster === s.service.cluster)) merged.clusters.push(s.service);
  }
  // Endpoints count only for a hostname some cluster has a Service for.
  for (const c of clusters) merged!.endpoints.push(...(c.endpoints.get(hostname) ?? []));
  merged!.endpoints.sort(byEndpoint);
  return merged!;
}

export type RegistryMerger = (clusters: readonly ClusterRegistry[]) => Registry;

/**
 * Merges cluster registries into the aggregate. A hostname whose parts are the same objects
 * as last time keeps its ServiceEntry: a registry rebuilt after one change allocates only
 * what changed (a live registry is rebuilt many times a second under churn).
 */
export function registryMerger(): RegistryMerger {
  const partsOf = new WeakMap<ServiceEntry, Parts>();
  let previous = new Map<string, ServiceEntry>();
  let sorted: string[] = [];
  let last: { clusters: readonly ClusterRegistry[]; registry: Registry } | undefined;
  const same = (a: ClusterRegistry, b: ClusterRegistry) =>
    a.clusterId === b.clusterId && a.network === b.network && a.services === b.services && a.endpoints === b.endpoints && a.gateways === b.gateways;
  return (clusters) => {
    if (last && last.clusters.length === clusters.length && clusters.every((c, i) => same(c, last!.clusters[i]!))) return last.registry;
    const index = new Map<string, ServiceEntry>();
    for (const c of clusters) {
      for (const hostname of c.services.keys()) {
        if (index.has(hostname)) continue;
        const old = previous.get(hostname);
        let entry: ServiceEntry;
        if (old && sameParts(partsOf.get(old)!, hostname, clusters)) entry = old;
        else partsOf.set((entry = mergeService(hostname, clusters)), partsOfHostname(hostname, clusters));
        index.set(hostname, entry);
      }
    }
    if (index.size !== sorted.length || sorted.some((h) => !index.has(h))) sorted = [...index.keys()].sort(compare);
    previous = index;
    const registry: Registry = {
      services: sorted.map((h) => index.get(h)!),
      gateways: uniqueGateways(clusters.flatMap((c) => c.gateways)),
      clusterNetworks: Object.fromEntries(clusters.map((c) => [c.clusterId, c.network])),
    };
    indexes.set(registry, index);
    last = { clusters, registry };
    return registry;
  };
}

export function mergeClusterRegistries(clusters: readonly ClusterRegistry[]): Registry {
  return registryMerger()(clusters);
}

export function findService(registry: Registry, hostname: string): ServiceEntry | undefined {
  let index = indexes.get(registry);
  if (!index) indexes.set(registry, (index = new Map(registry.services.map((s) => [s.hostname, s]))));
  return index.get(hostname);
}
