import type { ClusterError, ClusterStatus, ClusterSyncState, Registry } from '../discovery/index.js';
import type { Plan } from '../plan/index.js';

/** An east-west gateway on the page: the address discovery sees live, else the one the plan knows before apply. */
export interface TopologyGateway {
  cluster: string;
  network: string;
  address?: string;
  /** `live`: a gateway Service discovery found; `plan`: the pinned or pool address, not seen live (yet). */
  source: 'live' | 'plan';
  port?: number;
  exposesIstiod: boolean;
  exposesServices: boolean;
}

export interface TopologyCluster {
  name: string;
  network: string;
  role: 'primary' | 'remote';
  /** The primary running its control plane (itself for a primary). */
  primary: string;
  /** The address other control planes reach it at (an address, never a credential). */
  apiServer?: string;
  /** `unknown`: in the plan, not (yet) watched by this server. */
  state: ClusterSyncState | 'unknown';
  lastError?: ClusterError;
  watches: string[];
  watchedBy: string[];
}

/** The mesh on one page: the plan's shape, with live sync states and gateway addresses. */
export interface TopologyView {
  mesh: { name: string; trustDomain: string; multiNetwork: boolean };
  networks: { name: string; clusters: string[] }[];
  clusters: TopologyCluster[];
  gateways: TopologyGateway[];
  /** Control plane: primary → remote. */
  controlPlane: { primary: string; remote: string }[];
  /** Remote secrets: the primary holding one watches the other cluster through it (names only). */
  remoteSecrets: { primary: string; watched: string; secret: string }[];
}

/** Pure: the plan, the clusters' live states and the registry's gateways, merged into what the page draws. */
export function topologyView(plan: Plan, clusters: readonly ClusterStatus[], registry: Registry): TopologyView {
  const states = new Map(clusters.map((c) => [c.clusterId, c]));
  const gateways: TopologyGateway[] = [];
  for (const c of plan.clusters) {
    const gw = c.eastWestGateway;
    const live = registry.gateways.filter((g) => g.cluster === c.name);
    if (live.length > 0) {
      for (const g of live) gateways.push({ cluster: c.name, network: g.network, address: g.address, source: 'live', port: g.port, exposesIstiod: gw?.exposesIstiod ?? false, exposesServices: gw?.exposesServices ?? false });
    } else if (gw) {
      gateways.push({ cluster: c.name, network: gw.network, ...(gw.address !== undefined ? { address: gw.address } : {}), source: 'plan', exposesIstiod: gw.exposesIstiod, exposesServices: gw.exposesServices });
    }
  }
  const networks = [...new Set(plan.clusters.map((c) => c.network))].sort().map((name) => ({ name, clusters: plan.clusters.filter((c) => c.network === name).map((c) => c.name) }));
  return {
    mesh: { name: plan.mesh.name, trustDomain: plan.mesh.trustDomain, multiNetwork: plan.mesh.multiNetwork },
    networks,
    clusters: plan.clusters.map((c) => {
      const s = states.get(c.name);
      return {
        name: c.name,
        network: c.network,
        role: c.role,
        primary: c.primary,
        ...(c.apiServer !== undefined ? { apiServer: c.apiServer } : {}),
        state: s?.state ?? 'unknown',
        ...(s?.lastError ? { lastError: s.lastError } : {}),
        watches: c.watches,
        watchedBy: c.watchedBy,
      };
    }),
    gateways,
    controlPlane: plan.clusters.filter((c) => c.role === 'remote').map((c) => ({ primary: c.primary, remote: c.name })),
    remoteSecrets: plan.remoteSecrets.map((s) => ({ primary: s.primary, watched: s.watched, secret: s.name })),
  };
}
