/**
 * The canary's later phases (Istio's canary upgrade guide, for every cluster of the mesh):
 * `move` points the revision tags and namespaces that injected from the old revision at the new
 * one and restarts their workloads; `remove-old` uninstalls the old revision once no pod uses it.
 */
import { applyObject, deleteObject, getObject, listObjects, type KubeClients, type KubeObject } from '../kube/index.js';
import { DEFAULT_REVISION, ISTIO_NAMESPACE, OBJECTS, revisionOf, type ClusterPlan, type Step } from '../plan/index.js';
import { clientOf, type ApplyContext } from './context.js';
import { ApplyError } from './errors.js';
import { MANAGED_BY, readState, writeState } from './state.js';
import type { StepRun } from './steps.js';
import { waitFor } from './wait.js';

const REV_LABEL = 'istio.io/rev';
const TAG_LABEL = 'istio.io/tag';
/** On a moved workload's pod template: which move restarted it, so a second run does not restart it again. */
export const MOVED_ANNOTATION = 'meshfed.io/revision-move';
const MWC = 'admissionregistration.k8s.io/v1';

const revisionTagWebhook = (tag: string) => ({ apiVersion: MWC, kind: 'MutatingWebhookConfiguration', name: `istio-revision-tag-${tag}` });

/** Pods injected by `revision` (the webhook labels them `istio.io/rev`), istiod's own pods aside. */
async function podsOf(k: KubeClients, revision: string): Promise<KubeObject[]> {
  const pods = await listObjects(k, 'v1', 'Pod', { labelSelector: `${REV_LABEL}=${revision}` });
  return pods.filter((p) => !(p.metadata.namespace === ISTIO_NAMESPACE && p.metadata.labels?.['app'] === 'istiod') && !p.metadata.deletionTimestamp);
}

const ownerOf = (o: KubeObject, kind: string) => (o.metadata as { ownerReferences?: { kind: string; name: string }[] }).ownerReferences?.find((r) => r.kind === kind)?.name;

/** The workload (Deployment, StatefulSet, DaemonSet) that made a pod, or undefined for a bare pod. */
async function workloadOf(k: KubeClients, pod: KubeObject): Promise<{ apiVersion: string; kind: string; name: string; namespace: string } | undefined> {
  const ns = pod.metadata.namespace!;
  const rs = ownerOf(pod, 'ReplicaSet');
  if (rs) {
    const set = await getObject(k, { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: rs, namespace: ns });
    const d = set && ownerOf(set, 'Deployment');
    return d ? { apiVersion: 'apps/v1', kind: 'Deployment', name: d, namespace: ns } : undefined;
  }
  for (const kind of ['StatefulSet', 'DaemonSet']) {
    const name = ownerOf(pod, kind);
    if (name) return { apiVersion: 'apps/v1', kind, name, namespace: ns };
  }
  return undefined;
}

export async function runRevisionTags(ctx: ApplyContext, step: Step, c: ClusterPlan): Promise<StepRun> {
  const k = clientOf(ctx, c.name);
  const old = step.fromRevision ?? DEFAULT_REVISION;
  const next = revisionOf(ctx.plan.mesh.istio.revision);
  const done: string[] = [];
  const would = ctx.dryRun ? 'would ' : '';

  // Tags: `default` (it serves `istio-injection=enabled`) and every tag that named the old revision.
  const tags = new Set(['default']);
  for (const w of await listObjects(k, MWC, 'MutatingWebhookConfiguration', { labelSelector: TAG_LABEL }))
    if (w.metadata.labels?.[REV_LABEL] === old) tags.add(w.metadata.labels[TAG_LABEL]!);
  for (const tag of [...tags].sort()) {
    const w = await getObject(k, revisionTagWebhook(tag));
    if (w?.metadata.labels?.[REV_LABEL] === next) continue;
    done.push(ctx.dryRun ? `would set tag ${tag} → ${next}` : await ctx.installer.setTag(c, tag, next));
  }

  // Namespaces labelled with the old revision itself (not a tag) get the new one.
  for (const ns of await listObjects(k, 'v1', 'Namespace', { labelSelector: `${REV_LABEL}=${old}` })) {
    if (!ctx.dryRun) await applyObject(k, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns.metadata.name, labels: { [REV_LABEL]: next } } });
    done.push(`${would}relabel namespace ${ns.metadata.name} ${REV_LABEL}=${next}`);
  }

  // Workloads still injected by the old revision restart (kubectl rollout restart), once per move.
  const mark = `${old}-to-${next}`;
  const bare: string[] = [];
  const restarted = new Set<string>();
  for (const pod of await podsOf(k, old)) {
    if (pod.metadata.namespace === ISTIO_NAMESPACE) continue; // Istio's own gateways: the install step re-installs them
    const w = await workloadOf(k, pod);
    if (!w) {
      bare.push(`${pod.metadata.namespace}/${pod.metadata.name}`);
      continue;
    }
    const key = `${w.kind}/${w.namespace}/${w.name}`;
    if (restarted.has(key)) continue;
    restarted.add(key);
    const current = await getObject(k, w);
    const annotations = ((current?.['spec'] as { template?: { metadata?: { annotations?: Record<string, string> } } } | undefined)?.template?.metadata?.annotations ?? {});
    if (!current || annotations[MOVED_ANNOTATION] === mark) continue;
    if (!ctx.dryRun) await applyObject(k, { apiVersion: w.apiVersion, kind: w.kind, metadata: { name: w.name, namespace: w.namespace }, spec: { template: { metadata: { annotations: { [MOVED_ANNOTATION]: mark } } } } } as KubeObject, { fieldManager: 'meshfed-revision-move' });
    done.push(`${would}restart ${key}`);
  }
  if (bare.length) done.push(`pods without a workload stay on ${old} until recreated: ${bare.join(', ')}`);
  return { changed: done.length > 0 && !ctx.dryRun, detail: done.length ? done.join('; ') : `tags and namespaces already on ${next}` };
}

/**
 * istioctl finds a revision to uninstall by its webhooks alone ("could not find target
 * revision" otherwise: istioctl/pkg/tag ListRevisionDescriptions) and deletes them after the
 * revision's namespaced objects and before its cluster roles (operator/pkg/uninstall/prune.go).
 * A run killed after they went (or after istioctl ended, before meshfed's record) leaves what
 * istioctl would delete after them, which istioctl no longer finds: those go here, by
 * istioctl's own selector. Helm keeps its own record (`helm uninstall --ignore-not-found`).
 */
const AFTER_WEBHOOKS: [string, string][] = [
  [MWC, 'ValidatingWebhookConfiguration'],
  ['rbac.authorization.k8s.io/v1', 'ClusterRole'],
  ['rbac.authorization.k8s.io/v1', 'ClusterRoleBinding'],
];
/** istioctl's components (operator/pkg/uninstall GetPrunedResources); its Base stays. */
const ISTIOCTL_COMPONENTS = 'operator.istio.io/component in (Pilot,IngressGateways,EgressGateways,Cni,Ztunnel)';

async function uninstallOld(ctx: ApplyContext, k: KubeClients, c: ClusterPlan, old: string): Promise<string> {
  if (ctx.installer.tool !== 'istioctl' || (await listObjects(k, MWC, 'MutatingWebhookConfiguration', { labelSelector: `${REV_LABEL}=${old}` })).length > 0) return ctx.installer.uninstallRevision(c, old);
  const left: string[] = [];
  for (const [apiVersion, kind] of AFTER_WEBHOOKS)
    for (const o of await listObjects(k, apiVersion, kind, { labelSelector: `${REV_LABEL}=${old},${ISTIOCTL_COMPONENTS}` })) {
      await deleteObject(k, { apiVersion, kind, name: o.metadata.name });
      left.push(`${kind}/${o.metadata.name}`);
    }
  return `revision ${old} already uninstalled by istioctl (its webhooks gone)${left.length ? `; deleted what it left: ${left.join(', ')}` : ''}`;
}

export async function runRevisionRemove(ctx: ApplyContext, step: Step, c: ClusterPlan): Promise<StepRun> {
  const k = clientOf(ctx, c.name);
  const old = step.fromRevision ?? DEFAULT_REVISION;
  const oldName = old === DEFAULT_REVISION ? undefined : old;
  const state = await readState(k);
  const there = !!(await getObject(k, c.role === 'primary' ? OBJECTS.istiod(oldName) : OBJECTS.sidecarInjector(oldName))) || !!state?.revisions?.includes(old);
  if (!there) return { changed: false, detail: `revision ${old} already removed` };

  // Only when nothing uses it: restarted pods roll over within the wait; others are named.
  let users: string[] = [];
  const count = async () => {
    users = (await podsOf(k, old)).map((p) => `${p.metadata.namespace}/${p.metadata.name}`);
    return users.length === 0 ? true : undefined;
  };
  if (ctx.dryRun) {
    await count();
    return { changed: users.length === 0, detail: users.length ? `would keep revision ${old}: used by ${users.join(', ')}` : `would uninstall revision ${old}` };
  }
  try {
    await waitFor(ctx.clock, count, { timeoutMs: ctx.waitTimeoutMs, what: `the pods of revision ${old} to go`, cluster: c.name, hint: '' });
  } catch {
    throw new ApplyError({
      code: 'MF8030',
      message: `${c.name}: revision ${old} is still used by ${users.length} pod${users.length === 1 ? '' : 's'}: ${users.slice(0, 10).join(', ')}${users.length > 10 ? ', …' : ''}`,
      hint: `restart them so that the new revision injects them (kubectl -n <namespace> rollout restart deployment <name>), then run apply again`,
      cluster: c.name,
    });
  }
  const parts = [await uninstallOld(ctx, k, c, old)];
  // The old revision's route through the east-west gateway (its remotes reached it there).
  const vs = OBJECTS.istiodVirtualService(oldName);
  const found = await getObject(k, vs).catch(() => undefined);
  if (found?.metadata.labels?.['app.kubernetes.io/managed-by'] === MANAGED_BY['app.kubernetes.io/managed-by']) {
    await deleteObject(k, vs);
    parts.push(`deleted VirtualService/${vs.name}`);
  }
  await ctx.stateLock.run(c.name, async () => {
    const s = (await readState(k)) ?? { hashes: {} };
    await writeState(k, { ...s, revisions: (s.revisions ?? []).filter((r) => r !== old) });
  });
  return { changed: true, detail: parts.join('; ') };
}
