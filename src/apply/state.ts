import { applyObject, getObject, type KubeClients } from '../kube/index.js';
import { ISTIO_NAMESPACE, OBJECTS, type RecordedInstall } from '../plan/index.js';

export const STATE_CONFIGMAP = OBJECTS.stateConfigMap.name;
export const MANAGED_BY = { 'app.kubernetes.io/managed-by': 'meshfed' } as const;

/** What meshfed remembers in each cluster: which mesh, what it installed, what it created. */
export interface ClusterState {
  mesh?: string;
  /** "true" when meshfed created istio-system (destroy then removes it). */
  namespaceCreated?: string;
  /** sha256 of the install file last applied, by step kind ("istio", "eastwest-gateway"). */
  hashes: Record<string, string>;
  /** The Istio version, revision (`default` without one) and installer of the last control plane install. */
  version?: string;
  revision?: string;
  installer?: string;
  /** Every revision installed and not removed yet (a canary holds two), comma-separated in the ConfigMap. */
  revisions?: string[];
}

const ref = OBJECTS.stateConfigMap;

export async function readState(clients: KubeClients): Promise<ClusterState | undefined> {
  const cm = await getObject(clients, ref);
  if (!cm) return undefined;
  const data = (cm['data'] ?? {}) as Record<string, string>;
  const hashes: Record<string, string> = {};
  for (const [k, v] of Object.entries(data)) if (k.startsWith('hash.')) hashes[k.slice(5)] = v;
  const opt = (key: string, name: keyof ClusterState) => (data[key] ? { [name]: data[key] } : {});
  return {
    ...opt('mesh', 'mesh'),
    ...opt('namespace-created', 'namespaceCreated'),
    hashes,
    ...opt('istio.version', 'version'),
    ...opt('istio.revision', 'revision'),
    ...opt('istio.installer', 'installer'),
    ...(data['istio.revisions'] ? { revisions: data['istio.revisions'].split(',').filter(Boolean) } : {}),
  };
}

export async function writeState(clients: KubeClients, state: ClusterState): Promise<void> {
  const data: Record<string, string> = {};
  if (state.mesh) data['mesh'] = state.mesh;
  if (state.namespaceCreated) data['namespace-created'] = state.namespaceCreated;
  for (const [k, v] of Object.entries(state.hashes).sort()) data[`hash.${k}`] = v;
  if (state.version) data['istio.version'] = state.version;
  if (state.revision) data['istio.revision'] = state.revision;
  if (state.installer) data['istio.installer'] = state.installer;
  if (state.revisions?.length) data['istio.revisions'] = [...new Set(state.revisions)].sort().join(',');
  await applyObject(clients, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: STATE_CONFIGMAP, namespace: ISTIO_NAMESPACE, labels: { ...MANAGED_BY } }, data });
}

/** The install as the planner reads it. */
export function recordedInstall(s: ClusterState): RecordedInstall {
  return {
    ...(s.mesh ? { mesh: s.mesh } : {}),
    ...(s.version ? { version: s.version } : {}),
    ...(s.revision ? { revision: s.revision } : {}),
    ...(s.installer ? { installer: s.installer } : {}),
    revisions: s.revisions ?? (s.revision ? [s.revision] : []),
  };
}
