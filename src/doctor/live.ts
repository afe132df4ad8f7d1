import { readRemoteSecrets, type RemoteSecretsResult } from '../discovery/index.js';
import { getObject, isKubeError, listObjects, selfSubjectName, type KubeClients, type KubeErrorReason, type KubeObject, type ObjectRef } from '../kube/index.js';
import { ISTIO_NAMESPACE, OBJECTS, objectKey, type ClusterPlan, type Plan } from '../plan/index.js';
import { annotationsOf, containerOf, destinationRuleFacts, labelsOf, type DestinationRuleFacts, loadBalancerAddress, meshIdentity, secretText, sliceAddresses, webhookPaths, type ContainerView, type MeshIdentity } from './parse.js';

/**
 * What doctor and status know of one cluster, read once through its client and then judged
 * by pure checks. Holds no credential: remote secrets are kept only as discovery's reading of
 * them (MemberCluster keeps its kubeconfig private) and cacerts without its key.
 */
export interface LiveCluster {
  name: string;
  /**
   * Why the cluster could not be read at all; the rest is then empty. `server` is the address
   * the kubeconfig context points at, and `kubeconfigCluster` the kubeconfig's cluster entry
   * holding it, when a client was made.
   */
  unreachable?: { reason: KubeErrorReason; message: string; server?: string; kubeconfigCluster?: string };
  /** Objects whose read was refused (RBAC): `Kind/namespace/name`. */
  forbidden: string[];
  /** The user the API server took meshfed's credentials for, asked only when a read was refused (the subject a fix grants read to). */
  user?: string;
  namespace?: { labels: Record<string, string>; annotations: Record<string, string> };
  istiod?: { name: string; revision: string; container: ContainerView; readyReplicas: number };
  meshIdentity?: MeshIdentity;
  gateway?: { labels: Record<string, string>; address?: string; container?: ContainerView };
  /** The certificates of Secret istio-system/cacerts (never its key). */
  cacerts?: { caCert?: string; rootCert?: string; certChain?: string };
  /** ConfigMap istio-system/istio-ca-root-cert, the root istiod hands to workloads. */
  caRootCert?: string;
  /** ConfigMap istio-system/meshfed-state's data. */
  state?: Record<string, string>;
  /** Every object of the plan's resources for this cluster: `objectKey` → present. */
  present: Record<string, boolean>;
  /** A remote's injection webhook paths. */
  injectorPaths?: string[];
  /** A remote's istiod Service endpoints (its primary's gateway, via remotePilotAddress). */
  istiodEndpoints?: string[];
  /**
   * The address ranges the cluster really uses: its ServiceCIDRs, its nodes' podCIDRs, and,
   * where no node has one (kwok, some CNIs), the pod IPs it gave out.
   */
  ranges?: { services: { name: string; cidr: string }[]; pods: string[]; podIPs: string[] };
  /** The cluster's Services outside the system namespaces, and whether any endpoint of each is ready. */
  services?: { namespace: string; name: string; endpoints: boolean }[];
  /** A primary's DestinationRules (istiod reads them from its config cluster). */
  destinationRules?: DestinationRuleFacts[];
  /** A primary's remote secrets as istiod's secret controller reads them. */
  remoteSecrets?: { names: string[]; managed: string[]; read: RemoteSecretsResult };
}

/** Namespaces of Kubernetes and of Istio's own control plane: their Services are not the application's. */
const SYSTEM_NAMESPACES = new Set(['kube-system', 'kube-public', 'kube-node-lease', 'istio-system']);

/** Ready endpoints of an EndpointSlice (ready unset counts as ready, as Kubernetes says). */
const readyEndpoints = (slice: KubeObject): number =>
  ((slice['endpoints'] as { addresses?: string[]; conditions?: { ready?: boolean } }[] | undefined) ?? []).filter((e) => (e.addresses ?? []).length > 0 && e.conditions?.ready !== false).length;

const stringList = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string' && x !== '') : []);

/** Failures that say the cluster itself cannot be read: they stop its reading. */
const STOPS = new Set(['unreachable', 'timeout', 'unauthorized']);

/**
 * Reads one object. A refused read is noted and read as absent; a kind the API server does not
 * serve (Istio's CRDs before Istio is installed) is absent; an unreachable cluster stops.
 */
async function read(k: KubeClients, ref: ObjectRef, forbidden: string[]): Promise<KubeObject | undefined> {
  try {
    return await getObject(k, ref);
  } catch (e) {
    if (!isKubeError(e) || STOPS.has(e.reason)) throw e;
    if (e.reason === 'forbidden') forbidden.push(objectKey(ref));
    return undefined;
  }
}

async function list(k: KubeClients, apiVersion: string, kind: string, opts: { namespace?: string; labelSelector?: string }, forbidden: string[]): Promise<KubeObject[]> {
  try {
    return await listObjects(k, apiVersion, kind, opts);
  } catch (e) {
    if (!isKubeError(e) || STOPS.has(e.reason)) throw e;
    if (e.reason === 'forbidden') forbidden.push(`${kind}/${opts.namespace ?? ''}`);
    return [];
  }
}

/**
 * The reads of one cluster, each object read once: the plan's objects include the namespace,
 * cacerts, istiod and the gateway, which the sections also read for their contents (five GETs a
 * cluster sent twice). A refused read is noted once.
 */
function onceEach(k: KubeClients, forbidden: string[]): (ref: ObjectRef) => Promise<KubeObject | undefined> {
  const reads = new Map<string, Promise<KubeObject | undefined>>();
  return (ref) => {
    const key = objectKey(ref);
    const known = reads.get(key);
    if (known) return known;
    const r = read(k, ref, forbidden);
    reads.set(key, r);
    return r;
  };
}

/** `reached` is called once the cluster has answered its first read (so slower work on it, such as istioctl analyze, can start). */
export async function readCluster(plan: Plan, c: ClusterPlan, k: KubeClients, reached?: () => void): Promise<LiveCluster> {
  const forbidden: string[] = [];
  const live: LiveCluster = { name: c.name, forbidden, present: {} };
  const rev = plan.mesh.istio.revision;
  const get = onceEach(k, forbidden);
  try {
    const ns = await get(OBJECTS.namespace);
    reached?.();
    if (ns) live.namespace = { labels: labelsOf(ns), annotations: annotationsOf(ns) };
    // The sections read independent objects: all at once.
    await Promise.all([
      (async () => {
        const [istiod, istioCm, gwSvc, gwDeploy, cacerts, rootCm, state] = await Promise.all([
          get(OBJECTS.istiod(rev)),
          get({ apiVersion: 'v1', kind: 'ConfigMap', name: rev ? `istio-${rev}` : 'istio', namespace: ISTIO_NAMESPACE }),
          get(OBJECTS.eastWestService),
          get(OBJECTS.eastWestDeployment),
          get(OBJECTS.cacerts),
          get({ apiVersion: 'v1', kind: 'ConfigMap', name: 'istio-ca-root-cert', namespace: ISTIO_NAMESPACE }),
          get(OBJECTS.stateConfigMap),
        ]);
        if (istiod) {
          const container = containerOf(istiod, 'discovery');
          if (container)
            live.istiod = {
              name: istiod.metadata.name,
              revision: labelsOf(istiod)['istio.io/rev'] ?? 'default',
              container,
              readyReplicas: Number((istiod['status'] as { readyReplicas?: number } | undefined)?.readyReplicas ?? 0),
            };
        }
        if (istioCm) live.meshIdentity = meshIdentity(istioCm);
        if (gwSvc) {
          const address = loadBalancerAddress(gwSvc);
          const container = gwDeploy ? containerOf(gwDeploy, 'istio-proxy') : undefined;
          live.gateway = { labels: labelsOf(gwSvc), ...(address ? { address } : {}), ...(container ? { container } : {}) };
        }
        if (cacerts) {
          const caCert = secretText(cacerts, 'ca-cert.pem');
          const rootCert = secretText(cacerts, 'root-cert.pem');
          const certChain = secretText(cacerts, 'cert-chain.pem');
          live.cacerts = { ...(caCert ? { caCert } : {}), ...(rootCert ? { rootCert } : {}), ...(certChain ? { certChain } : {}) };
        }
        const rootText = (rootCm?.['data'] as Record<string, string> | undefined)?.['root-cert.pem'];
        if (rootText) live.caRootCert = rootText;
        if (state) live.state = { ...((state['data'] as Record<string, string> | undefined) ?? {}) };
      })(),
      (async () => {
        const planned = await Promise.all(c.resources.map(async (r) => [objectKey(r), (await get(r)) !== undefined] as const));
        live.present = Object.fromEntries(planned);
      })(),
      (async () => {
        const [serviceCidrs, nodes] = await Promise.all([list(k, 'networking.k8s.io/v1', 'ServiceCIDR', {}, forbidden), list(k, 'v1', 'Node', {}, forbidden)]);
        const pods = nodes.flatMap((n) => stringList((n['spec'] as { podCIDRs?: unknown } | undefined)?.podCIDRs));
        live.ranges = {
          services: serviceCidrs.flatMap((x) => stringList((x['spec'] as { cidrs?: unknown } | undefined)?.cidrs).map((cidr) => ({ name: x.metadata.name, cidr }))),
          pods: [...new Set(pods)].sort(),
          podIPs: pods.length > 0 ? [] : (await list(k, 'v1', 'Pod', {}, forbidden)).flatMap((p) => ((p['spec'] as { hostNetwork?: boolean } | undefined)?.hostNetwork ? [] : stringList([(p['status'] as { podIP?: unknown } | undefined)?.podIP]))),
        };
      })(),
      (async () => {
        const [services, slices] = await Promise.all([list(k, 'v1', 'Service', {}, forbidden), list(k, 'discovery.k8s.io/v1', 'EndpointSlice', {}, forbidden)]);
        const ready = new Set(slices.filter((s) => readyEndpoints(s) > 0).map((s) => `${s.metadata.namespace}/${labelsOf(s)['kubernetes.io/service-name'] ?? ''}`));
        live.services = services
          .filter((s) => !SYSTEM_NAMESPACES.has(s.metadata.namespace ?? '') && !(s.metadata.namespace === 'default' && s.metadata.name === 'kubernetes'))
          .map((s) => ({ namespace: s.metadata.namespace ?? '', name: s.metadata.name, endpoints: ready.has(`${s.metadata.namespace}/${s.metadata.name}`) }));
      })(),
      (async () => {
        if (c.role === 'remote') {
          const mwc = await get(OBJECTS.sidecarInjector(rev));
          if (mwc) live.injectorPaths = webhookPaths(mwc);
          const slices = await list(k, 'discovery.k8s.io/v1', 'EndpointSlice', { namespace: ISTIO_NAMESPACE, labelSelector: `kubernetes.io/service-name=${OBJECTS.istiod(rev).name}` }, forbidden);
          live.istiodEndpoints = sliceAddresses(slices);
        }
      })(),
      (async () => {
        if (c.role === 'primary') {
          // A list's items carry no kind; istiod's reading of secrets judges whole Secret objects.
          const secrets = (await list(k, 'v1', 'Secret', { namespace: ISTIO_NAMESPACE, labelSelector: 'istio/multiCluster=true' }, forbidden)).map((s) => ({ ...s, apiVersion: 'v1', kind: 'Secret' }));
          live.destinationRules = (await list(k, 'networking.istio.io/v1', 'DestinationRule', {}, forbidden)).map(destinationRuleFacts);
          live.remoteSecrets = {
            names: secrets.map((s) => s.metadata.name).sort(),
            managed: secrets.filter((s) => labelsOf(s)['app.kubernetes.io/managed-by'] === 'meshfed').map((s) => s.metadata.name).sort(),
            read: readRemoteSecrets(secrets, { localClusterId: c.name }),
          };
        }
      })(),
    ]);
  } catch (e) {
    if (!isKubeError(e)) throw e;
    const entry = k.config.getCurrentCluster()?.name;
    return { name: c.name, forbidden, present: {}, unreachable: { reason: e.reason, message: e.message, ...(k.server ? { server: k.server } : {}), ...(entry ? { kubeconfigCluster: entry } : {}) } };
  }
  // The sections ran at once: the refused reads in a stable order.
  forbidden.sort();
  if (forbidden.length > 0) {
    const user = await selfSubjectName(k).catch(() => undefined);
    if (user) live.user = user;
  }
  return live;
}
