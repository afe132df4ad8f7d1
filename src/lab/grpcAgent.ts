/**
 * The lab's stand-in for sidecar injection: what Istio's injector would add to a pod with its
 * `grpc-agent` template (manifests/charts/istio-control/istio-discovery/files/grpc-agent.yaml),
 * read from the same inputs (the cluster's `istio-sidecar-injector` values and mesh config).
 * There is no Envoy on any registry we reach, so the lab's pods use Istio's proxyless gRPC
 * data plane: `pilot-agent` without Envoy beside an xDS-enabled gRPC app.
 *
 * Why not the real webhook: the lab's API servers run on the host's loopback and have no
 * route into the pod network, where istiod's webhook listens (README, "the lab data plane").
 * Pure.
 */
import type { ContainerSpec, EnvVar, PodObject, VolumeSpec } from './podSpec.js';

export interface NamespaceLike {
  metadata: { name: string; labels?: Record<string, string> };
}

/** The injector values the template reads (the `values` key of `istio-sidecar-injector`). */
export interface InjectorValues {
  revision?: string;
  global?: {
    meshID?: string;
    network?: string;
    multiCluster?: { clusterName?: string };
    caAddress?: string;
    pilotCertProvider?: string;
    istioNamespace?: string;
    sds?: { token?: { aud?: string } };
    proxy?: { clusterDomain?: string };
    trustDomain?: string;
  };
}

export interface MeshConfigLike {
  trustDomain?: string;
  defaultConfig?: { discoveryAddress?: string; meshId?: string; proxyMetadata?: Record<string, string>; [k: string]: unknown };
}

/**
 * Istio's injection rule, as the default webhooks select: a namespace labelled
 * `istio-injection=enabled` or `istio.io/rev`, or a pod labelled `sidecar.istio.io/inject=true`;
 * a pod labelled `sidecar.istio.io/inject=false` never. Returns the revision, or undefined.
 */
export function injectionRevision(pod: PodObject, ns: NamespaceLike | undefined): string | undefined {
  const podLabels = pod.metadata.labels ?? {};
  const nsLabels = ns?.metadata.labels ?? {};
  if (podLabels['sidecar.istio.io/inject'] === 'false') return undefined;
  if (nsLabels['istio-injection'] === 'disabled') return undefined;
  const rev = podLabels['istio.io/rev'] ?? nsLabels['istio.io/rev'];
  if (nsLabels['istio-injection'] === 'enabled') return 'default';
  if (rev) return rev;
  if (podLabels['sidecar.istio.io/inject'] === 'true') return 'default';
  return undefined;
}

/**
 * `istio-sidecar-injector[-<rev>]` and `istio[-<rev>]`: the config maps a primary's revision
 * reads. A remote has neither: its webhook calls its primary's istiod, with the remote's
 * cluster and network in the URL path; the lab reads the same values from the remote's own
 * install record, `values[-<rev>]` (its `merged-values`: cluster name, network, mesh ID).
 */
export function revisionConfigMaps(revision: string): { injector: string; mesh: string; remoteValues: string } {
  const suffix = revision === 'default' ? '' : `-${revision}`;
  return { injector: `istio-sidecar-injector${suffix}`, mesh: `istio${suffix}`, remoteValues: `values${suffix}` };
}

/** The Deployment name of a ReplicaSet's pod (`helloworld-v1-5bb6dccd7f-k6fwn` → `helloworld-v1`). */
export function workloadName(pod: PodObject): string {
  const hash = pod.metadata.labels?.['pod-template-hash'];
  const name = pod.metadata.name;
  if (hash) {
    const i = name.lastIndexOf(`-${hash}-`);
    if (i > 0) return name.slice(0, i);
  }
  return name;
}

/** Host and port of `host:port`. */
export function splitHostPort(address: string): { host: string; port: number } {
  const i = address.lastIndexOf(':');
  return { host: address.slice(0, i), port: Number(address.slice(i + 1)) };
}

/** `istiod.istio-system.svc[.cluster.local]` → Service istiod in istio-system. */
export function serviceOfHost(host: string): { name: string; namespace: string } | undefined {
  const m = /^([a-z0-9-]+)\.([a-z0-9-]+)\.svc(\..+)?$/.exec(host);
  return m ? { name: m[1]!, namespace: m[2]! } : undefined;
}

export const AGENT_CONTAINER = 'istio-proxy';

export interface InjectedPod {
  pod: PodObject;
  /** Where the agent dials istiod (and its CA). */
  discoveryAddress: string;
  caAddress: string;
  clusterID: string;
}

/**
 * The pod as the grpc-agent template leaves it: an `istio-proxy` container (pilot-agent) and,
 * on every other container, the gRPC xDS bootstrap env and the agent's shared volumes.
 * `xdsDir` is where the pod's `/etc/istio/proxy` really is: the agent's XDS socket path must be
 * absolute, because the bootstrap it writes names it as `unix://<configPath>/XDS` (a
 * container's `/` is its root), and short, because a unix socket path holds at most 107 bytes.
 */
export function injectGrpcAgent(pod: PodObject, ns: NamespaceLike | undefined, values: InjectorValues, mesh: MeshConfigLike, xdsDir: string): InjectedPod {
  const g = values.global ?? {};
  const rev = values.revision ?? '';
  const istioNamespace = g.istioNamespace ?? 'istio-system';
  const clusterDomain = g.proxy?.clusterDomain ?? 'cluster.local';
  const caAddress = g.caAddress || `istiod${rev && rev !== 'default' ? `-${rev}` : ''}.${istioNamespace}.svc:15012`;
  const discoveryAddress = mesh.defaultConfig?.discoveryAddress ?? caAddress;
  const clusterID = g.multiCluster?.clusterName || 'Kubernetes';
  const network = pod.metadata.labels?.['topology.istio.io/network'] ?? ns?.metadata.labels?.['topology.istio.io/network'] ?? g.network;
  const trustDomain = mesh.trustDomain ?? g.trustDomain;
  const meshID = g.meshID || trustDomain;
  const proxyConfig = { ...(mesh.defaultConfig ?? {}), discoveryAddress, configPath: xdsDir };
  const field = (name: string, fieldPath: string): EnvVar => ({ name, valueFrom: { fieldRef: { fieldPath } } });
  const env: EnvVar[] = [
    { name: 'ISTIO_META_GENERATOR', value: 'grpc' },
    { name: 'OUTPUT_CERTS', value: '/var/lib/istio/data' },
    { name: 'PILOT_CERT_PROVIDER', value: g.pilotCertProvider ?? 'istiod' },
    { name: 'CA_ADDR', value: caAddress },
    field('POD_NAME', 'metadata.name'),
    field('POD_NAMESPACE', 'metadata.namespace'),
    field('INSTANCE_IP', 'status.podIP'),
    field('SERVICE_ACCOUNT', 'spec.serviceAccountName'),
    field('HOST_IP', 'status.hostIP'),
    { name: 'PROXY_CONFIG', value: JSON.stringify(proxyConfig) },
    { name: 'ISTIO_META_CLUSTER_ID', value: clusterID },
    field('ISTIO_META_NODE_NAME', 'spec.nodeName'),
    ...(network ? [{ name: 'ISTIO_META_NETWORK', value: network }] : []),
    { name: 'ISTIO_META_WORKLOAD_NAME', value: workloadName(pod) },
    ...(meshID ? [{ name: 'ISTIO_META_MESH_ID', value: meshID }] : []),
    ...(trustDomain ? [{ name: 'TRUST_DOMAIN', value: trustDomain }] : []),
    ...Object.entries(mesh.defaultConfig?.proxyMetadata ?? {}).map(([name, value]) => ({ name, value })),
    { name: 'ISTIO_META_DNS_CAPTURE', value: 'false' },
    { name: 'DISABLE_ENVOY', value: 'true' },
  ];
  const agent: ContainerSpec = {
    name: AGENT_CONTAINER,
    args: ['proxy', 'sidecar', '--domain', `$(POD_NAMESPACE).svc.${clusterDomain}`],
    env,
    volumeMounts: [
      { name: 'istiod-ca-cert', mountPath: '/var/run/secrets/istio' },
      { name: 'istio-data', mountPath: '/var/lib/istio/data' },
      { name: 'istio-xds', mountPath: '/etc/istio/proxy' },
      { name: 'istio-token', mountPath: '/var/run/secrets/tokens' },
      { name: 'istio-podinfo', mountPath: '/etc/istio/pod' },
    ],
  };
  const volumes: VolumeSpec[] = [
    { name: 'istio-xds', emptyDir: {} },
    { name: 'istio-data', emptyDir: {} },
    { name: 'istio-podinfo', downwardAPI: { items: [{ path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } }, { path: 'annotations', fieldRef: { fieldPath: 'metadata.annotations' } }] } },
    { name: 'istio-token', projected: { sources: [{ serviceAccountToken: { path: 'istio-token', expirationSeconds: 43200, audience: g.sds?.token?.aud ?? 'istio-ca' } }] } },
    { name: 'istiod-ca-cert', configMap: { name: 'istio-ca-root-cert' } },
  ];
  const apps = (pod.spec?.containers ?? []).map(
    (c): ContainerSpec => ({
      ...c,
      env: [...(c.env ?? []), { name: 'GRPC_XDS_EXPERIMENTAL_SECURITY_SUPPORT', value: 'true' }, { name: 'GRPC_XDS_BOOTSTRAP', value: '/etc/istio/proxy/grpc-bootstrap.json' }],
      volumeMounts: [...(c.volumeMounts ?? []), { name: 'istio-data', mountPath: '/var/lib/istio/data' }, { name: 'istio-xds', mountPath: '/etc/istio/proxy' }],
    }),
  );
  return {
    pod: { ...pod, spec: { ...pod.spec, containers: [agent, ...apps], volumes: [...(pod.spec?.volumes ?? []), ...volumes] } },
    discoveryAddress,
    caAddress,
    clusterID,
  };
}
