import type { ClusterSpec, Installer, KeyAlgorithm, Role, ServicesSpec } from '../topology/index.js';
import type { ObjectRef } from './objects.js';

/** Every kind of step an apply runs; a step touches exactly one cluster. */
export type StepKind =
  | 'namespace' // istio-system with its labels and annotations
  | 'cacerts' // the cluster's intermediate CA as the cacerts Secret
  | 'istio' // istioctl install / helm install of the control plane (primary) or remote profile
  | 'eastwest-gateway' // the east-west gateway install
  | 'gateway-address' // wait for the gateway's LoadBalancer address
  | 'expose-istiod' // Gateway + VirtualService exposing istiod on 15012/15017
  | 'expose-services' // AUTO_PASSTHROUGH Gateway on 15443
  | 'remote-reader' // reader service account, RBAC and token in a watched cluster
  | 'remote-secret' // istio-remote-secret-<watched> in a primary
  | 'routes' // flat-network routes between clusters: a script for the operator
  | 'mcs-crds' // the Multi-Cluster Services CRDs (ServiceExport, ServiceImport), in mcs discovery mode
  | 'revision-tags' // canary: revision tags and namespaces moved to the new revision, their workloads restarted
  | 'revision-remove'; // canary: an old revision uninstalled once no pod uses it

/**
 * The phases of an apply, in order: `install` brings every cluster to the mesh file (a new
 * revision beside the old one, or an in-place upgrade); `move` points workloads at the new
 * revision; `remove-old` uninstalls revisions nothing uses any more. `apply --until` stops after one.
 */
export const PHASES = ['install', 'move', 'remove-old'] as const;
export type Phase = (typeof PHASES)[number];

export interface Step {
  /** Stable id, `<kind>:<cluster>` or `remote-secret:<primary>:<watched>`. */
  id: string;
  kind: StepKind;
  /** The cluster this step changes. */
  cluster: string;
  /** Ids of steps that must be done before this one starts. */
  needs: string[];
  description: string;
  /** For remote-secret: the cluster whose API the secret grants access to. */
  watched?: string;
  /** Done by the operator, not by apply (e.g. node routes); apply reports it. */
  manual?: boolean;
  /** The phase the step belongs to; absent: `install`. */
  phase?: Phase;
  /** For revision-tags and revision-remove: the old revision (`default` for an install without one). */
  fromRevision?: string;
}

/** An object the plan wants in a cluster, and the id of the step that makes it. */
export interface PlannedObject extends ObjectRef {
  step: string;
}

export interface NamespacePlan {
  name: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export interface GatewayPlan {
  network: string;
  /** Known before apply (pinned or first address of the pool); otherwise read from the Service. */
  address?: string;
  exposesIstiod: boolean;
  exposesServices: boolean;
}

export interface ClusterPlan {
  name: string;
  context: string;
  role: Role;
  network: string;
  /** The primary running this cluster's control plane (itself for a primary). */
  primary: string;
  apiServer?: string;
  externalIstiod: boolean;
  /** For a remote: the primary's east-west gateway address, when known before apply. */
  remotePilotAddress?: string;
  injectionPath?: string;
  namespace: NamespacePlan;
  eastWestGateway?: GatewayPlan;
  /** Clusters whose remote secret this primary holds. */
  watches: string[];
  /** Primaries holding a remote secret for this cluster. */
  watchedBy: string[];
  /** The objects apply creates here (itself or through the installer), each with the step that owns it. */
  resources: PlannedObject[];
  spec: ClusterSpec;
}

export interface Route {
  /** Cluster whose nodes get the route. */
  on: string;
  destination: string;
  /** Node address of the cluster owning `destination`; undefined when the file gives none. */
  via?: string;
  owner: string;
}

export interface RemoteSecretPlan {
  /** Secret name in the primary: istio-remote-secret-<watched>. */
  name: string;
  primary: string;
  watched: string;
  server?: string;
}

export interface Plan {
  mesh: {
    name: string;
    meshID: string;
    trustDomain: string;
    istio: { version: string; installer: Installer; revision?: string; meshConfig?: Record<string, unknown>; values?: Record<string, unknown> };
    trust: { rootDir: string; keyAlgorithm: KeyAlgorithm; rootValidityDays: number; intermediateValidityDays: number };
    networks: string[];
    multiNetwork: boolean;
    lab: boolean;
    /** As the mesh file gives it; absent: Istio's default (every service mesh-wide, no DNS proxying). */
    services?: ServicesSpec;
  };
  clusters: ClusterPlan[];
  remoteSecrets: RemoteSecretPlan[];
  routes: Route[];
  /** Topologically ordered: every step comes after the steps it needs. */
  steps: Step[];
}
