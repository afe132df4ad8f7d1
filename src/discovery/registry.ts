import { buildClusterRegistry } from './clusterRegistry.js';
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
  const domainSuffix = opts.domainSuffix ?? DEFAULT_DOMAIN_SUFFIX;
  const clusters = snapshots.map((s) =>
    buildClusterRegistry(s, { domainSuffix, ...(opts.systemNamespace ? { systemNamespace: opts.systemNamespace } : {}), ...(opts.meshNetworks ? { meshNetworks: opts.meshNetworks } : {}) }),
  );

  const services = new Map<string, ServiceEntry>();
  for (const c of clusters) {
    for (const [hostname, { namespace, name, service }] of c.services) {
      const merged = services.get(hostname);
      if (!merged) services.set(hostname, { hostname, namespace, name, ports: service.ports, clusters: [service], endpoints: [] });
      // mergeService: a later cluster only adds its ClusterVIPs entry (ports that differ are logged at debug level).
      else if (!merged.clusters.some((x) => x.cluster === service.cluster)) merged.clusters.push(service);
    }
  }
  for (const c of clusters) {
    for (const [hostname, endpoints] of c.endpoints) services.get(hostname)?.endpoints.push(...endpoints);
  }
  for (const s of services.values()) s.endpoints.sort(byEndpoint);

  return {
    services: [...services.values()].sort((a, b) => compare(a.hostname, b.hostname)),
    gateways: uniqueGateways(clusters.flatMap((c) => c.gateways)),
    clusterNetworks: Object.fromEntries(clusters.map((c) => [c.clusterId, c.network])),
  };
}

export function findService(registry: Registry, hostname: string): ServiceEntry | undefined {
  return registry.services.find((s) => s.hostname === hostname);
}
