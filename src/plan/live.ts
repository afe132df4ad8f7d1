/**
 * Planning against what is live: the mesh file's plan and what each cluster runs (observed
 * state, plain data read by src/apply/observe.ts) give the changes per cluster, the way
 * `terraform plan` shows them, and the plan's extra steps for an upgrade. Pure.
 */
import { orderSteps, stepId } from './steps.js';
import { PHASES, type ClusterPlan, type Phase, type Plan, type Step } from './types.js';

/** The revision name of an install without `spec.istio.revision`, as Istio labels it. */
export const DEFAULT_REVISION = 'default';
export const revisionOf = (revision: string | undefined): string => revision || DEFAULT_REVISION;

/** One istiod Deployment of a cluster (a primary runs one per revision). */
export interface ObservedIstiod {
  revision: string;
  /** From its image tag; absent when the tag is not a version. */
  version?: string;
  readyReplicas: number;
}

/** What meshfed recorded in the cluster's meshfed-state ConfigMap at its last install. */
export interface RecordedInstall {
  mesh?: string;
  version?: string;
  revision?: string;
  installer?: string;
  /** Every revision meshfed installed and has not removed yet, the current one included. */
  revisions: string[];
}

/** A step of the plan as the cluster shows it: its objects there (and its install files unchanged), or not. */
export type ObservedStep = 'applied' | 'missing' | 'stale';

export interface ObservedCluster {
  reachable: boolean;
  /** Why it could not be read. */
  error?: string;
  istiods: ObservedIstiod[];
  recorded?: RecordedInstall;
  /** By step id, for the plan's steps of this cluster. */
  steps: Record<string, ObservedStep>;
  /** Pods by the revision that injected them (their `istio.io/rev` label). */
  podsByRevision: Record<string, number>;
}

/** By cluster name. A cluster missing here was not read (offline). */
export type ObservedState = Record<string, ObservedCluster>;

export type ChangeAction = 'create' | 'upgrade' | 'canary' | 'change' | 'unchanged' | 'unknown';

export interface ClusterChange {
  cluster: string;
  role: ClusterPlan['role'];
  action: ChangeAction;
  /** What runs now (upgrade, canary): version and revision. */
  from?: { version?: string; revision: string };
  to: { version: string; revision: string };
  /** Revisions to remove once nothing uses them (canary). */
  oldRevisions: string[];
  /** Steps of the plan that would change something (missing or with changed files). */
  steps: string[];
  /** Why `unknown`. */
  reason?: string;
}

/**
 * A cluster of the mesh file that the record of the last apply (kept in the primaries) does not
 * name: what apply runs for it. Filled by src/apply/members.ts.
 */
export interface ClusterJoin {
  cluster: string;
  /** Its own steps. */
  steps: string[];
  /** The remote-secret steps that give the primaries its remote secret (in other clusters). */
  remoteSecrets: { in: string; step: string }[];
}

/** A cluster the record names and the mesh file no longer does: what apply removes, and what stays. */
export interface ClusterLeave {
  cluster: string;
  /** Objects prune deletes in the clusters that stay: its remote secrets, and reader access no primary needs any more. */
  pruned: { in: string; object: string }[];
  /** With --destroy-removed: its undo steps, in order (as `meshfed destroy` runs them). */
  destroy?: string[];
  /** Why its undo steps cannot be listed (the former mesh no longer plans). */
  destroyUnknown?: string;
}

export interface MemberDiff {
  joins: ClusterJoin[];
  leaves: ClusterLeave[];
}

export interface LivePlan {
  /** The plan with the upgrade's steps and order added. */
  plan: Plan;
  changes: ClusterChange[];
}

/** The version running now: the recorded one, else the one istiod's image says. */
function liveVersion(o: ObservedCluster, revision: string): string | undefined {
  return o.recorded?.version ?? o.istiods.find((i) => i.revision === revision)?.version ?? o.istiods[0]?.version;
}

/** Revisions in the cluster other than the wanted one: recorded by meshfed, or an istiod running. */
function otherRevisions(o: ObservedCluster, want: string): string[] {
  const seen = new Set<string>([...(o.recorded?.revisions ?? []), ...(o.recorded?.revision ? [o.recorded.revision] : []), ...o.istiods.map((i) => i.revision)]);
  seen.delete(want);
  return [...seen].sort();
}

function changeOf(plan: Plan, c: ClusterPlan, o: ObservedCluster | undefined): ClusterChange {
  const to = { version: plan.mesh.istio.version, revision: revisionOf(plan.mesh.istio.revision) };
  const base = { cluster: c.name, role: c.role, to, oldRevisions: [] as string[] };
  const ids = plan.steps.filter((s) => s.cluster === c.name && !s.manual).map((s) => s.id);
  if (!o) return { ...base, action: 'unknown', steps: ids, reason: 'not read (offline)' };
  if (!o.reachable) return { ...base, action: 'unknown', steps: ids, reason: o.error ?? 'unreachable' };
  const changing = ids.filter((id) => o.steps[id] !== 'applied');
  const installed = !!o.recorded?.revision || o.istiods.length > 0;
  if (!installed) return { ...base, action: 'create', steps: changing };
  const fromRevision = o.recorded?.revision ?? (o.istiods.length === 1 ? o.istiods[0]!.revision : undefined);
  const fromVersion = liveVersion(o, fromRevision ?? to.revision);
  const from = { ...(fromVersion ? { version: fromVersion } : {}), revision: fromRevision ?? to.revision };
  const old = otherRevisions(o, to.revision);
  if (old.length > 0) return { ...base, action: 'canary', from, oldRevisions: old, steps: changing };
  if (fromVersion && fromVersion !== to.version) return { ...base, action: 'upgrade', from, steps: changing };
  return { ...base, action: changing.length ? 'change' : 'unchanged', steps: changing };
}

/**
 * The plan's steps for what is live: an in-place upgrade runs the primaries' installs one at a
 * time, each after the one before it is done (verified: src/apply/upgradeCheck.ts), and each
 * remote after its primary (Istio's documented order); a canary adds, per cluster with an old
 * revision, `revision-tags` (phase move) and `revision-remove` (phase remove-old), a primary's
 * old revision removed only after its remotes' (their webhooks call it until then).
 */
export function planAgainst(plan: Plan, observed: ObservedState): LivePlan {
  const changes = plan.clusters.map((c) => changeOf(plan, c, observed[c.name]));
  const byName = new Map(changes.map((x) => [x.cluster, x]));
  const steps: Step[] = plan.steps.map((s) => ({ ...s, needs: [...s.needs] }));
  const find = (id: string) => steps.find((s) => s.id === id);

  if (changes.some((x) => x.action === 'upgrade')) {
    const primaries = plan.clusters.filter((c) => c.role === 'primary').map((c) => c.name);
    for (let i = 1; i < primaries.length; i++) {
      const s = find(stepId('istio', primaries[i]!));
      const before = stepId('istio', primaries[i - 1]!);
      if (s && !s.needs.includes(before)) s.needs.push(before);
    }
    for (const c of plan.clusters.filter((x) => x.role === 'remote')) {
      const s = find(stepId('istio', c.name));
      const before = stepId('istio', c.primary);
      if (s && !s.needs.includes(before)) s.needs.push(before);
    }
    for (const x of changes) if (x.action === 'upgrade') find(stepId('istio', x.cluster))!.description += ` (upgrade in place ${x.from?.version ?? '?'} → ${x.to.version}, verified before the clusters after it)`;
  }

  const add = (s: Step) => steps.push(s);
  const phaseStep = (kind: 'revision-tags' | 'revision-remove', cluster: string, phase: Phase, needs: string[], description: string, fromRevision: string): Step => ({
    id: stepId(kind, cluster, fromRevision),
    kind,
    cluster,
    needs,
    description,
    phase,
    fromRevision,
  });
  for (const c of plan.clusters) {
    const x = byName.get(c.name)!;
    for (const old of x.oldRevisions) {
      // Every cluster's new revision is in before any workload moves: a moved pod of a remote
      // is injected by its primary's new istiod.
      const installs = plan.clusters.map((y) => stepId('istio', y.name)).filter((id) => find(id));
      add(phaseStep('revision-tags', c.name, 'move', installs, `move revision tags and namespaces from ${old} to ${x.to.revision}, restart their workloads`, old));
    }
  }
  for (const c of plan.clusters) {
    const x = byName.get(c.name)!;
    for (const old of x.oldRevisions) {
      const needs = steps.filter((s) => s.kind === 'revision-tags').map((s) => s.id);
      // A primary's old istiod serves its remotes' old webhooks and proxies until they are gone.
      for (const r of plan.clusters.filter((y) => y.role === 'remote' && y.primary === c.name)) for (const rOld of byName.get(r.name)!.oldRevisions) needs.push(stepId('revision-remove', r.name, rOld));
      add(phaseStep('revision-remove', c.name, 'remove-old', needs, `uninstall revision ${old} once no pod uses it`, old));
    }
  }
  return { plan: { ...plan, steps: orderSteps(steps, plan.clusters.map((c) => c.name)) }, changes };
}

/** The steps up to and including a phase (`apply --until`). */
export function stepsUntil(steps: Step[], until: Phase | undefined): Step[] {
  if (!until) return steps;
  const last = PHASES.indexOf(until);
  return steps.filter((s) => PHASES.indexOf(s.phase ?? 'install') <= last);
}

const verb = (x: ClusterChange): string => {
  switch (x.action) {
    case 'create':
      return `create (Istio ${x.to.version}, revision ${x.to.revision})`;
    case 'upgrade':
      return `upgrade in place ${x.from?.version ?? '?'} → ${x.to.version} (revision ${x.to.revision})`;
    case 'canary':
      return `canary: revision ${x.oldRevisions.join(', ')}${x.from?.version ? ` (${x.from.version})` : ''} → ${x.to.revision} (${x.to.version}); then move workloads, then remove ${x.oldRevisions.join(', ')}`;
    case 'change':
      return 'change';
    case 'unchanged':
      return 'unchanged';
    case 'unknown':
      return `unknown: ${x.reason ?? 'not read'}`;
  }
};

/** Clusters joining (+) and leaving (-) the mesh, `terraform plan` style; nothing when none. */
function summarizeMembers(m: MemberDiff): string[] {
  if (m.joins.length + m.leaves.length === 0) return [];
  const out = ['Clusters joining and leaving the mesh (against the record of the last apply)'];
  for (const j of m.joins) {
    const holders = j.remoteSecrets.map((r) => r.in);
    out.push(`  + ${j.cluster} joins: ${j.steps.length} steps of its own${holders.length ? `, and its remote secret in ${holders.join(', ')}` : ''}`);
    for (const r of j.remoteSecrets) out.push(`      + ${r.step}`);
  }
  for (const l of m.leaves) {
    const from = [...new Set(l.pruned.map((p) => p.in))];
    const pruned = from.length ? `pruned from ${from.join(', ')}` : 'nothing to prune in the clusters that stay';
    const then = l.destroy ? ', then uninstalled as `meshfed destroy` would (--destroy-removed)' : l.destroyUnknown ? `; --destroy-removed cannot plan it: ${l.destroyUnknown}` : '; it keeps running Istio (apply --destroy-removed uninstalls it)';
    out.push(`  - ${l.cluster} leaves: ${pruned}${then}`);
    for (const p of l.pruned) out.push(`      - ${p.object} in ${p.in}`);
    for (const s of l.destroy ?? []) out.push(`      - ${s}`);
  }
  return out;
}

/** The changes as people read them, one block per cluster, `terraform plan` style, then the clusters joining and leaving. */
export function summarizeChanges(changes: ClusterChange[], members?: MemberDiff): string {
  const sign: Record<string, string> = { create: '+', upgrade: '~', canary: '~', change: '~', unchanged: ' ', unknown: '?' };
  const out = ['Changes against the live clusters'];
  for (const x of changes) {
    out.push(`  ${sign[x.action]} ${x.cluster} (${x.role}): ${verb(x)}`);
    if (x.action !== 'unchanged' && x.action !== 'unknown') for (const s of x.steps) out.push(`      ${s}`);
  }
  const count = (a: ChangeAction) => changes.filter((x) => x.action === a).length;
  if (members) out.push(...summarizeMembers(members));
  const joining = members?.joins.length ? `, ${members.joins.length} joining` : '';
  const leaving = members?.leaves.length ? `, ${members.leaves.length} leaving` : '';
  out.push(`Plan: ${count('create')} to create, ${count('upgrade')} to upgrade in place, ${count('canary')} canary, ${count('change')} to change, ${count('unchanged')} unchanged${count('unknown') ? `, ${count('unknown')} unknown` : ''}${joining}${leaving}.`);
  return out.join('\n') + '\n';
}
