import type { Static } from '@sinclair/typebox';
import type { KeyAlgorithm } from '../trust/algorithms.js';
import type { ClusterSchema, IstioSchema, LabSchema, MeshFileSchema, ServicesSchema, TrustSchema } from './model.js';

// The mesh model's types come from its one definition (model.ts). Each is the shape after
// normalizing: what the file may leave out is filled, so those fields are required here.

export type { KeyAlgorithm };

/** `T` with the fields `K` that the normalizer always fills made required. */
type Filled<T, K extends keyof T> = Omit<T, K> & { [P in K]-?: Exclude<T[P], undefined> };

export type IstioSpec = Filled<Static<typeof IstioSchema>, 'version' | 'installer'>;
export type Installer = IstioSpec['installer'];
export type TrustSpec = Filled<Static<typeof TrustSchema>, keyof Static<typeof TrustSchema>>;
export type ClusterSpec = Filled<Static<typeof ClusterSchema>, 'context' | 'controlPlane' | 'podCIDRs' | 'serviceCIDRs'>;
export type LabSpec = Filled<Static<typeof LabSchema>, 'nodes'>;
export type ServicesSpec = Filled<Static<typeof ServicesSchema>, 'discovery' | 'dnsProxy'>;
export type ServiceDiscoveryMode = ServicesSpec['discovery'];

export interface MeshSpec {
  istio: IstioSpec;
  trust: TrustSpec;
  clusters: ClusterSpec[];
  /**
   * Present when the mesh runs in meshfed's lab: every control plane shares this machine's
   * loopback, so loopback API servers are expected rather than a mistake.
   */
  lab?: LabSpec;
  /** Present when the file says which services span the mesh; absent means Istio's default (every service mesh-wide). */
  services?: ServicesSpec;
}

/** The mesh file after normalizing (`apiVersion: meshfed.io/v1alpha1`, `kind: Mesh`): what every other layer reads. */
export interface MeshFile {
  apiVersion: Static<typeof MeshFileSchema>['apiVersion'];
  kind: Static<typeof MeshFileSchema>['kind'];
  metadata: Static<typeof MeshFileSchema>['metadata'];
  spec: MeshSpec;
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
