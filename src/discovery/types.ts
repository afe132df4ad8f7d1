import type { KubeObject } from '../kube/index.js';

/** The registry model: what istiod holds per hostname, by cluster, in plain data. */

export interface ServicePort {
  name: string;
  port: number;
  protocol: string;
}

/** One cluster's copy of a Service. */
export interface ClusterService {
  cluster: string;
  /** spec.clusterIPs (or clusterIP); empty for headless and ExternalName services. */
  clusterIPs: string[];
  ports: ServicePort[];
  /** ClusterIP, NodePort, LoadBalancer or ExternalName. */
  type: string;
  headless: boolean;
}

export interface Service {
  /** `<name>.<namespace>.svc.<domainSuffix>` */
  hostname: string;
  namespace: string;
  name: string;
  /** The first cluster's ports: istiod's aggregate keeps the first registry's attributes. */
  ports: ServicePort[];
  /** In registry order (the local cluster first). */
  clusters: ClusterService[];
}

/**
 * istiod's HealthStatus from EndpointSlice conditions (endpointHealthStatus in
 * endpointslice.go): ready unset or true → healthy; otherwise terminating unset or true →
 * terminating; otherwise unhealthy. (Draining needs persistent sessions; not modelled.)
 */
export type EndpointHealth = 'healthy' | 'unhealthy' | 'terminating';

/** `istio` when the pod carries security.istio.io/tlsMode=istio (it has a sidecar), else `disabled`. */
export type TlsMode = 'istio' | 'disabled';

export interface Endpoint {
  cluster: string;
  /** '' when istiod finds no network for it. */
  network: string;
  address: string;
  /** EndpointSlice port name → port number. */
  ports: Record<string, number>;
  ready: boolean;
  health: EndpointHealth;
  tlsMode: TlsMode;
  pod?: { namespace: string; name: string };
  labels?: Record<string, string>;
}

export interface ServiceEntry extends Service {
  /** Sorted by cluster, then address. */
  endpoints: Endpoint[];
}

/** An east-west gateway as istiod's network manager knows it (model.NetworkGateway). */
export interface NetworkGateway {
  network: string;
  cluster: string;
  /** A load-balancer ingress IP or hostname, or an externalIP. */
  address: string;
  /** The mTLS (AUTO_PASSTHROUGH) port; 0 when the Service does not expose it. */
  port: number;
  /** 15008 when the Service exposes it, else 0. */
  hbonePort: number;
  service: { namespace: string; name: string };
}

export interface Registry {
  /** Sorted by hostname. */
  services: ServiceEntry[];
  /** Sorted by network, cluster, address, port; duplicates removed. */
  gateways: NetworkGateway[];
  /** Each cluster's default network (its system namespace label or meshNetworks fromRegistry). */
  clusterNetworks: Record<string, string>;
}

/** The objects one cluster's informers hold; the registry is a pure function of these. */
export interface ClusterSnapshot {
  clusterId: string;
  services: readonly KubeObject[];
  endpointSlices: readonly KubeObject[];
  pods: readonly KubeObject[];
  namespaces: readonly KubeObject[];
  /** In MCS discovery mode only (the watcher was asked to watch them). */
  serviceExports?: readonly KubeObject[];
  serviceImports?: readonly KubeObject[];
}

export type ClusterSyncState = 'syncing' | 'synced' | 'timeout' | 'closed';

/**
 * Why a cluster is not (or was not) synced. `code` and `cause` come from the kube layer's
 * KubeError (MF7xxx: unreachable, unauthorized, ...) or from discovery itself (MF9xxx).
 */
export interface ClusterError {
  code: string;
  message: string;
  cause: string;
  hint: string;
}

export interface ClusterStatus {
  clusterId: string;
  state: ClusterSyncState;
  lastError?: ClusterError;
  /** The remote secret that provides it; absent for the local cluster and mesh-file contexts. */
  secret?: { namespace: string; name: string };
}

/** meshNetworks (ConfigMap istio, key meshNetworks), the part that assigns networks. */
export interface MeshNetworks {
  networks: Record<string, { endpoints?: { fromRegistry?: string; fromCidr?: string }[] }>;
}
