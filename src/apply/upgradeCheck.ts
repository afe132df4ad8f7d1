/**
 * The check after an in-place upgrade, before the next cluster starts (Istio's upgrade guide:
 * upgrade one control plane, make sure it is healthy, then go on). A primary passes when its
 * istiod Deployment of the revision is rolled out, every pod of that revision is Ready on the
 * new version's image, and each of them says, in its own `/debug/clusterz`, that every cluster
 * it watches is synced; a remote passes when its primary's istiod of the revision lists it as
 * synced. Looks are polled until they pass or apply's `--timeout` is spent; then MF8031 with
 * what was seen, and the install step fails: its dependants are blocked and the cluster's
 * record keeps the old version, so the next apply upgrades it again.
 */
import { getObject, istiodClusterz, istiodPods, pollUntil, type ClusterzAnswer, type IstiodPod, type KubeClients } from '../kube/index.js';
import { ISTIO_NAMESPACE, OBJECTS, revisionOf, type ClusterPlan } from '../plan/index.js';
import { clientOf, clusterOf, type ApplyContext, type Clock } from './context.js';
import { ApplyError } from './errors.js';

/** One look at an upgraded cluster. */
export interface UpgradeLook {
  role: ClusterPlan['role'];
  /** A primary's istiod Deployment of the revision: rolled out (every replica updated and ready), and what it says. */
  rollout?: { rolledOut: boolean; what: string };
  /** A primary's istiod pods of the revision (a remote runs none). */
  pods: IstiodPod[];
  /** /debug/clusterz of each Ready pod on the new version (a primary), or of its primary's istiod (a remote). */
  clusterz: ClusterzAnswer[];
  /** The clusters istiod must list as synced. */
  expected: string[];
}

export interface UpgradeVerdict {
  ok: boolean;
  /** Everything the look saw, for people (the step's detail, or the error's). */
  seen: string;
  /** Why it does not pass yet; empty when ok. */
  problems: string[];
}

const clusterzText = (a: ClusterzAnswer): string =>
  'why' in a ? `/debug/clusterz${a.pod ? ` (pod ${a.pod})` : ''}: ${a.why}` : `/debug/clusterz (pod ${a.pod}): ${a.clusters.length ? [...a.clusters].sort((x, y) => x.id.localeCompare(y.id)).map((e) => `${e.id} ${e.syncStatus}`).join(', ') : 'no cluster'}`;

/** Whether one look passes for `version`, and what it saw. Pure. */
export function judgeUpgrade(look: UpgradeLook, version: string): UpgradeVerdict {
  const problems: string[] = [];
  const seen: string[] = [];
  if (look.role === 'primary') {
    if (look.rollout) {
      seen.push(look.rollout.what);
      if (!look.rollout.rolledOut) problems.push(`not rolled out (${look.rollout.what})`);
    }
    const live = look.pods.filter((p) => !p.terminating);
    seen.push(live.length ? `pods ${live.map((p) => `${p.name} ${p.ready ? 'Ready' : 'not Ready'} on ${p.version ?? p.image ?? '?'}`).join(', ')}` : 'no istiod pod');
    if (live.length === 0) problems.push('no istiod pod of the revision');
    for (const p of live) {
      if (p.version !== version) problems.push(`pod ${p.name} runs ${p.version ?? p.image ?? 'an unknown image'}, not ${version}`);
      else if (!p.ready) problems.push(`pod ${p.name} not Ready`);
    }
  }
  if (look.clusterz.length === 0 && problems.length === 0) problems.push('no istiod answered /debug/clusterz');
  for (const a of look.clusterz) {
    seen.push(clusterzText(a));
    if ('why' in a) {
      problems.push(a.why);
      continue;
    }
    const listed = new Set(a.clusters.map((e) => e.id));
    for (const id of look.expected) if (!listed.has(id)) problems.push(`istiod ${a.pod} does not list cluster ${id}`);
    // Every cluster istiod watches, expected or not (a Secret meshfed did not write counts too).
    for (const e of a.clusters) if ((look.role === 'primary' || look.expected.includes(e.id)) && e.syncStatus !== 'synced') problems.push(`istiod ${a.pod}: cluster ${e.id} ${e.syncStatus || 'without a sync status'}`);
  }
  return { ok: problems.length === 0, seen: seen.join('; '), problems };
}

interface DeploymentLike {
  metadata: { generation?: number };
  spec?: { replicas?: number; template?: { spec?: { containers?: { name?: string; image?: string }[] } } };
  status?: { observedGeneration?: number; updatedReplicas?: number; readyReplicas?: number; replicas?: number };
}

/** A Deployment's rollout as `kubectl rollout status` judges it. Pure. */
export function rolloutOf(d: DeploymentLike | undefined, name: string): { rolledOut: boolean; what: string } {
  if (!d) return { rolledOut: false, what: `no Deployment ${name}` };
  const st = d.status ?? {};
  const want = d.spec?.replicas ?? 1;
  const rolledOut = (st.observedGeneration ?? 0) >= (d.metadata.generation ?? 0) && (st.updatedReplicas ?? 0) >= want && (st.readyReplicas ?? 0) >= want && (st.replicas ?? 0) === (st.updatedReplicas ?? 0);
  return { rolledOut, what: `${name} ${st.updatedReplicas ?? 0} updated and ${st.readyReplicas ?? 0} ready of ${want}` };
}

/**
 * Polls `look` until it passes; returns what the passing look saw. Past `timeoutMs`: MF8031
 * naming the cluster, why, and what the last look saw. Errors of a look (an unreachable API
 * server) end the wait with their own code.
 */
export async function awaitUpgradeVerified(opts: { clock: Clock; timeoutMs: number; cluster: string; version: string; look(): Promise<UpgradeLook>; hint: string }): Promise<string> {
  let last: UpgradeVerdict = { ok: false, seen: 'nothing (not looked yet)', problems: ['not looked yet'] };
  const r = await pollUntil(
    async () => {
      last = judgeUpgrade(await opts.look(), opts.version);
      return last.ok ? last.seen : undefined;
    },
    { timeoutMs: opts.timeoutMs, intervalMs: 1000, maxIntervalMs: 2000, now: () => opts.clock.now(), sleep: (ms) => opts.clock.sleep(ms) },
  );
  if ('value' in r) return r.value;
  throw new ApplyError({
    code: 'MF8031',
    message: `${opts.cluster}: the upgrade to Istio ${opts.version} is not verified after ${Math.round(opts.timeoutMs / 1000)} s: ${last.problems.join('; ')} (seen: ${last.seen})`,
    hint: opts.hint,
    cluster: opts.cluster,
    reason: 'unverified',
  });
}

/**
 * One look at cluster `c` after its upgrade. `k` is the cluster's client; `primaryK` its
 * primary's (a remote). A primary must list itself and every cluster whose remote secret it
 * holds now (a cluster joining in this run gets its secret after this step).
 */
export async function lookAtUpgrade(opts: { c: ClusterPlan; k: KubeClients; primaryK?: KubeClients; revision: string; revisionName?: string; version: string; execTimeoutMs: number }): Promise<UpgradeLook> {
  const { c, k, revision } = opts;
  if (c.role === 'remote') {
    if (!opts.primaryK) throw new Error(`no client for ${c.name}'s primary ${c.primary}`);
    const answer = await istiodClusterz(opts.primaryK, { namespace: ISTIO_NAMESPACE, revision, timeoutMs: opts.execTimeoutMs });
    return { role: c.role, pods: [], clusterz: [answer], expected: [c.name] };
  }
  const ref = OBJECTS.istiod(opts.revisionName);
  const rollout = rolloutOf((await getObject(k, ref)) as DeploymentLike | undefined, ref.name);
  const pods = await istiodPods(k, ISTIO_NAMESPACE, revision);
  const asked = pods.filter((p) => !p.terminating && p.ready && p.version === opts.version);
  const clusterz = rollout.rolledOut && asked.length ? await Promise.all(asked.map((p) => istiodClusterz(k, { namespace: ISTIO_NAMESPACE, pod: p.name, timeoutMs: opts.execTimeoutMs }))) : [];
  const held = await Promise.all(c.watches.map(async (w) => ((await getObject(k, OBJECTS.remoteSecret(w))) ? w : undefined)));
  return { role: c.role, rollout, pods, clusterz, expected: [c.name, ...held.filter((w): w is string => !!w)] };
}

/**
 * The order of an install step: install, then (an upgrade) the check, and only then the record.
 * A failed check throws before the record, so it keeps the old version and the next apply
 * upgrades again.
 */
export async function installVerifyRecord(run: { install(): Promise<string>; verify?(): Promise<string>; record(): Promise<void> }): Promise<{ installed: string; verified?: string }> {
  const installed = await run.install();
  const verified = run.verify ? await run.verify() : undefined;
  await run.record();
  return { installed, ...(verified !== undefined ? { verified } : {}) };
}

/** The check after `c` was upgraded from `from` to `version`, bounded by apply's `--timeout`; says what it saw. */
export function verifyUpgrade(ctx: ApplyContext, c: ClusterPlan, from: string, version: string): Promise<string> {
  const revisionName = ctx.plan.mesh.istio.revision;
  const revision = revisionOf(revisionName);
  const k = clientOf(ctx, c.name);
  const primary = c.role === 'remote' ? clusterOf(ctx, c.primary) : undefined;
  const primaryK = primary ? clientOf(ctx, primary.name) : undefined;
  const asked = primary ?? c;
  const hint =
    `ask istiod which cluster it cannot sync: kubectl --context ${asked.context} -n ${ISTIO_NAMESPACE} exec deploy/${OBJECTS.istiod(revisionName).name} -c discovery -- pilot-discovery request GET /debug/clusterz` +
    (c.role === 'primary' ? `; and its rollout: kubectl --context ${c.context} -n ${ISTIO_NAMESPACE} rollout status deployment/${OBJECTS.istiod(revisionName).name}` : '') +
    `. ${c.name}'s meshfed-state still records Istio ${from}: fix the cause and run apply again, which upgrades and checks it again`;
  return awaitUpgradeVerified({
    clock: ctx.clock,
    timeoutMs: ctx.waitTimeoutMs,
    cluster: c.name,
    version,
    hint,
    look: () => lookAtUpgrade({ c, k, ...(primaryK ? { primaryK } : {}), revision, ...(revisionName ? { revisionName } : {}), version, execTimeoutMs: Math.min(10_000, ctx.waitTimeoutMs) }),
  });
}
