import { kubeClients, type KubeClients } from '../kube/index.js';
import { stepsUntil, type ClusterPlan, type Phase, type Plan, type Step } from '../plan/index.js';
import { clusterOf, KeyedLock, type ApplyContext, type Clock } from './context.js';
import { runDag, type StepEvent, type StepOutcome } from './dag.js';
import type { MeshInstaller } from './installer.js';
import { memberChanges, nextMembers, recordedMembers, writeMembers, type MemberChanges, type MemberRecord } from './members.js';
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
  /** Run the steps up to this phase only (`--until`); a later run continues. */
  until?: Phase;
  /**
   * `--destroy-removed`: uninstalls the clusters that left the file, as destroy would, once
   * their remote secrets are pruned. The caller plans the former mesh and reaches its clusters.
   */
  destroyRemoved?(removed: MemberChanges['removed']): Promise<RemovedDestroy>;
  onEvent?(e: StepEvent): void;
}

/** What `destroyRemoved` ran: the former mesh's steps of the removed clusters, with their outcomes. */
export interface RemovedDestroy {
  steps: Step[];
  outcomes: Map<string, StepOutcome>;
}

/** Clusters that joined or left the file since the last apply (from the record in the primaries). */
export interface MembersOutcome extends MemberChanges {
  /** The removed clusters that were destroyed in this run (all their undo steps done). */
  destroyed: string[];
  /** The removed-cluster destroy, when it ran. */
  destroy?: RemovedDestroy;
  /** Why the removed clusters were not destroyed although asked to. */
  destroySkipped?: string;
  /** Entries of the record meshfed could not read (named by cluster). */
  unreadable: string[];
  /** Primaries whose record changed (a dry run records nothing). */
  recordedIn: string[];
  /** Primaries whose record could not be written: a later apply may not see a cluster leave. */
  recordErrors: { cluster: string; error: string }[];
}

export interface PruneOutcome {
  cluster: string;
  deleted: string[];
  error?: string;
}

export interface ApplyReport {
  outcomes: Map<string, StepOutcome>;
  pruned: PruneOutcome[];
  members: MembersOutcome;
  changed: number;
  failed: number;
  blocked: number;
  dryRun: boolean;
}

/**
 * One client per cluster of the plan from the operator's kubeconfig, or why one could not be
 * made. `requestTimeoutMs` bounds each request, so a hung API server fails its steps in time.
 */
export function clientsFor(plan: Plan, kubeconfig: string, opts: Parameters<typeof kubeClients>[2] = {}): Map<string, KubeClients | Error> {
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

const reachable = (ctx: ApplyContext, name: string) => {
  const k = ctx.clients.get(name);
  return k && !(k instanceof Error) ? k : undefined;
};

/**
 * The record as the primaries hold it, merged; a primary that cannot be read adds nothing. Read
 * after the steps, from primaries whose steps went through: a hung API server has already cost
 * its deadline there, and the steps do not touch the record.
 */
async function observedMembers(ctx: ApplyContext, clean: (c: ClusterPlan) => boolean): Promise<{ record: MemberRecord; unreadable: string[] }> {
  const primaries = ctx.plan.clusters.filter((c) => c.role === 'primary' && clean(c)).map((c) => reachable(ctx, c.name));
  return recordedMembers(primaries.filter((k) => k !== undefined));
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
  const steps = stepsUntil(opts.plan.steps, opts.until);
  const outcomes = await runDag(steps, {
    concurrency: opts.concurrency ?? 6,
    run: (s) => handlerOf(s.kind).run(ctx, s, clusterOf(ctx, s.cluster)),
    now: () => opts.clock.now(),
    ...(opts.onEvent ? { onEvent: opts.onEvent } : {}),
  });
  const pruned: PruneOutcome[] = [];
  // Where the cluster's own steps went through: prune and record only there, never on a half-known cluster.
  const clean = (c: ClusterPlan) => steps.filter((s) => s.cluster === c.name).every((s) => outcomes.get(s.id)?.status === 'done');
  if (!opts.noPrune) {
    for (const c of opts.plan.clusters) {
      const k = ctx.clients.get(c.name);
      if (!k || k instanceof Error || !clean(c)) continue;
      try {
        pruned.push({ cluster: c.name, deleted: await pruneCluster(ctx, c) });
      } catch (e) {
        pruned.push({ cluster: c.name, deleted: [], error: (e as Error).message });
      }
    }
  }
  const observed = await observedMembers(ctx, clean);
  const changes = memberChanges(opts.plan, observed.record);
  const members = await settleMembers(ctx, opts, { ...changes, unreadable: observed.unreadable }, { outcomes, pruned, clean });
  const all = [...outcomes.values()];
  const removedChanged = [...(members.destroy?.outcomes.values() ?? [])].filter((o) => o.changed).length;
  return {
    outcomes,
    pruned,
    members,
    changed: all.filter((o) => o.changed).length + pruned.reduce((n, p) => n + p.deleted.length, 0) + removedChanged + members.recordedIn.length,
    failed: all.filter((o) => o.status === 'failed').length,
    blocked: all.filter((o) => o.status === 'blocked').length,
    dryRun,
  };
}

/**
 * After the steps and the prune: destroys the removed clusters when asked (only after a clean
 * apply, so their remote secrets are gone from every primary first), then records the members
 * in every clean primary. A removed cluster stays in the record until it is destroyed.
 */
async function settleMembers(
  ctx: ApplyContext,
  opts: ApplyOptions,
  changes: MemberChanges & { unreadable: string[] },
  run: { outcomes: Map<string, StepOutcome>; pruned: PruneOutcome[]; clean: (c: ClusterPlan) => boolean },
): Promise<MembersOutcome> {
  const out: MembersOutcome = { ...changes, destroyed: [], recordedIn: [], recordErrors: [] };
  if (opts.destroyRemoved && changes.removed.length > 0) {
    const failed = [...run.outcomes.values()].some((o) => o.status !== 'done') || run.pruned.some((p) => p.error) || run.pruned.length < ctx.plan.clusters.length;
    if (ctx.dryRun) out.destroySkipped = 'dry run';
    else if (opts.noPrune) out.destroySkipped = '--no-prune keeps their remote secrets in the primaries';
    else if (run.outcomes.size < ctx.plan.steps.length) out.destroySkipped = '--until stopped the apply before its last phase';
    else if (failed) out.destroySkipped = 'the apply did not finish cleanly (their remote secrets may still be in a primary)';
    else {
      try {
        out.destroy = await opts.destroyRemoved(changes.removed);
        const { steps, outcomes } = out.destroy;
        out.destroyed = changes.removed.map((r) => r.name).filter((n) => steps.filter((s) => s.cluster === n).every((s) => outcomes.get(s.id)?.status === 'done'));
      } catch (e) {
        // E.g. the former mesh no longer plans (a record written by another meshfed): say why, keep the record.
        out.destroySkipped = `cannot plan or reach them: ${(e as Error).message}`;
      }
    }
  }
  // A dry run records nothing (istio-system may not exist yet for a server-side dry run).
  if (ctx.dryRun) return out;
  const record = nextMembers(ctx.plan, changes, new Set(out.destroyed));
  for (const c of ctx.plan.clusters) {
    const k = reachable(ctx, c.name);
    if (c.role !== 'primary' || !k || !run.clean(c)) continue;
    try {
      if (await writeMembers(k, record, false)) out.recordedIn.push(c.name);
    } catch (e) {
      out.recordErrors.push({ cluster: c.name, error: (e as Error).message });
    }
  }
  return out;
}
