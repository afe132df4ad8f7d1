/** The mesh file as the user writes it (`apiVersion: meshfed.io/v1alpha1`, `kind: Mesh`). */
export interface MeshFile {
  apiVersion: 'meshfed.io/v1alpha1';
  kind: 'Mesh';
  metadata: { name: string };
  spec: MeshSpec;
}

export type Installer = 'istioctl' | 'helm';

export interface IstioSpec {
  version: string;
  installer: Installer;
  /** Installs a revisioned control plane (`istiod-<revision>`). */
  revision?: string;
  /** Passed through to `spec.meshConfig` of every IstioOperator (or `meshConfig` of the istiod chart). */
  meshConfig?: Record<string, unknown>;
  /** Passed through to `spec.values` (or the istiod chart values); meshfed's own settings win. */
  values?: Record<string, unknown>;
}

export type KeyAlgorithm = 'rsa-4096' | 'rsa-2048' | 'ecdsa-p256';

export interface TrustSpec {
  trustDomain: string;
  /** Folder holding the root CA and one folder per cluster; relative to the mesh file. */
  rootDir: string;
  keyAlgorithm: KeyAlgorithm;
  rootValidityDays: number;
  intermediateValidityDays: number;
}

export interface ClusterSpec {
  name: string;
  /** kubeconfig context; defaults to the cluster name. */
  context: string;
  /** API server URL as the other control planes reach it. */
  apiServer?: string;
  network?: string;
  /** `self` for a primary, or the name of the primary running this remote's control plane. */
  controlPlane: string;
  podCIDRs: string[];
  serviceCIDRs: string[];
  /** Addresses a LoadBalancer may hand out where there is no cloud load balancer (MetalLB-style). */
  loadBalancerPool?: string;
  /** Pins the east-west gateway's address; defaults to the first host of the pool. */
  eastWestGatewayAddress?: string;
  /** Where other clusters of a flat network route this cluster's pod/service CIDRs (a node address). */
  nodeAddress?: string;
}

export interface LabSpec {
  /** Simulated nodes per cluster. */
  nodes: number;
}

export interface MeshSpec {
  istio: IstioSpec;
  trust: TrustSpec;
  clusters: ClusterSpec[];
  /**
   * Present when the mesh runs in meshfed's lab: every control plane shares this machine's
   * loopback, so loopback API servers are expected rather than a mistake.
   */
  lab?: LabSpec;
}

/** Where a value sits in the mesh file, 1-based, for diagnostics. */
export interface SourcePosition {
  line: number;
  column: number;
}

export type Severity = 'error' | 'warning';

export interface Diagnostic {
  /** Stable code: MF1xxx syntax, MF2xxx schema, MF3xxx semantics, MF4xxx live checks. */
  code: string;
  severity: Severity;
  message: string;
  hint: string;
  file: string;
  line: number;
  column: number;
  /** JSON pointer of the offending value, e.g. `/spec/clusters/1/network`. */
  path: string;
}
