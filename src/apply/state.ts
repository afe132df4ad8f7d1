import { applyObject, getObject, type KubeClients } from '../kube/index.js';
import { ISTIO_NAMESPACE } from '../plan/index.js';

export const STATE_CONFIGMAP = 'meshfed-state';
export const MANAGED_BY = { 'app.kubernetes.io/managed-by': 'meshfed' } as const;

/** What meshfed remembers in each cluster: which mesh, what it installed, what it created. */
export interface ClusterState {
  mesh?: string;
  /** "true" when meshfed created istio-system (destroy then removes it). */
  namespaceCreated?: string;
  /** sha256 of the install file last applied, by step kind ("istio", "eastwest-gateway"). */
  hashes: Record<string, string>;
}

const ref = { apiVersion: 'v1', kind: 'ConfigMap', name: STATE_CONFIGMAP, namespace: ISTIO_NAMESPACE };

export async function readState(clients: KubeClients): Promise<ClusterState | undefined> {
  const cm = await getObject(clients, ref);
  if (!cm) return undefined;
  const data = (cm['data'] ?? {}) as Record<string, string>;
  const hashes: Record<string, string> = {};
  for (const [k, v] of Object.entries(data)) if (k.startsWith('hash.')) hashes[k.slice(5)] = v;
  return { ...(data['mesh'] ? { mesh: data['mesh'] } : {}), ...(data['namespace-created'] ? { namespaceCreated: data['namespace-created'] } : {}), hashes };
}

export async function writeState(clients: KubeClients, state: ClusterState): Promise<void> {
  const data: Record<string, string> = {};
  if (state.mesh) data['mesh'] = state.mesh;
  if (state.namespaceCreated) data['namespace-created'] = state.namespaceCreated;
  for (const [k, v] of Object.entries(state.hashes).sort()) data[`hash.${k}`] = v;
  await applyObject(clients, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: STATE_CONFIGMAP, namespace: ISTIO_NAMESPACE, labels: { ...MANAGED_BY } }, data });
}
