import { contains, parseCidr } from '../topology/index.js';

/** MetalLB's annotation for asking a specific address (comma-separated, one per family). */
export const METALLB_IPS_ANNOTATION = 'metallb.universe.tf/loadBalancerIPs';

export interface AllocationRequest {
  pool: string;
  /** From the MetalLB annotation or spec.loadBalancerIP, if the Service asks for one. */
  requested: string | undefined;
  /** The address the Service holds now, if any. */
  current: string | undefined;
  /** Addresses other Services of the cluster hold. */
  taken: ReadonlySet<string>;
  /** Addresses other Services ask for by name: never handed out to a Service that asks for none. */
  reserved?: ReadonlySet<string>;
}

export type Allocation = { ok: true; ip: string } | { ok: false; reason: string };

function ipv4Value(ip: string): bigint | undefined {
  const parts = ip.split('.');
  if (parts.length !== 4 || !parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255)) return undefined;
  return parts.reduce((acc, p) => (acc << 8n) | BigInt(Number(p)), 0n);
}

function fromValue(v: bigint): string {
  return [24n, 16n, 8n, 0n].map((s) => String((v >> s) & 255n)).join('.');
}

/** The address a requesting Service asks for: the annotation wins over spec.loadBalancerIP. */
export function requestedAddress(annotations: Record<string, string> | undefined, loadBalancerIP: string | undefined): string | undefined {
  const fromAnnotation = annotations?.[METALLB_IPS_ANNOTATION]
    ?.split(',')
    .map((s) => s.trim())
    .find((s) => ipv4Value(s) !== undefined);
  return fromAnnotation ?? (loadBalancerIP ? loadBalancerIP.trim() || undefined : undefined);
}

/**
 * Chooses a Service's address the way MetalLB does for a layer-2 pool: the requested one if
 * it is in the pool and free, else the one it already holds, else the lowest free address of
 * the pool. Like MetalLB (without avoidBuggyIPs), that includes the network and broadcast
 * addresses: seed 000's unpinned gateways got 172.18.12.0, and the default profile's ingress
 * gateway takes .0, leaving .1 (the first host, which meshfed pins) to the east-west gateway.
 */
export function allocateAddress(req: AllocationRequest): Allocation {
  const pool = parseCidr(req.pool);
  if (!pool || pool.family !== 'ipv4') return { ok: false, reason: `pool ${req.pool} is not an IPv4 range` };
  if (req.requested !== undefined) {
    if (ipv4Value(req.requested) === undefined || !contains(pool, req.requested)) {
      return { ok: false, reason: `requested address ${req.requested} is not in the pool ${req.pool}` };
    }
    if (req.taken.has(req.requested)) return { ok: false, reason: `requested address ${req.requested} is already in use` };
    return { ok: true, ip: req.requested };
  }
  if (req.current !== undefined && contains(pool, req.current) && !req.taken.has(req.current)) return { ok: true, ip: req.current };
  // A pinned address (meshfed pins the east-west gateway) must stay free for its Service even
  // when another LoadBalancer, such as the default profile's ingress gateway, comes first.
  const reserved = req.reserved ?? new Set<string>();
  for (let v = pool.first; v <= pool.last; v++) {
    const ip = fromValue(v);
    if (!req.taken.has(ip) && !reserved.has(ip)) return { ok: true, ip };
  }
  return { ok: false, reason: `pool ${req.pool} has no free address` };
}
