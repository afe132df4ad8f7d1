import { deleteObject, getObject, listObjects, type KubeClients, type ObjectRef } from '../kube/index.js';
import { ISTIO_NAMESPACE, OBJECTS, objectKey, objectsOf, type ClusterPlan, type StepKind } from '../plan/index.js';
import { clientOf, type ApplyContext } from './context.js';
import { MANAGED_BY, readState, writeState } from './state.js';

const MANAGED = 'app.kubernetes.io/managed-by=meshfed';
/** What the east-west gateway's install makes (the objects labelled istio=eastwestgateway). */
const GATEWAY_KINDS: [string, string][] = [
  ['apps/v1', 'Deployment'],
  ['v1', 'Service'],
  ['v1', 'ServiceAccount'],
  ['policy/v1', 'PodDisruptionBudget'],
  ['autoscaling/v2', 'HorizontalPodAutoscaler'],
];

/** Deletes an object (in a dry run: finds it) and says so in `gone`. */
async function remove(ctx: ApplyContext, k: KubeClients, ref: ObjectRef, gone: string[]): Promise<void> {
  if (ctx.dryRun ? !!(await getObject(k, ref)) : await deleteObject(k, ref)) gone.push(`${ref.kind}/${ref.name}`);
}

const isManaged = async (k: KubeClients, ref: ObjectRef) => (await getObject(k, ref))?.metadata.labels?.['app.kubernetes.io/managed-by'] === MANAGED_BY['app.kubernetes.io/managed-by'];

/** Nothing this kind makes outlives its step: a cluster that left the plan keeps it until destroyed with its own file. */
export const nothingToPrune = async (): Promise<string[]> => [];

/**
 * The objects this kind would own in the cluster that the plan no longer lists, deleted when
 * meshfed made them (Istio's CRDs may be gone: then there is nothing to delete).
 */
export const pruneUnlisted =
  (kind: StepKind) =>
  async (ctx: ApplyContext, c: ClusterPlan): Promise<string[]> => {
    const k = clientOf(ctx, c.name);
    const wanted = new Set(c.resources.map(objectKey));
    const gone: string[] = [];
    for (const ref of objectsOf(kind, { role: c.role, revision: ctx.plan.mesh.istio.revision }))
      if (!wanted.has(objectKey(ref)) && (await isManaged(k, ref).catch(() => false))) await remove(ctx, k, ref, gone);
    return gone;
  };

/** Remote secrets meshfed made for clusters this primary no longer watches (they may have left the file). */
export async function pruneRemoteSecrets(ctx: ApplyContext, c: ClusterPlan): Promise<string[]> {
  const k = clientOf(ctx, c.name);
  const wanted = new Set(c.resources.map(objectKey));
  const gone: string[] = [];
  for (const s of await listObjects(k, 'v1', 'Secret', { namespace: ISTIO_NAMESPACE, labelSelector: `istio/multiCluster=true,${MANAGED}` })) {
    const ref = { apiVersion: 'v1', kind: 'Secret', name: s.metadata.name, namespace: ISTIO_NAMESPACE };
    if (!wanted.has(objectKey(ref))) await remove(ctx, k, ref, gone);
  }
  return gone;
}

/** An east-west gateway meshfed installed where the plan no longer has one. */
export async function pruneEastWestGateway(ctx: ApplyContext, c: ClusterPlan): Promise<string[]> {
  const k = clientOf(ctx, c.name);
  const state = await readState(k);
  if (c.eastWestGateway || !state?.hashes['eastwest-gateway']) return [];
  const gone: string[] = [];
  const labelled = (apiVersion: string, kind: string) => listObjects(k, apiVersion, kind, { namespace: ISTIO_NAMESPACE, labelSelector: 'istio=eastwestgateway' });
  if (ctx.installer.uninstallGateway && !ctx.dryRun) {
    const before = await labelled('v1', 'Service');
    const release = await ctx.installer.uninstallGateway(c);
    gone.push(...before.map((o) => `Service/${o.metadata.name}`), release);
  } else {
    for (const [apiVersion, kind] of GATEWAY_KINDS) for (const o of await labelled(apiVersion, kind)) await remove(ctx, k, { apiVersion, kind, name: o.metadata.name, namespace: ISTIO_NAMESPACE }, gone);
  }
  if (!ctx.dryRun) {
    const { ['eastwest-gateway']: _dropped, ...hashes } = state.hashes;
    await writeState(k, { ...state, hashes });
  }
  return gone;
}

/**
 * A cluster no primary watches any more (the primaries that did left the file): the token its
 * remote secrets were made from, and meshfed's reader RBAC, go, so a copy of such a secret (one
 * still in a removed primary, say) stops working. The service account stays: Istio's install
 * makes it too.
 */
export async function pruneRemoteReader(ctx: ApplyContext, c: ClusterPlan): Promise<string[]> {
  if (c.watchedBy.length > 0) return [];
  const k = clientOf(ctx, c.name);
  if (!(await isManaged(k, OBJECTS.readerClusterRoleBinding).catch(() => false))) return [];
  const gone: string[] = [];
  for (const ref of [OBJECTS.readerToken, OBJECTS.readerClusterRoleBinding, OBJECTS.readerClusterRole]) await remove(ctx, k, ref, gone);
  return gone;
}
