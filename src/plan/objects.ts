/**
 * The name of every object meshfed makes or installs in a cluster, each written once here:
 * plan lists them, render builds them under these names, apply waits on them, and prune and
 * destroy remove them by the same references.
 */

/** Where an object lives in a cluster; the same shape as the kube layer's ObjectRef. */
export interface ObjectRef {
  apiVersion: string;
  kind: string;
  name: string;
  namespace?: string;
}

import { MCS_CRD_NAMES } from '../mcs/index.js';

export const ISTIO_NAMESPACE = 'istio-system';
export const READER_SERVICE_ACCOUNT = 'istio-reader-service-account';
export const READER_CLUSTER_ROLE = 'istio-reader-clusterrole-meshfed';
export const READER_TOKEN_SECRET = `${READER_SERVICE_ACCOUNT}-istio-remote-secret-token`;
/** The east-west gateway's IstioOperator component / chart name, and so its Service and Deployment. */
export const EASTWEST_GATEWAY = 'istio-eastwestgateway';
/** The Gateway that expose-istiod's VirtualService binds to. */
export const ISTIOD_GATEWAY = 'istiod-gateway';
export const remoteSecretName = (cluster: string): string => `istio-remote-secret-${cluster}`;
export const istiodName = (revision?: string): string => (revision ? `istiod-${revision}` : 'istiod');

const revisioned = (name: string, revision?: string) => (revision ? `${name}-${revision}` : name);
const inIstio = (apiVersion: string, kind: string, name: string): ObjectRef => ({ apiVersion, kind, name, namespace: ISTIO_NAMESPACE });
const ISTIO_NETWORKING = 'networking.istio.io/v1';
const RBAC = 'rbac.authorization.k8s.io/v1';
const crd = (name: string): ObjectRef => ({ apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', name });

/** Every object by what it is for; a function where the name depends on the mesh. */
export const OBJECTS = {
  namespace: { apiVersion: 'v1', kind: 'Namespace', name: ISTIO_NAMESPACE } as ObjectRef,
  cacerts: inIstio('v1', 'Secret', 'cacerts'),
  istiod: (revision?: string) => inIstio('apps/v1', 'Deployment', istiodName(revision)),
  sidecarInjector: (revision?: string): ObjectRef => ({ apiVersion: 'admissionregistration.k8s.io/v1', kind: 'MutatingWebhookConfiguration', name: revisioned('istio-sidecar-injector', revision) }),
  eastWestService: inIstio('v1', 'Service', EASTWEST_GATEWAY),
  eastWestDeployment: inIstio('apps/v1', 'Deployment', EASTWEST_GATEWAY),
  istiodGateway: inIstio(ISTIO_NETWORKING, 'Gateway', ISTIOD_GATEWAY),
  istiodVirtualService: (revision?: string) => inIstio(ISTIO_NETWORKING, 'VirtualService', revisioned('istiod-vs', revision)),
  crossNetworkGateway: inIstio(ISTIO_NETWORKING, 'Gateway', 'cross-network-gateway'),
  readerServiceAccount: inIstio('v1', 'ServiceAccount', READER_SERVICE_ACCOUNT),
  readerClusterRole: { apiVersion: RBAC, kind: 'ClusterRole', name: READER_CLUSTER_ROLE } as ObjectRef,
  readerClusterRoleBinding: { apiVersion: RBAC, kind: 'ClusterRoleBinding', name: READER_CLUSTER_ROLE } as ObjectRef,
  readerToken: inIstio('v1', 'Secret', READER_TOKEN_SECRET),
  remoteSecret: (watched: string) => inIstio('v1', 'Secret', remoteSecretName(watched)),
  mcsCrds: MCS_CRD_NAMES.map(crd),
  /** What apply remembers in each cluster (src/apply/state.ts); status reads it. */
  stateConfigMap: inIstio('v1', 'ConfigMap', 'meshfed-state'),
  /** The clusters of the mesh as last applied, kept in every primary (src/apply/members.ts): how apply sees a cluster leave the file. */
  membersConfigMap: inIstio('v1', 'ConfigMap', 'meshfed-members'),
} as const;

/** The object's metadata identity, for render to build it under its one name. */
export const metadataOf = (ref: ObjectRef): { name: string; namespace?: string } => ({ name: ref.name, ...(ref.namespace ? { namespace: ref.namespace } : {}) });

/**
 * `Kind/namespace/name` (cluster-scoped: `Kind/name`), with the API group after the kind for
 * kinds outside Kubernetes' own groups (`Gateway.networking.istio.io/...`): how plan.json and
 * people name an object.
 */
export function objectKey(ref: ObjectRef): string {
  const group = ref.apiVersion.includes('/') ? ref.apiVersion.slice(0, ref.apiVersion.lastIndexOf('/')) : '';
  const kubernetesOwn = !group.includes('.') || group.endsWith('.k8s.io');
  return [kubernetesOwn ? ref.kind : `${ref.kind}.${group}`, ref.namespace, ref.name].filter(Boolean).join('/');
}

export const sameObject = (a: ObjectRef, b: ObjectRef): boolean => a.apiVersion === b.apiVersion && a.kind === b.kind && a.name === b.name && a.namespace === b.namespace;
