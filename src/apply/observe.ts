/**
 * Reads what each cluster runs, for the planner (src/plan/live.ts): istiod Deployments (their
 * revision label and image version), meshfed's state ConfigMap, whether each step's objects are
 * there and its install files unchanged, and which revision injected the pods. The only
 * imperative part of planning against what is live.
 */
import { DISCOVERY_CONTAINER, getObject, imageVersion, isKubeError, listObjects, type KubeClients } from '../kube/index.js';
import { ISTIO_NAMESPACE, OBJECTS, type ClusterPlan, type ObservedCluster, type ObservedState, type ObservedStep, type Plan } from '../plan/index.js';
import type { MeshInstaller } from './installer.js';
import { recordedInstall, readState } from './state.js';
import { installHash } from './steps.js';

const INSTALL_KINDS = new Set(['istio', 'eastwest-gateway']);
const CANNOT_REACH = new Set(['unreachable', 'timeout']);

async function observeCluster(plan: Plan, c: ClusterPlan, k: KubeClients, installer: MeshInstaller, gatewayAddresses: Record<string, string>): Promise<ObservedCluster> {
  const [state, deployments, pods] = await Promise.all([
    readState(k),
    listObjects(k, 'apps/v1', 'Deployment', { namespace: ISTIO_NAMESPACE, labelSelector: 'app=istiod' }),
    listObjects(k, 'v1', 'Pod', { labelSelector: 'istio.io/rev' }),
  ]);
  const istiods = deployments.map((d) => {
    const containers = (d['spec'] as { template?: { spec?: { containers?: { name?: string; image?: string }[] } } } | undefined)?.template?.spec?.containers ?? [];
    const version = imageVersion(containers.find((x) => x.name === DISCOVERY_CONTAINER)?.image);
    return { revision: d.metadata.labels?.['istio.io/rev'] ?? 'default', ...(version ? { version } : {}), readyReplicas: Number((d['status'] as { readyReplicas?: number } | undefined)?.readyReplicas ?? 0) };
  });
  const podsByRevision: Record<string, number> = {};
  for (const p of pods) {
    if (p.metadata.namespace === ISTIO_NAMESPACE && p.metadata.labels?.['app'] === 'istiod') continue;
    const r = p.metadata.labels?.['istio.io/rev']!;
    podsByRevision[r] = (podsByRevision[r] ?? 0) + 1;
  }
  const steps: Record<string, ObservedStep> = {};
  for (const s of plan.steps.filter((x) => x.cluster === c.name && !x.manual)) {
    const owned = c.resources.filter((r) => r.step === s.id);
    const present = (await Promise.all(owned.map(async (r) => !!(await getObject(k, r).catch(() => undefined))))).every(Boolean);
    if (!present) steps[s.id] = 'missing';
    else if (INSTALL_KINDS.has(s.kind)) steps[s.id] = state?.hashes[s.kind] === installHash(plan, installer, c, s.kind as 'istio' | 'eastwest-gateway', gatewayAddresses) ? 'applied' : 'stale';
    else if (s.kind === 'gateway-address' || owned.length === 0) steps[s.id] = state ? 'applied' : 'missing';
    else steps[s.id] = 'applied';
  }
  return { reachable: true, istiods, ...(state ? { recorded: recordedInstall(state) } : {}), steps, podsByRevision };
}

/**
 * Every cluster of the plan as it is now; a cluster that cannot be read is `reachable: false`
 * with why, and its error is in `failures` (apply fails that cluster's steps with it at once
 * instead of waiting out the same deadline again).
 */
export async function observeMesh(plan: Plan, clients: Map<string, KubeClients | Error>, installer: MeshInstaller): Promise<{ observed: ObservedState; failures: Map<string, Error> }> {
  const failures = new Map<string, Error>();
  const addresses = await liveGatewayAddresses(plan, clients);
  const entries = await Promise.all(
    plan.clusters.map(async (c): Promise<[string, ObservedCluster]> => {
      const k = clients.get(c.name);
      const down = (error: string): [string, ObservedCluster] => [c.name, { reachable: false, error, istiods: [], steps: {}, podsByRevision: {} }];
      if (!k) return down('no client');
      if (k instanceof Error) return down(k.message);
      try {
        return [c.name, await observeCluster(plan, c, k, installer, addresses)];
      } catch (e) {
        // Only a cluster that cannot be reached stops there; a refused read (RBAC) leaves the steps to say more.
        if (isKubeError(e) && CANNOT_REACH.has(e.reason)) failures.set(c.name, e);
        return down((e as Error).message);
      }
    }),
  );
  return { observed: Object.fromEntries(entries), failures };
}

/** The east-west gateways' live addresses (a remote's install file names its primary's). */
async function liveGatewayAddresses(plan: Plan, clients: Map<string, KubeClients | Error>): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const c of plan.clusters) {
    const k = clients.get(c.name);
    if (!c.eastWestGateway || !k || k instanceof Error) continue;
    const svc = await getObject(k, OBJECTS.eastWestService).catch(() => undefined);
    const ingress = ((svc?.['status'] as { loadBalancer?: { ingress?: { ip?: string; hostname?: string }[] } } | undefined)?.loadBalancer?.ingress ?? [])[0];
    const a = ingress?.ip ?? ingress?.hostname;
    if (a) out[c.name] = a;
  }
  return out;
}
