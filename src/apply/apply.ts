import { kubeClients, type KubeClients } from '../kube/index.js';
import type { ClusterPlan, Plan } from '../plan/index.js';
import { clusterOf, KeyedLock, type ApplyContext, type Clock } from './context.js';
import { runDag, type StepEvent, type StepOutcome } from './dag.js';
import type { MeshInstaller } from './installer.js';
import { handlerOf, PRUNE_ORDER } from './stepKinds.js';

export interface ApplyOptions {
  plan: Plan;
  /** One client per cluster of the plan (or why it could not be made): `clientsFor`. */
  clients: Map<string, KubeClients | Error>;
  /** istioctl or Helm as the mesh file says: `installerFor`. */
  installer: MeshInstaller;
  clock: Clock;
  rootDir: string;
  dryRun?: boolean;
  concurrency?: number;
  waitTimeoutMs?: number;
  /** Skip pruning what left the mesh file. */
  noPrune?: boolean;
  onEvent?(e: StepEvent): void;
}

export interface PruneOutcome {
  cluster: string;
  deleted: string[];
  error?: string;
}

export interface ApplyReport {
  outcomes: Map<string, StepOutcome>;
  pruned: PruneOutcome[];
  changed: number;
  failed: number;
  blocked: number;
  dryRun: boolean;
}

/**
 * One client per cluster of the plan from the operator's kubeconfig, or why one could not be
 * made. `requestTimeoutMs` bounds each request, so a hung API server fails its steps in time.
 */
export function clientsFor(plan: Plan, kubeconfig: string, opts: { requestTimeoutMs?: number } = {}): Map<string, KubeClients | Error> {
  const clients = new Map<string, KubeClients | Error>();
  for (const c of plan.clusters) {
    try {
      clients.set(c.name, kubeClients(kubeconfig, c.context, opts));
    } catch (e) {
      clients.set(c.name, e as Error);
    }
  }
  return clients;
}

/** Removes what meshfed made in a cluster that the plan no longer wants, kind by kind; returns what went. */
async function pruneCluster(ctx: ApplyContext, c: ClusterPlan): Promise<string[]> {
  const gone: string[] = [];
  for (const kind of PRUNE_ORDER) gone.push(...(await handlerOf(kind).prune(ctx, c)));
  return gone;
}

/**
 * Brings the clusters to the plan: every step is idempotent, so a run after a killed one
 * completes it, and a run on an applied mesh changes nothing.
 */
export async function applyMesh(opts: ApplyOptions): Promise<ApplyReport> {
  const dryRun = !!opts.dryRun;
  const ctx: ApplyContext = {
    plan: opts.plan,
    clients: opts.clients,
    installer: opts.installer,
    clock: opts.clock,
    rootDir: opts.rootDir,
    dryRun,
    gatewayAddresses: new Map(),
    waitTimeoutMs: opts.waitTimeoutMs ?? 180_000,
    stateLock: new KeyedLock(),
  };
  const steps = opts.plan.steps;
  const outcomes = await runDag(steps, {
    concurrency: opts.concurrency ?? 6,
    run: (s) => handlerOf(s.kind).run(ctx, s, clusterOf(ctx, s.cluster)),
    now: () => opts.clock.now(),
    ...(opts.onEvent ? { onEvent: opts.onEvent } : {}),
  });
  const pruned: PruneOutcome[] = [];
  if (!opts.noPrune) {
    for (const c of opts.plan.clusters) {
      const k = ctx.clients.get(c.name);
      // Prune only where the cluster's own steps went through: never act on a half-known cluster.
      const clean = steps.filter((s) => s.cluster === c.name).every((s) => outcomes.get(s.id)?.status === 'done');
      if (!k || k instanceof Error || !clean) continue;
      try {
        pruned.push({ cluster: c.name, deleted: await pruneCluster(ctx, c) });
      } catch (e) {
        pruned.push({ cluster: c.name, deleted: [], error: (e as Error).message });
      }
    }
  }
  const all = [...outcomes.values()];
  return {
    outcomes,
    pruned,
    changed: all.filter((o) => o.changed).length + pruned.reduce((n, p) => n + p.deleted.length, 0),
    failed: all.filter((o) => o.status === 'failed').length,
    blocked: all.filter((o) => o.status === 'blocked').length,
    dryRun,
  };
}
