import { findService, hostnameOf, type McsState, type Registry } from '../discovery/index.js';
import { CLUSTERSET_DOMAIN, clustersetHostname } from '../mcs/index.js';

/**
 * The clusterset.local zone as one cluster's resolver should see it (the MCS DNS spec,
 * KEP-1645's "DNS" section), a pure function of the MCS controller's decisions and the registry:
 *
 * - `<svc>.<ns>.svc.clusterset.local` A: a ClusterSetIP import's IPs in that cluster; a
 *   headless import's ready endpoints in the exporting clusters.
 * - `<host>.<clusterid>.<svc>.<ns>.svc.clusterset.local` A: one headless endpoint. `<host>` is
 *   the endpoint's address with dashes (10-20-0-5), as kube-dns names endpoints without a hostname.
 * - `_<port>._<protocol>.<svc>.<ns>.svc.clusterset.local` SRV, and SRV of the service name for
 *   every port: the service name (ClusterSetIP) or each endpoint's name (headless).
 *
 * Everything else under clusterset.local does not exist (NXDOMAIN); an unexported service in
 * particular (the MCS conformance suite's required test).
 */

export interface SrvRecord {
  priority: number;
  weight: number;
  port: number;
  target: string;
}

export interface ZoneEntry {
  a: string[];
  srv: SrvRecord[];
}

export type Zone = ReadonlyMap<string, ZoneEntry>;

export const DNS_TTL_SECONDS = 5;
export { CLUSTERSET_DOMAIN };

const dashed = (ip: string) => ip.replace(/[.:]/g, '-');

export interface ZoneOptions {
  /** The cluster whose view this is: its import's IPs answer for ClusterSetIP services. */
  cluster: string;
  /** The registry's domain suffix (cluster.local). */
  domainSuffix?: string;
}

export function buildZone(state: McsState, registry: Registry, opts: ZoneOptions): Zone {
  const zone = new Map<string, ZoneEntry>();
  const entry = (name: string): ZoneEntry => {
    let e = zone.get(name);
    if (!e) zone.set(name, (e = { a: [], srv: [] }));
    return e;
  };
  for (const imp of state.imports) {
    const name = clustersetHostname(imp.name, imp.namespace);
    const svc = entry(name);
    if (imp.type === 'ClusterSetIP') {
      svc.a.push(...(imp.ips[opts.cluster] ?? []).filter((ip) => !ip.includes(':')));
      for (const p of imp.ports) {
        const srv = { priority: 0, weight: 100, port: p.port, target: name };
        if (p.name) entry(`_${p.name}._${p.protocol.toLowerCase()}.${name}`).srv.push(srv);
        svc.srv.push(srv);
      }
      continue;
    }
    // Headless: the ready endpoints of the exporting clusters, each under its own name.
    const local = findService(registry, hostnameOf(imp.name, imp.namespace, opts.domainSuffix ?? 'cluster.local'));
    const exporting = new Set(imp.clusters);
    for (const e of local?.endpoints ?? []) {
      if (!e.ready || !exporting.has(e.cluster) || e.address.includes(':')) continue;
      const host = `${dashed(e.address)}.${e.cluster}.${name}`;
      entry(host).a.push(e.address);
      svc.a.push(e.address);
      for (const p of imp.ports) {
        const port = p.name ? e.ports[p.name] : Object.values(e.ports)[0];
        if (port === undefined) continue;
        const srv = { priority: 0, weight: 100, port, target: host };
        if (p.name) entry(`_${p.name}._${p.protocol.toLowerCase()}.${name}`).srv.push(srv);
        svc.srv.push(srv);
      }
    }
  }
  for (const e of zone.values()) e.a = [...new Set(e.a)].sort();
  return zone;
}
