import { findService, splitHorizonView, type Registry, type ServiceEntry, type ServiceScope } from '../discovery/index.js';
import type { ApiError } from './errors.js';

/** One line per service: where it is and how many endpoints it has there. */
export function servicesView(registry: Registry, scopes?: ReadonlyMap<string, ServiceScope>) {
  return registry.services.map((s) => ({
    hostname: s.hostname,
    ...(scopes?.get(s.hostname) ? { scope: scopes.get(s.hostname)! } : {}),
    namespace: s.namespace,
    name: s.name,
    ports: s.ports,
    clusters: s.clusters.map((c) => ({
      cluster: c.cluster,
      clusterIPs: c.clusterIPs,
      endpoints: s.endpoints.filter((e) => e.cluster === c.cluster).length,
      ready: s.endpoints.filter((e) => e.cluster === c.cluster && e.ready).length,
    })),
  }));
}

export type EndpointsQuery = { network?: string; cluster?: string };

/**
 * A service's endpoints: all of them, or as a proxy in a network (or in a cluster, which
 * stands for its network) sees them, with istiod's split horizon.
 */
export function endpointsView(registry: Registry, hostname: string, q: EndpointsQuery): { ok: true; body: unknown } | { ok: false; status: number; error: ApiError } {
  const service: ServiceEntry | undefined = findService(registry, hostname);
  if (!service)
    return { ok: false, status: 404, error: { code: 'MF9502', message: `no service ${hostname} in any cluster`, hint: 'GET /api/v1/services lists the hostnames (<name>.<namespace>.svc.<domain>)' } };
  if (q.network !== undefined && q.cluster !== undefined)
    return { ok: false, status: 400, error: { code: 'MF9503', message: 'give network or cluster, not both', hint: 'a cluster stands for its network: ?cluster=<id> or ?network=<name>' } };
  let network = q.network;
  if (q.cluster !== undefined) {
    network = registry.clusterNetworks[q.cluster];
    if (network === undefined)
      return { ok: false, status: 400, error: { code: 'MF9503', message: `no cluster ${q.cluster} in the registry`, hint: `clusters: ${Object.keys(registry.clusterNetworks).join(', ') || 'none'}` } };
  }
  if (network === undefined) return { ok: true, body: { hostname, endpoints: service.endpoints } };
  return { ok: true, body: { ...splitHorizonView(registry, service, network), ...(q.cluster !== undefined ? { cluster: q.cluster } : {}) } };
}
export type ServiceSummary = ReturnType<typeof servicesView>[number];
