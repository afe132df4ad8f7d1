import fc from 'fast-check';
import { stringify } from 'yaml';

/** One cluster of a generated mesh, as the generator decided it. */
export interface GenCluster {
  name: string;
  /** Index into `clusters` of its primary; undefined for a primary. */
  primary?: number;
  network: number;
  apiServer: boolean;
  nodeAddress: boolean;
  context: boolean;
  /** Prefix length of its load balancer pool, when it has one. */
  poolPrefix?: number;
  /** Offset of a pinned gateway address inside the pool (or in 172.21.<i>.0/24 without a pool). */
  pin?: number;
}

export interface GenMesh {
  clusters: GenCluster[];
  namedNetworks: boolean;
  lab: boolean;
  revision?: string;
}

const POOL_PREFIXES = [24, 28, 30, 31, 32];

const clusterArb = (i: number) =>
  fc
    .record({
      isPrimary: fc.boolean(),
      primaryPick: fc.nat(),
      network: fc.nat({ max: 3 }),
      apiServer: fc.boolean(),
      nodeAddress: fc.boolean(),
      context: fc.boolean(),
      poolPrefix: fc.option(fc.constantFrom(...POOL_PREFIXES), { nil: undefined }),
      pinPick: fc.option(fc.nat(), { nil: undefined }),
      prefix: fc.constantFrom('c', 'east-', 'edge-', 'k8s-'),
    })
    .map((r) => ({ ...r, name: `${r.prefix}${i}` }));

/** Random valid topologies: 1..10 clusters, at least one primary, remotes on random primaries, 1..4 networks. */
export const meshArb: fc.Arbitrary<GenMesh> = fc.integer({ min: 1, max: 10 }).chain((n) =>
  fc
    .record({
      raw: fc.tuple(...Array.from({ length: n }, (_, i) => clusterArb(i))),
      forcedPrimary: fc.nat({ max: n - 1 }),
      networkCount: fc.integer({ min: 1, max: 4 }),
      // Mostly named networks (so often several); sometimes none at all (one unnamed flat network).
      namedNetworks: fc.constantFrom(true, true, true, false),
      lab: fc.boolean(),
      revision: fc.option(fc.constantFrom('canary', '1-31-0'), { nil: undefined }),
    })
    .map(({ raw, forcedPrimary, networkCount, namedNetworks, lab, revision }): GenMesh => {
      const primaries = raw.map((r, i) => (r.isPrimary || i === forcedPrimary ? i : -1)).filter((i) => i >= 0);
      // Without names there is one network; with names up to networkCount of them.
      const networks = namedNetworks ? networkCount : 1;
      const clusters = raw.map((r, i): GenCluster => {
        const size = r.poolPrefix === undefined ? 256 : 2 ** (32 - r.poolPrefix);
        return {
          name: r.name,
          ...(primaries.includes(i) ? {} : { primary: primaries[r.primaryPick % primaries.length]! }),
          network: r.network % networks,
          apiServer: r.apiServer,
          nodeAddress: r.nodeAddress,
          context: r.context,
          ...(r.poolPrefix !== undefined ? { poolPrefix: r.poolPrefix } : {}),
          ...(r.pinPick !== undefined ? { pin: r.pinPick % size } : {}),
        };
      });
      return { clusters, namedNetworks, lab, ...(revision ? { revision } : {}) };
    }),
);

/** Where the generator planned cluster i's gateway: the pin, else the pool's first host. */
export function plannedGateway(g: GenMesh, i: number): string | undefined {
  const c = g.clusters[i]!;
  if (c.pin !== undefined) return c.poolPrefix !== undefined ? `172.20.${i}.${c.pin}` : `172.21.${i}.${c.pin}`;
  if (c.poolPrefix === undefined) return undefined;
  // The network address is skipped when the pool has at least three addresses.
  return c.poolPrefix <= 30 ? `172.20.${i}.1` : `172.20.${i}.0`;
}

/** The mesh file text of a generated mesh: disjoint ranges per cluster (10.<i>/16 pods, 10.<100+i>/16 services). */
export function meshYaml(g: GenMesh): string {
  const clusters = g.clusters.map((c, i) => ({
    name: c.name,
    ...(c.context ? { context: `ctx-${c.name}` } : {}),
    ...(c.apiServer ? { apiServer: g.lab ? `https://127.0.10.${i + 1}:6443` : `https://192.168.0.${i + 1}:6443` } : {}),
    ...(c.nodeAddress ? { nodeAddress: `192.168.0.${i + 1}` } : {}),
    ...(g.namedNetworks ? { network: `net-${c.network}` } : {}),
    ...(c.primary === undefined ? (i % 2 === 0 ? { controlPlane: 'self' } : {}) : { controlPlane: g.clusters[c.primary]!.name }),
    podCIDRs: [`10.${i}.0.0/16`],
    serviceCIDRs: [`10.${100 + i}.0.0/16`],
    ...(c.poolPrefix !== undefined ? { loadBalancerPool: `172.20.${i}.0/${c.poolPrefix}` } : {}),
    ...(c.pin !== undefined ? { eastWestGatewayAddress: plannedGateway(g, i) } : {}),
  }));
  return stringify({
    apiVersion: 'meshfed.io/v1alpha1',
    kind: 'Mesh',
    metadata: { name: 'random-mesh' },
    spec: {
      istio: { version: '1.31.0', ...(g.revision ? { revision: g.revision } : {}) },
      ...(g.lab ? { lab: { nodes: 1 } } : {}),
      clusters,
    },
  });
}
