import { overlaps, parseCidr, type Cidr, type MeshFile } from '../topology/index.js';
import { LAB_ERROR_CODES, LabError } from './errors.js';

/**
 * Where the lab takes a load balancer pool for a cluster whose mesh file names none, as a
 * cloud hands out addresses of its own: 198.18.0.0/15 is reserved for benchmarking (RFC 2544),
 * so no real network this machine can reach uses it. The lab takes pools from its first half;
 * the second half (198.19.0.0/16) is kept for the lab's own links.
 */
export const LAB_POOL_RANGE = '198.18.0.0/16';
const POOLS_IN_RANGE = 256;

const poolAt = (n: number) => `198.18.${n}.0/24`;

/** The /24 holding an IPv4 address, e.g. 172.18.9.1 -> 172.18.9.0/24. */
function slash24Of(address: string): string | undefined {
  const parts = address.split('.');
  return parts.length === 4 ? `${parts.slice(0, 3).join('.')}.0/24` : undefined;
}

/**
 * Each cluster's load balancer pool: the mesh file's own, else one the lab picks, distinct
 * per cluster and overlapping no range or address of the mesh. The i-th cluster prefers
 * 198.18.i.0/24 so a pick stays put when another cluster gains a pool of its own. A cluster
 * that pins its east-west gateway address but names no pool gets that address's /24, so the
 * pinned address can be handed out. Pure.
 */
export function labLoadBalancerPools(mesh: MeshFile): { pool: string; picked: boolean }[] {
  const used: Cidr[] = [];
  const use = (text: string | undefined) => {
    const c = text ? parseCidr(text.includes('/') ? text : `${text}/32`) : undefined;
    if (c) used.push(c);
  };
  for (const c of mesh.spec.clusters) {
    [...c.podCIDRs, ...c.serviceCIDRs, c.loadBalancerPool, c.nodeAddress].forEach(use);
    if (c.loadBalancerPool) use(c.eastWestGatewayAddress);
  }
  const free = (text: string) => {
    const c = parseCidr(text);
    return !!c && !used.some((u) => overlaps(u, c));
  };
  const out: ({ pool: string; picked: boolean } | undefined)[] = mesh.spec.clusters.map((c) => (c.loadBalancerPool ? { pool: c.loadBalancerPool, picked: false } : undefined));
  // Pinned gateway addresses first: their /24 is not a choice.
  mesh.spec.clusters.forEach((c, index) => {
    if (out[index] || !c.eastWestGatewayAddress) return;
    const around = slash24Of(c.eastWestGatewayAddress);
    if (!around || !free(around)) {
      throw new LabError({ code: LAB_ERROR_CODES.invalidAddress, message: `cluster ${c.name}: no loadBalancerPool, and the lab cannot use ${around ?? c.eastWestGatewayAddress} around its eastWestGatewayAddress ${c.eastWestGatewayAddress} (it overlaps another range of the mesh)`, hint: 'add a loadBalancerPool holding eastWestGatewayAddress to the cluster', cluster: c.name });
    }
    use(around);
    out[index] = { pool: around, picked: true };
  });
  return mesh.spec.clusters.map((c, index) => {
    const known = out[index];
    if (known) return known;
    const order = [index, ...Array.from({ length: POOLS_IN_RANGE }, (_, n) => n)].filter((n) => n < POOLS_IN_RANGE);
    const n = order.find((m) => free(poolAt(m)));
    if (n === undefined) {
      throw new LabError({ code: LAB_ERROR_CODES.invalidAddress, message: `cluster ${c.name}: no loadBalancerPool, and no free /24 is left in ${LAB_POOL_RANGE}`, hint: 'give the cluster a loadBalancerPool', cluster: c.name });
    }
    use(poolAt(n));
    return { pool: poolAt(n), picked: true };
  });
}
