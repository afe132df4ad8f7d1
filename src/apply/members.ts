/**
 * Which clusters the mesh has, as apply last left it: a record in every primary's
 * `meshfed-members` ConfigMap. A cluster that left the mesh file is in the record and not in the
 * plan; it stays there (marked as left) until `apply --destroy-removed` has uninstalled it, so
 * the next apply still knows about it after its remote secrets are pruned.
 */
import { getObject, type KubeClients, type KubeObject } from '../kube/index.js';
import { OBJECTS, type ClusterPlan, type MemberDiff, type ObjectRef, type Plan } from '../plan/index.js';
import { destroySteps } from './destroy.js';
import { applyTracked } from './objects.js';
import { MANAGED_BY } from './state.js';

export type ClusterSpec = ClusterPlan['spec'];

/** One cluster in the record: its entry of the mesh file, and whether it has left the file. */
export interface MemberEntry {
  spec: ClusterSpec;
  /** Left the mesh file and not yet destroyed by meshfed: it still runs what meshfed installed. */
  left?: boolean;
}

/** The record as read from the primaries (their union), by cluster name. */
export type MemberRecord = Map<string, MemberEntry>;

/** What a plan changes in the mesh's membership against the record. */
export interface MemberChanges {
  /** Clusters of the plan the record does not name (empty for a mesh applied for the first time). */
  added: string[];
  /** Clusters of the record the plan does not name: their entries, sorted by name. */
  removed: { name: string; spec: ClusterSpec }[];
}

const PREFIX = 'cluster.';

/** The ConfigMap's data: one key per cluster, its entry as JSON (names are DNS labels, so valid keys). */
export function encodeMembers(record: MemberRecord): Record<string, string> {
  const data: Record<string, string> = {};
  for (const name of [...record.keys()].sort()) {
    const e = record.get(name)!;
    data[`${PREFIX}${name}`] = JSON.stringify(e.left ? { spec: e.spec, left: true } : { spec: e.spec });
  }
  return data;
}

/** Reads the ConfigMap's data back; an entry that is not meshfed's JSON is named in `unreadable`, not guessed at. */
export function decodeMembers(data: Record<string, string>): { record: MemberRecord; unreadable: string[] } {
  const record: MemberRecord = new Map();
  const unreadable: string[] = [];
  for (const [key, value] of Object.entries(data)) {
    if (!key.startsWith(PREFIX)) continue;
    const name = key.slice(PREFIX.length);
    try {
      const e = JSON.parse(value) as Partial<MemberEntry>;
      if (!e.spec || typeof e.spec !== 'object' || e.spec.name !== name) throw new Error('not an entry');
      record.set(name, { spec: e.spec, ...(e.left === true ? { left: true } : {}) });
    } catch {
      unreadable.push(name);
    }
  }
  return { record, unreadable: unreadable.sort() };
}

/** Several primaries' records as one: a cluster any of them names; "left" wins, since one primary may be behind. */
export function mergeMembers(records: MemberRecord[]): MemberRecord {
  const out: MemberRecord = new Map();
  for (const r of records)
    for (const [name, e] of r) {
      const had = out.get(name);
      out.set(name, had?.left && !e.left ? had : e);
    }
  return out;
}

/** Added and removed clusters of a plan against the record. Pure. */
export function memberChanges(plan: Plan, record: MemberRecord): MemberChanges {
  const planned = new Set(plan.clusters.map((c) => c.name));
  const added = record.size === 0 ? [] : plan.clusters.map((c) => c.name).filter((n) => !record.has(n));
  const removed = [...record.entries()]
    .filter(([name]) => !planned.has(name))
    .map(([name, e]) => ({ name, spec: e.spec }))
    .sort((a, b) => (a.name < b.name ? -1 : 1));
  return { added, removed };
}

/** The record apply leaves: every cluster of the plan, and the removed clusters not (yet) destroyed, marked as left. Pure. */
export function nextMembers(plan: Plan, changes: MemberChanges, destroyed: ReadonlySet<string>): MemberRecord {
  const out: MemberRecord = new Map(plan.clusters.map((c) => [c.name, { spec: c.spec }]));
  for (const r of changes.removed) if (!destroyed.has(r.name)) out.set(r.name, { spec: r.spec, left: true });
  return out;
}

/** The former mesh's clusters: the plan's, with the removed ones after them (for planning their destroy). Pure. */
export function formerClusters(plan: Plan, removed: MemberChanges['removed']): ClusterSpec[] {
  return [...plan.clusters.map((c) => c.spec), ...removed.map((r) => r.spec)];
}

export async function readMembers(k: KubeClients): Promise<{ record: MemberRecord; unreadable: string[] }> {
  const cm = await getObject(k, OBJECTS.membersConfigMap);
  return decodeMembers((cm?.['data'] ?? {}) as Record<string, string>);
}

/** Writes the record into one primary; says whether it changed. */
export async function writeMembers(k: KubeClients, record: MemberRecord, dryRun = false): Promise<boolean> {
  const ref = OBJECTS.membersConfigMap;
  const cm: KubeObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: ref.name, namespace: ref.namespace!, labels: { ...MANAGED_BY } }, data: encodeMembers(record) };
  return (await applyTracked(k, cm, dryRun)).changed;
}

const shown = (ref: ObjectRef) => `${ref.kind}/${ref.name}`;

/**
 * What `meshfed plan` shows of the clusters joining and leaving, as apply will run it. Pure:
 * from the plan, the changes against the record, and the former mesh's plan (the file's
 * clusters and the removed ones, planned; `former` is why it could not be planned). The
 * pruned objects are what prune removes for a leave: the removed cluster's remote secret in
 * every primary that stays, and the reader token and RBAC of a cluster no primary watches any
 * more. `destroyRemoved`: the removed clusters' undo steps, as `--destroy-removed` runs them.
 */
export function memberDiff(plan: Plan, changes: MemberChanges, former: Plan | string | undefined, destroyRemoved: boolean): MemberDiff {
  const joins = changes.added.map((name) => ({
    cluster: name,
    steps: plan.steps.filter((s) => s.cluster === name).map((s) => s.id),
    remoteSecrets: plan.steps.filter((s) => s.kind === 'remote-secret' && s.watched === name && s.cluster !== name).map((s) => ({ in: s.cluster, step: s.id })),
  }));
  const staying = new Map(plan.clusters.map((c) => [c.name, c]));
  const leaves = changes.removed.map(({ name }) => {
    const pruned: MemberDiff['leaves'][number]['pruned'] = [];
    if (typeof former === 'object') {
      for (const s of former.steps) if (s.kind === 'remote-secret' && s.watched === name && staying.has(s.cluster)) pruned.push({ in: s.cluster, object: shown(OBJECTS.remoteSecret(name)) });
      // Watched before (a remote-reader step in the former mesh) and by no primary now.
      for (const s of former.steps)
        if (s.kind === 'remote-reader' && staying.get(s.cluster)?.watchedBy.length === 0 && former.clusters.find((c) => c.name === s.cluster)?.watchedBy.includes(name))
          for (const ref of [OBJECTS.readerToken, OBJECTS.readerClusterRoleBinding, OBJECTS.readerClusterRole]) pruned.push({ in: s.cluster, object: shown(ref) });
    }
    const destroy = destroyRemoved && typeof former === 'object' ? { destroy: destroySteps(former, [name]).map((s) => s.id) } : {};
    const unknown = destroyRemoved && typeof former === 'string' ? { destroyUnknown: former } : {};
    return { cluster: name, pruned, ...destroy, ...unknown };
  });
  return { joins, leaves };
}

/** The record as the given primaries hold it, merged; a primary that cannot be read adds nothing. */
export async function recordedMembers(primaries: KubeClients[]): Promise<{ record: MemberRecord; unreadable: string[] }> {
  const got = (await Promise.all(primaries.map((k) => readMembers(k).catch(() => undefined)))).filter((r) => r !== undefined);
  return { record: mergeMembers(got.map((r) => r.record)), unreadable: [...new Set(got.flatMap((r) => r.unreadable))].sort() };
}
