import { applyObject, deleteObject, getObject, listObjects, type KubeClients, type KubeObject } from '../kube/index.js';
import { OBJECTS, type ClusterPlan, type Step } from '../plan/index.js';
import { clientOf, ownedBy, type MeshContext } from './context.js';
import { STATE_CONFIGMAP, readState } from './state.js';
import type { StepRun } from './steps.js';
import { waitFor } from './wait.js';

/** What istiod's namespace controller writes into every namespace (pilot/pkg/serviceregistry/kube/controller/namespacecontroller.go). */
const ISTIOD_NAMESPACE_CONFIGMAPS = ['istio-ca-root-cert', 'istio-ca-crl'];

/** How long destroy waits for the API server to finish deleting what it was told to. */
const FINALIZE_TIMEOUT_MS = 120_000;

const report = (gone: string[]): StepRun => ({ changed: gone.length > 0, detail: gone.length ? `deleted ${gone.join(', ')}` : 'already gone' });

/** Deletes what the plan says this step made, last made first. */
async function deleteOwned(ctx: MeshContext, step: Step, c: ClusterPlan, opts: { tolerateErrors?: boolean } = {}): Promise<StepRun> {
  const k = clientOf(ctx, c.name);
  const gone: string[] = [];
  for (const ref of [...ownedBy(c, step)].reverse()) {
    const deleted = deleteObject(k, ref);
    if (await (opts.tolerateErrors ? deleted.catch(() => false) : deleted)) gone.push(`${ref.kind}/${ref.name}`);
  }
  return report(gone);
}

export const undoOwned = (ctx: MeshContext, step: Step, c: ClusterPlan): Promise<StepRun> => deleteOwned(ctx, step, c);

/** Gateway and VirtualService kinds are Istio's CRDs: with Istio never installed there is nothing to delete. */
export const undoIstioObjects = (ctx: MeshContext, step: Step, c: ClusterPlan): Promise<StepRun> => deleteOwned(ctx, step, c, { tolerateErrors: true });

/** For steps that make nothing of their own to delete; says why. */
export const nothingToUndo =
  (why: string) =>
  async (): Promise<StepRun> => ({ changed: false, detail: `nothing to undo (${why})` });

export async function undoIstio(ctx: MeshContext, _step: Step, c: ClusterPlan): Promise<StepRun> {
  const k = clientOf(ctx, c.name);
  const state = await readState(k).catch(() => undefined);
  if (!state?.hashes['istio'] && !state?.hashes['eastwest-gateway']) return { changed: false, detail: 'nothing installed by meshfed' };
  const istioCrds = async () => (await listObjects(k, 'apiextensions.k8s.io/v1', 'CustomResourceDefinition')).filter((d) => d.metadata.name.endsWith('.istio.io'));
  let detail = await ctx.installer.uninstall(c);
  // Istio's base chart keeps its CRDs on uninstall (helm.sh/resource-policy: keep), and
  // istioctl has been seen to leave one behind in a remote; Istio's uninstall guide deletes
  // what is left by hand, and so do we.
  const left = (await istioCrds()).filter((d) => !d.metadata.deletionTimestamp);
  for (const d of left) await deleteObject(k, { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', name: d.metadata.name });
  if (left.length) detail += `; deleted ${left.length} Istio CRDs it left`;
  // istiod's namespace controller writes the mesh's root certificate (and CRL) into every
  // namespace it sees; neither uninstaller removes them, so a destroyed mesh would leave its
  // root behind in every namespace. istiod is gone now and cannot write them again.
  const written = (await listObjects(k, 'v1', 'ConfigMap', { labelSelector: 'istio.io/config=true' })).filter((m) => ISTIOD_NAMESPACE_CONFIGMAPS.includes(m.metadata.name));
  for (const m of written) await deleteObject(k, { apiVersion: 'v1', kind: 'ConfigMap', name: m.metadata.name, namespace: m.metadata.namespace });
  if (written.length) detail += `; deleted istiod's ${written.length} root certificate ConfigMaps`;
  // The API server still finalizes the deleted CRDs for a while; wait, so that destroy ends
  // with the cluster as it was and a new apply does not meet them half-gone.
  let remaining: string[] = [];
  let polls = 0;
  await waitFor(
    ctx.clock,
    async () => {
      const crds = await istioCrds();
      remaining = crds.map((d) => `${d.metadata.name}${terminatingNote(d)}`);
      // The API server's CRD finalizer retries a failed cleanup with a growing backoff (up to
      // minutes), but at once when the CRD changes: touch the stragglers now and then.
      if (++polls % 8 === 0) for (const d of crds) await nudgeCrd(k, d.metadata.name, polls);
      return crds.length === 0 ? true : undefined;
    },
    {
      timeoutMs: FINALIZE_TIMEOUT_MS,
      what: () => `Istio's CRDs to be deleted (still there: ${remaining.join(', ')})`,
      cluster: c.name,
      hint: 'check `kubectl get crd | grep istio.io` for CRDs stuck on a finalizer',
    },
  );
  return { changed: true, detail };
}

export async function undoNamespace(ctx: MeshContext, _step: Step, c: ClusterPlan): Promise<StepRun> {
  const k = clientOf(ctx, c.name);
  const ns = OBJECTS.namespace;
  const state = await readState(k).catch(() => undefined);
  const gone = (await deleteObject(k, { apiVersion: 'v1', kind: 'ConfigMap', name: STATE_CONFIGMAP, namespace: ns.name })) ? [`ConfigMap/${STATE_CONFIGMAP}`] : [];
  // A primary's record of the mesh's clusters (members.ts) goes with the rest of meshfed's bookkeeping.
  if (await deleteObject(k, OBJECTS.membersConfigMap)) gone.push(`ConfigMap/${OBJECTS.membersConfigMap.name}`);
  if (state?.namespaceCreated === 'true') {
    if (await deleteObject(k, ns)) gone.push(`${ns.kind}/${ns.name}`);
    await waitFor(ctx.clock, async () => ((await getObject(k, ns)) ? undefined : true), {
      timeoutMs: FINALIZE_TIMEOUT_MS,
      what: `namespace ${ns.name} to be deleted`,
      cluster: c.name,
      hint: `check \`kubectl get ns ${ns.name} -o yaml\` for finalizers`,
    });
  } else if (await getObject(k, ns)) {
    // Applying nothing as meshfed releases (and so removes) only the labels and annotations meshfed set.
    await applyObject(k, { apiVersion: ns.apiVersion, kind: ns.kind, metadata: { name: ns.name } });
    gone.push('Namespace labels/annotations set by meshfed');
  }
  return report(gone);
}

/** Why a CRD is still terminating, from the condition the API server's finalizer sets. */
function terminatingNote(crd: KubeObject): string {
  const conditions = (crd['status'] as { conditions?: { type: string; reason?: string; message?: string }[] } | undefined)?.conditions ?? [];
  const t = conditions.find((c) => c.type === 'Terminating');
  return t?.reason && t.reason !== 'InstanceDeletionInProgress' ? ` (${t.reason}: ${t.message ?? ''})` : '';
}

async function nudgeCrd(k: KubeClients, name: string, n: number): Promise<void> {
  const ref = { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name, annotations: { 'meshfed.io/cleanup-retry': String(n) } } };
  await applyObject(k, ref, { fieldManager: 'meshfed-destroy' }).catch(() => undefined); // gone meanwhile: fine
}
