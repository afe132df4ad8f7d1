import { firstHost, parseCidr } from './cidr.js';
import type { ClusterSpec, MeshFile } from './types.js';

export type Role = 'primary' | 'remote';

/** What the mesh file implies about one cluster. */
export interface ClusterFacts {
  spec: ClusterSpec;
  name: string;
  role: Role;
  /** The primary running this cluster's control plane (itself for a primary). */
  primary: string;
  /** Network name; '' when the mesh names no networks (one flat network). */
  network: string;
  /** Remotes whose control plane this primary runs. */
  remotes: string[];
  /** Primaries that watch this cluster through a remote secret (every other primary). */
  watchedBy: string[];
  /** Clusters this primary watches (every other cluster of the mesh); empty for a remote. */
  watches: string[];
  /** Runs istiod with EXTERNAL_ISTIOD so it can control remotes. */
  externalIstiod: boolean;
  needsEastWestGateway: boolean;
  exposesIstiod: boolean;
  exposesServices: boolean;
  /** Known before apply when pinned in the file or derived from the pool. */
  plannedGatewayAddress?: string;
}

export interface Topology {
  mesh: MeshFile;
  meshID: string;
  clusters: ClusterFacts[];
  networks: string[];
  multiNetwork: boolean;
  lab: boolean;
}

/** Derives roles, networks, watches and gateways from a valid mesh file. Pure. */
export function buildTopology(mesh: MeshFile): Topology {
  const specs = mesh.spec.clusters;
  const networks = [...new Set(specs.map((c) => c.network ?? ''))].sort();
  const multiNetwork = networks.length > 1;
  const primaries = specs.filter((c) => c.controlPlane === 'self').map((c) => c.name);
  const remotesOf = new Map<string, string[]>();
  for (const r of specs) {
    // A primary's `self` names no cluster, even one called "self".
    if (r.controlPlane === 'self') continue;
    const list = remotesOf.get(r.controlPlane);
    if (list) list.push(r.name);
    else remotesOf.set(r.controlPlane, [r.name]);
  }
  const clusters = specs.map((c): ClusterFacts => {
    const role: Role = c.controlPlane === 'self' ? 'primary' : 'remote';
    const remotes = remotesOf.get(c.name) ?? [];
    const hasRemotes = role === 'primary' && remotes.length > 0;
    // Every cluster of a multi-network mesh is reached through a gateway in its own network;
    // a primary with remotes also needs one to expose istiod.
    const needsEastWestGateway = multiNetwork || hasRemotes;
    const pool = c.loadBalancerPool ? parseCidr(c.loadBalancerPool) : undefined;
    const plannedGatewayAddress = needsEastWestGateway ? c.eastWestGatewayAddress ?? (pool ? firstHost(pool) : undefined) : undefined;
    return {
      spec: c,
      name: c.name,
      role,
      primary: role === 'primary' ? c.name : c.controlPlane,
      network: c.network ?? '',
      remotes,
      watchedBy: primaries.filter((p) => p !== c.name),
      watches: role === 'primary' ? specs.map((o) => o.name).filter((n) => n !== c.name) : [],
      externalIstiod: hasRemotes,
      needsEastWestGateway,
      exposesIstiod: hasRemotes,
      // Istio's docs apply expose-services on primaries only: a remote's gateway takes its
      // config from its primary.
      exposesServices: multiNetwork && role === 'primary',
      ...(plannedGatewayAddress ? { plannedGatewayAddress } : {}),
    };
  });
  return { mesh, meshID: mesh.metadata.name, clusters, networks, multiNetwork, lab: mesh.spec.lab !== undefined };
}
