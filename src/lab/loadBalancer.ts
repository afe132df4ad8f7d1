/**
 * The lab load balancer (stands in for MetalLB): gives every Service of type LoadBalancer
 * in the lab's clusters an address from its cluster's `loadBalancerPool`, as MetalLB does
 * for seed 000's kind clusters. It only writes `status.loadBalancer`; no traffic flows to
 * these addresses. One process serves every cluster of a lab.
 */
import { patchStatus, type KubeClients, type WatchEvent } from '../kube/index.js';
import { contains, parseCidr } from '../topology/index.js';
import { runListWatch } from './listWatch.js';
import { allocateAddress, requestedAddress } from './pool.js';

export const LOAD_BALANCER_NAME = 'lab load balancer (stands in for MetalLB)';

/** The parts of a Service the load balancer reads. */
export interface LbService {
  metadata: {
    name: string;
    namespace: string;
    uid?: string;
    creationTimestamp?: string;
    annotations?: Record<string, string>;
  };
  spec?: { type?: string; loadBalancerIP?: string; loadBalancerClass?: string };
  status?: { loadBalancer?: { ingress?: { ip?: string; hostname?: string }[] } };
}

export type LbDecision = { action: 'none' } | { action: 'set'; ip: string } | { action: 'clear' } | { action: 'pending'; reason: string };

const key = (s: LbService) => `${s.metadata.namespace}/${s.metadata.name}`;
const currentIp = (s: LbService) => s.status?.loadBalancer?.ingress?.[0]?.ip;
const isLoadBalancer = (s: LbService) => s.spec?.type === 'LoadBalancer' && !s.spec.loadBalancerClass;

/** Older Services first, so addresses are handed out in a stable order after a restart. */
export function byAge(a: LbService, b: LbService): number {
  const ta = Date.parse(a.metadata.creationTimestamp ?? '') || 0;
  const tb = Date.parse(b.metadata.creationTimestamp ?? '') || 0;
  return ta - tb || key(a).localeCompare(key(b));
}

/** What to do with one Service, given every Service of its cluster. Pure. */
export function decide(service: LbService, all: Iterable<LbService>, pool: string): LbDecision {
  const current = currentIp(service);
  const range = parseCidr(pool);
  // Only addresses from our own pool are ours to take back.
  const ours = current !== undefined && !!range && contains(range, current);
  if (!isLoadBalancer(service)) return ours && service.spec?.type !== 'LoadBalancer' ? { action: 'clear' } : { action: 'none' };
  const taken = new Set<string>();
  const reserved = new Set<string>();
  for (const other of all) {
    if (key(other) === key(service) || !isLoadBalancer(other)) continue;
    const ip = currentIp(other);
    if (ip) taken.add(ip);
    const asked = requestedAddress(other.metadata.annotations, other.spec?.loadBalancerIP);
    if (asked) reserved.add(asked);
  }
  const result = allocateAddress({
    pool,
    requested: requestedAddress(service.metadata.annotations, service.spec?.loadBalancerIP),
    current,
    taken,
    reserved,
  });
  if (!result.ok) return ours ? { action: 'clear' } : { action: 'pending', reason: result.reason };
  return result.ip === current && (service.status?.loadBalancer?.ingress?.length ?? 0) === 1 ? { action: 'none' } : { action: 'set', ip: result.ip };
}

export interface LbClusterOptions {
  cluster: string;
  clients: KubeClients;
  pool: string;
  signal: AbortSignal;
  log: (line: string) => void;
  /** Backoff between re-lists after an error; injected for tests. */
  sleep?: (ms: number) => Promise<void>;
  maxBackoffMs?: number;
}

/** Runs until `signal` aborts: reconciles every Service of the cluster, as listed and watched. */
export async function runLoadBalancerForCluster(opts: LbClusterOptions): Promise<void> {
  const services = new Map<string, LbService>();
  const pendingLogged = new Map<string, string>();

  const reconcile = async (k: string) => {
    const svc = services.get(k);
    if (!svc) return;
    const d = decide(svc, services.values(), opts.pool);
    if (d.action === 'pending') {
      if (pendingLogged.get(k) !== d.reason) opts.log(`${opts.cluster}: ${k} stays pending: ${d.reason}`);
      pendingLogged.set(k, d.reason);
      return;
    }
    pendingLogged.delete(k);
    if (d.action === 'none') return;
    // A merge patch removes a field only when it is set to null.
    const status = d.action === 'set' ? { loadBalancer: { ingress: [{ ip: d.ip }] } } : { loadBalancer: { ingress: null } };
    await patchStatus(opts.clients, { kind: 'Service', name: svc.metadata.name, namespace: svc.metadata.namespace }, status);
    // Record the outcome now so the next decision in this pass sees the address as taken.
    services.set(k, { ...svc, status: { ...svc.status, loadBalancer: d.action === 'set' ? { ingress: [{ ip: d.ip }] } : {} } });
    opts.log(d.action === 'set' ? `${opts.cluster}: ${k} ← ${d.ip}` : `${opts.cluster}: ${k}: address released`);
  };

  // One reconcile at a time per cluster: each decision depends on the addresses already given.
  let chain = Promise.resolve();
  const enqueue = (k: string) => {
    chain = chain.then(() => reconcile(k)).catch((e: unknown) => opts.log(`${opts.cluster}: ${k}: ${(e as Error).message}`));
  };

  await runListWatch<LbService>({
    cluster: opts.cluster,
    clients: opts.clients,
    path: '/api/v1/services',
    signal: opts.signal,
    log: opts.log,
    ...(opts.sleep ? { sleep: opts.sleep } : {}),
    ...(opts.maxBackoffMs !== undefined ? { maxBackoffMs: opts.maxBackoffMs } : {}),
    onList: async (items) => {
      services.clear();
      for (const s of items) services.set(key(s), s);
      for (const s of [...services.values()].sort(byAge)) enqueue(key(s));
      await chain;
      opts.log(`${opts.cluster}: watching Services (pool ${opts.pool})`);
    },
    onEvent: (ev: WatchEvent<LbService>) => {
      if (ev.type === 'BOOKMARK') return;
      const k = key(ev.object);
      if (ev.type === 'DELETED') {
        services.delete(k);
        pendingLogged.delete(k);
        // A freed address may be what a pending Service was waiting for.
        for (const other of [...services.values()].sort(byAge)) if (pendingLogged.has(key(other))) enqueue(key(other));
        return;
      }
      services.set(k, ev.object);
      enqueue(k);
    },
  });
}
