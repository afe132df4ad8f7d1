import { deleteObject, getObject, listObjects, type KubeClients } from '../kube/index.js';
import { ISTIO_NAMESPACE, type ClusterPlan } from '../plan/index.js';
import { HELM_RELEASES } from '../render/index.js';
import type { ApplyContext } from './context.js';
import { helmUninstall } from './helm.js';
import { whereOf } from './tools.js';
import { MANAGED_BY, readState, writeState } from './state.js';

const MANAGED = 'app.kubernetes.io/managed-by=meshfed';
const GATEWAY_KINDS: [string, string][] = [
  ['apps/v1', 'Deployment'],
  ['v1', 'Service'],
  ['v1', 'ServiceAccount'],
  ['policy/v1', 'PodDisruptionBudget'],
  ['autoscaling/v2', 'HorizontalPodAutoscaler'],
];

/**
 * Removes what meshfed made in a cluster that the plan no longer wants: remote secrets of
 * clusters that left the mesh, a gateway no longer needed, expose objects no longer needed.
 * Returns what was (or, in a dry run, would be) deleted.
 */
export async function pruneCluster(ctx: ApplyContext, c: ClusterPlan, k: KubeClients): Promise<string[]> {
  const { plan, dryRun } = ctx;
  const gone: string[] = [];
  const del = async (apiVersion: string, kind: string, name: string) => {
    const ref = { apiVersion, kind, name, namespace: ISTIO_NAMESPACE };
    if (dryRun ? !!(await getObject(k, ref)) : await deleteObject(k, ref)) gone.push(`${kind}/${name}`);
  };
  const wanted = new Set(plan.remoteSecrets.filter((s) => s.primary === c.name).map((s) => s.name));
  for (const s of await listObjects(k, 'v1', 'Secret', { namespace: ISTIO_NAMESPACE, labelSelector: `istio/multiCluster=true,${MANAGED}` }))
    if (!wanted.has(s.metadata.name)) await del('v1', 'Secret', s.metadata.name);
  const managed = async (apiVersion: string, kind: string, name: string) => {
    const o = await getObject(k, { apiVersion, kind, name, namespace: ISTIO_NAMESPACE });
    return o?.metadata.labels?.['app.kubernetes.io/managed-by'] === MANAGED_BY['app.kubernetes.io/managed-by'];
  };
  if (!c.eastWestGateway?.exposesIstiod) {
    for (const [kind, name] of [['Gateway', 'istiod-gateway'], ['VirtualService', `istiod-vs${plan.mesh.istio.revision ? `-${plan.mesh.istio.revision}` : ''}`]] as const)
      if (await managed('networking.istio.io/v1', kind, name).catch(() => false)) await del('networking.istio.io/v1', kind, name);
  }
  if (!c.eastWestGateway?.exposesServices && (await managed('networking.istio.io/v1', 'Gateway', 'cross-network-gateway').catch(() => false)))
    await del('networking.istio.io/v1', 'Gateway', 'cross-network-gateway');
  const state = await readState(k);
  if (!c.eastWestGateway && state?.hashes['eastwest-gateway']) {
    if (plan.mesh.istio.installer === 'helm' && !dryRun) {
      // Helm keeps a record of its release: uninstall it rather than deleting its objects under it.
      const before = await listObjects(k, 'v1', 'Service', { namespace: ISTIO_NAMESPACE, labelSelector: 'istio=eastwestgateway' });
      await helmUninstall(ctx.helm, whereOf(ctx.kubeconfig, c), [HELM_RELEASES.gateway]);
      gone.push(...before.map((o) => `Service/${o.metadata.name}`), `helm release ${HELM_RELEASES.gateway}`);
    } else {
      for (const [apiVersion, kind] of GATEWAY_KINDS)
        for (const o of await listObjects(k, apiVersion, kind, { namespace: ISTIO_NAMESPACE, labelSelector: 'istio=eastwestgateway' })) await del(apiVersion, kind, o.metadata.name);
    }
    if (!dryRun) {
      const { ['eastwest-gateway']: _dropped, ...hashes } = state.hashes;
      await writeState(k, { ...state, hashes });
    }
  }
  return gone;
}

