import { applyObject, deleteObject, getObject, listObjects, type KubeClients, type KubeObject } from '../kube/index.js';
import { ISTIO_NAMESPACE, READER_CLUSTER_ROLE, READER_SERVICE_ACCOUNT, READER_TOKEN_SECRET, remoteSecretName, type Plan, type Step } from '../plan/index.js';
import { HELM_RELEASES } from '../render/index.js';
import { defaultHelm, makeClients } from './apply.js';
import type { HelmSource } from './context.js';
import { helmUninstall } from './helm.js';
import { runDag, type StepEvent, type StepOutcome } from './dag.js';
import { STATE_CONFIGMAP, readState } from './state.js';
import { istioctl, whereOf } from './tools.js';
import { waitFor } from './wait.js';

export interface DestroyOptions {
  plan: Plan;
  kubeconfig: string;
  istioctl: string;
  helm?: HelmSource;
  concurrency?: number;
  onEvent?(e: StepEvent): void;
}

/** The plan's steps with every edge turned around: undo a step only after what built on it. */
export function destroySteps(plan: Plan): Step[] {
  const dependents = new Map<string, string[]>();
  for (const s of plan.steps) for (const n of s.needs) dependents.set(n, [...(dependents.get(n) ?? []), s.id]);
  return [...plan.steps].reverse().map((s) => ({ ...s, needs: dependents.get(s.id) ?? [], description: `undo: ${s.description}` }));
}

async function del(k: KubeClients, apiVersion: string, kind: string, name: string, namespace?: string): Promise<string[]> {
  return (await deleteObject(k, { apiVersion, kind, name, ...(namespace ? { namespace } : {}) })) ? [`${kind}/${name}`] : [];
}

async function undo(plan: Plan, step: Step, k: KubeClients, opts: DestroyOptions): Promise<{ changed: boolean; detail: string }> {
  const c = plan.clusters.find((x) => x.name === step.cluster)!;
  const ns = ISTIO_NAMESPACE;
  let gone: string[] = [];
  switch (step.kind) {
    case 'remote-secret':
      gone = await del(k, 'v1', 'Secret', remoteSecretName(step.watched!), ns);
      break;
    case 'remote-reader':
      gone = [
        ...(await del(k, 'v1', 'Secret', READER_TOKEN_SECRET, ns)),
        ...(await del(k, 'rbac.authorization.k8s.io/v1', 'ClusterRoleBinding', READER_CLUSTER_ROLE)),
        ...(await del(k, 'rbac.authorization.k8s.io/v1', 'ClusterRole', READER_CLUSTER_ROLE)),
        ...(await del(k, 'v1', 'ServiceAccount', READER_SERVICE_ACCOUNT, ns)),
      ];
      break;
    case 'expose-istiod':
      gone = [...(await del(k, 'networking.istio.io/v1', 'Gateway', 'istiod-gateway', ns).catch(() => [])), ...(await del(k, 'networking.istio.io/v1', 'VirtualService', `istiod-vs${plan.mesh.istio.revision ? `-${plan.mesh.istio.revision}` : ''}`, ns).catch(() => []))];
      break;
    case 'expose-services':
      gone = await del(k, 'networking.istio.io/v1', 'Gateway', 'cross-network-gateway', ns).catch(() => []);
      break;
    case 'istio': {
      const state = await readState(k).catch(() => undefined);
      if (!state?.hashes['istio'] && !state?.hashes['eastwest-gateway']) return { changed: false, detail: 'nothing installed by meshfed' };
      const where = whereOf(opts.kubeconfig, c);
      const istioCrds = async () => (await listObjects(k, 'apiextensions.k8s.io/v1', 'CustomResourceDefinition')).filter((d) => d.metadata.name.endsWith('.istio.io'));
      let detail: string;
      if (plan.mesh.istio.installer === 'helm') {
        const releases = [HELM_RELEASES.gateway, HELM_RELEASES.istiod(plan.mesh.istio.revision), HELM_RELEASES.base];
        await helmUninstall(opts.helm ?? defaultHelm(plan), where, releases);
        detail = `helm uninstall ${releases.join(', ')}`;
      } else {
        // --purge removes every revision: the cluster goes back to no Istio at all.
        await istioctl(opts.istioctl, ['uninstall', '--purge', '-y'], where);
        detail = 'istioctl uninstall --purge';
      }
      // Istio's base chart keeps its CRDs on uninstall (helm.sh/resource-policy: keep), and
      // istioctl has been seen to leave one behind in a remote; Istio's uninstall guide deletes
      // what is left by hand, and so do we.
      const left = (await istioCrds()).filter((d) => !d.metadata.deletionTimestamp);
      for (const d of left) await deleteObject(k, { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', name: d.metadata.name });
      if (left.length) detail += `; deleted ${left.length} Istio CRDs it left`;
      // The API server still finalizes the deleted CRDs for a while; wait, so that destroy ends
      // with the cluster as it was and a new apply does not meet them half-gone.
      let remaining: string[] = [];
      let polls = 0;
      await waitFor(async () => {
        const crds = await istioCrds();
        remaining = crds.map((d) => `${d.metadata.name}${terminatingNote(d)}`);
        // The API server's CRD finalizer retries a failed cleanup with a growing backoff (up to
        // minutes), but at once when the CRD changes: touch the stragglers now and then.
        if (++polls % 8 === 0) for (const d of crds) await nudgeCrd(k, d.metadata.name, polls);
        return crds.length === 0 ? true : undefined;
      }, {
        timeoutMs: 120_000,
        what: () => `Istio's CRDs to be deleted (still there: ${remaining.join(', ')})`,
        cluster: c.name,
        hint: 'check `kubectl get crd | grep istio.io` for CRDs stuck on a finalizer',
      });
      return { changed: true, detail };
    }
    case 'cacerts':
      gone = await del(k, 'v1', 'Secret', 'cacerts', ns);
      break;
    case 'namespace': {
      const state = await readState(k).catch(() => undefined);
      gone = await del(k, 'v1', 'ConfigMap', STATE_CONFIGMAP, ns);
      if (state?.namespaceCreated === 'true') {
        gone.push(...(await del(k, 'v1', 'Namespace', ns)));
        await waitFor(async () => ((await getObject(k, { apiVersion: 'v1', kind: 'Namespace', name: ns })) ? undefined : true), {
          timeoutMs: 120_000,
          what: `namespace ${ns} to be deleted`,
          cluster: c.name,
          hint: 'check `kubectl get ns istio-system -o yaml` for finalizers',
        });
      } else if (await getObject(k, { apiVersion: 'v1', kind: 'Namespace', name: ns })) {
        // Applying nothing as meshfed releases (and so removes) only the labels and annotations meshfed set.
        await applyObject(k, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
        gone.push('Namespace labels/annotations set by meshfed');
      }
      break;
    }
    default:
      return { changed: false, detail: 'nothing to undo' };
  }
  return { changed: gone.length > 0, detail: gone.length ? `deleted ${gone.join(', ')}` : 'already gone' };
}

/** Why a CRD is still terminating, from the condition the API server's finalizer sets. */
function terminatingNote(crd: KubeObject): string {
  const conditions = ((crd['status'] as { conditions?: { type: string; reason?: string; message?: string }[] } | undefined)?.conditions ?? []);
  const t = conditions.find((c) => c.type === 'Terminating');
  return t?.reason && t.reason !== 'InstanceDeletionInProgress' ? ` (${t.reason}: ${t.message ?? ''})` : '';
}

async function nudgeCrd(k: KubeClients, name: string, n: number): Promise<void> {
  const ref = { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name, annotations: { 'meshfed.io/cleanup-retry': String(n) } } };
  await applyObject(k, ref, { fieldManager: 'meshfed-destroy' }).catch(() => undefined); // gone meanwhile: fine
}

/** Removes everything meshfed created, in reverse dependency order; keeps the trust folder. */
export async function destroyMesh(opts: DestroyOptions): Promise<Map<string, StepOutcome>> {
  const clients = makeClients(opts.plan, opts.kubeconfig);
  return runDag(destroySteps(opts.plan), {
      concurrency: opts.concurrency ?? 6,
      run: async (s) => {
        const k = clients.get(s.cluster);
        if (!k) throw new Error(`no client for ${s.cluster}`);
        if (k instanceof Error) throw k;
        return undo(opts.plan, s, k, opts);
      },
      ...(opts.onEvent ? { onEvent: opts.onEvent } : {}),
    });
}

