import { clustersetHostname } from '../mcs/index.js';
import { clustersetServices, type McsState } from './mcs.js';
import type { Registry } from './types.js';

/**
 * Which clusters a service's name reaches, and why (issue 18, item 4): what istiod does with it
 * given the mesh file's services section. Pure: the registry, the MCS controller's decisions
 * and the mesh file's settings in, one answer per hostname out.
 */
export type ServiceScopeKind = 'mesh-wide' | 'cluster-local' | 'exported';

/**
 * Where a client's request for one of the service's names can go, as istiod decides it:
 * `own-cluster` (only endpoints in the client's own cluster: serviceSettings clusterLocal, or
 * MCS discovery's cluster.local and unexported endpoints), `exporting-clusters` (a
 * clusterset.local name: the endpoints of every cluster that exports the service), or
 * `every-cluster` (istio mode's default).
 */
export type HostReach = 'own-cluster' | 'exporting-clusters' | 'every-cluster';

export interface HostScope {
  hostname: string;
  reaches: HostReach;
  /** A clusterset.local host: its VIPs in each cluster (the ServiceImports' IPs, as istiod reads them). */
  vips?: Record<string, string[]>;
}

export interface ServiceScope {
  scope: ServiceScopeKind;
  why: string;
  /** For an exported service: its clusterset.local name (imported into every cluster) and the exporting clusters. */
  imported?: { hostname: string; from: string[] };
  /** Every name istiod gives the service (cluster.local, and clusterset.local when imported with IPs), with its reach. */
  hosts: HostScope[];
}

export interface ScopeSettings {
  /** services.discovery; `istio` when the mesh file has no services section. */
  discovery: 'istio' | 'mcs';
  /** services.clusterLocal (meshConfig.serviceSettings hosts). */
  clusterLocal?: readonly string[];
}

/** Istio's host match for serviceSettings: an exact name, or `*.` matching any name ending in the rest. */
const matches = (pattern: string, hostname: string) => (pattern.startsWith('*.') ? hostname.endsWith(pattern.slice(1)) : pattern === hostname);

export function serviceScopes(registry: Registry, settings: ScopeSettings, mcs?: McsState): Map<string, ServiceScope> {
  const out = new Map<string, ServiceScope>();
  const imports = new Map((mcs?.imports ?? []).map((i) => [`${i.namespace}/${i.name}`, i]));
  const clusterset = new Map((mcs ? clustersetServices(mcs) : []).map((c) => [`${c.namespace}/${c.name}`, c]));
  const patternOf = (hostname: string) => (settings.clusterLocal ?? []).find((p) => matches(p, hostname));
  // serviceSettings clusterLocal confines any host it matches, a clusterset.local one too.
  const host = (hostname: string, otherwise: HostReach, vips?: Record<string, string[]>): HostScope => ({ hostname, reaches: patternOf(hostname) ? 'own-cluster' : otherwise, ...(vips ? { vips } : {}) });
  for (const s of registry.services) {
    const pattern = patternOf(s.hostname);
    const imp = imports.get(`${s.namespace}/${s.name}`);
    if (settings.discovery === 'mcs') {
      const local = pattern ? ` (and services.clusterLocal ${JSON.stringify(pattern)} keeps it so)` : '';
      const set = clusterset.get(`${s.namespace}/${s.name}`);
      const name = clustersetHostname(s.name, s.namespace);
      if (imp)
        out.set(s.hostname, {
          scope: 'exported',
          why:
            `ServiceExport in ${imp.clusters.join(', ')}: imported into every cluster as ${name}; ${s.hostname} itself stays in each cluster (ENABLE_MCS_CLUSTER_LOCAL)${local}` +
            (set ? '' : `; ${imp.type === 'Headless' ? 'headless' : 'no IPs'}: istiod makes no ${name} service from an import without IPs, so only meshfed dns answers that name`),
          imported: { hostname: name, from: [...imp.clusters] },
          hosts: [host(s.hostname, 'own-cluster'), ...(set ? [host(set.hostname, 'exporting-clusters', set.vips)] : [])],
        });
      else out.set(s.hostname, { scope: 'cluster-local', why: `services.discovery is mcs and no cluster exports it (no valid ServiceExport)${local}`, hosts: [host(s.hostname, 'own-cluster')] });
    } else if (pattern) out.set(s.hostname, { scope: 'cluster-local', why: `matches services.clusterLocal ${JSON.stringify(pattern)} (meshConfig.serviceSettings clusterLocal: true)`, hosts: [host(s.hostname, 'every-cluster')] });
    else out.set(s.hostname, { scope: 'mesh-wide', why: 'services.discovery is istio: every Service is mesh-wide unless listed in services.clusterLocal', hosts: [host(s.hostname, 'every-cluster')] });
  }
  return out;
}
