import { buildTopology, type ClusterFacts, type MeshFile, type Topology } from '../topology/index.js';
import { buildSteps, orderSteps } from './steps.js';
import type { ClusterPlan, Plan, RemoteSecretPlan, Route } from './types.js';

export const ISTIO_NAMESPACE = 'istio-system';
export const NETWORK_LABEL = 'topology.istio.io/network';
export const CONTROL_PLANE_CLUSTERS_ANNOTATION = 'topology.istio.io/controlPlaneClusters';
export const READER_SERVICE_ACCOUNT = 'istio-reader-service-account';
export const READER_CLUSTER_ROLE = 'istio-reader-clusterrole-meshfed';
export const READER_TOKEN_SECRET = `${READER_SERVICE_ACCOUNT}-istio-remote-secret-token`;
export const remoteSecretName = (cluster: string): string => `istio-remote-secret-${cluster}`;
export const istiodName = (revision?: string): string => (revision ? `istiod-${revision}` : 'istiod');

function resourcesOf(c: ClusterFacts, revision: string | undefined): string[] {
  const ns = ISTIO_NAMESPACE;
  const r = [`Namespace/${ns}`, `Secret/${ns}/cacerts`];
  r.push(c.role === 'primary' ? `Deployment/${ns}/${istiodName(revision)}` : `MutatingWebhookConfiguration/istio-sidecar-injector${revision ? `-${revision}` : ''}`);
  if (c.needsEastWestGateway) r.push(`Service/${ns}/istio-eastwestgateway`, `Deployment/${ns}/istio-eastwestgateway`);
  if (c.exposesIstiod) r.push(`Gateway.networking.istio.io/${ns}/istiod-gateway`, `VirtualService.networking.istio.io/${ns}/istiod-vs${revision ? `-${revision}` : ''}`);
  if (c.exposesServices) r.push(`Gateway.networking.istio.io/${ns}/cross-network-gateway`);
  if (c.watchedBy.length > 0)
    r.push(`ServiceAccount/${ns}/${READER_SERVICE_ACCOUNT}`, `ClusterRole/${READER_CLUSTER_ROLE}`, `ClusterRoleBinding/${READER_CLUSTER_ROLE}`, `Secret/${ns}/${READER_TOKEN_SECRET}`);
  for (const w of c.watches) r.push(`Secret/${ns}/${remoteSecretName(w)}`);
  return r;
}

function clusterPlan(t: Topology, c: ClusterFacts): ClusterPlan {
  const labels: Record<string, string> = {};
  const annotations: Record<string, string> = {};
  if (t.multiNetwork) labels[NETWORK_LABEL] = c.network;
  if (c.role === 'remote') annotations[CONTROL_PLANE_CLUSTERS_ANNOTATION] = c.primary;
  const primary = t.clusters.find((p) => p.name === c.primary)!;
  const revision = t.mesh.spec.istio.revision;
  const plan: ClusterPlan = {
    name: c.name,
    context: c.spec.context,
    role: c.role,
    network: c.network,
    primary: c.primary,
    externalIstiod: c.externalIstiod,
    namespace: { name: ISTIO_NAMESPACE, labels, annotations },
    watches: c.watches,
    watchedBy: c.watchedBy,
    resources: resourcesOf(c, revision),
    spec: c.spec,
  };
  if (c.spec.apiServer) plan.apiServer = c.spec.apiServer;
  if (c.role === 'remote') {
    // istiod derives the injected proxy's cluster ID and network from this path; without it a
    // remote's pods would carry the primary's identity.
    // With no network names the primary's proxies carry no network either; inventing one here
    // would put the remote's workloads on a network of their own that no gateway serves.
    plan.injectionPath = c.network ? `/inject/cluster/${c.name}/net/${c.network}` : `/inject/cluster/${c.name}`;
    if (primary.plannedGatewayAddress) plan.remotePilotAddress = primary.plannedGatewayAddress;
  }
  if (c.needsEastWestGateway) {
    plan.eastWestGateway = {
      network: c.network,
      exposesIstiod: c.exposesIstiod,
      exposesServices: c.exposesServices,
      ...(c.plannedGatewayAddress ? { address: c.plannedGatewayAddress } : {}),
    };
  }
  return plan;
}

function flatRoutes(t: Topology): { routes: Route[]; networks: Set<string> } {
  const routes: Route[] = [];
  const networks = new Set<string>();
  for (const a of t.clusters) {
    for (const b of t.clusters) {
      if (a.name === b.name || a.network !== b.network) continue;
      networks.add(a.network);
      for (const destination of [...b.spec.podCIDRs, ...b.spec.serviceCIDRs]) {
        routes.push({ on: a.name, destination, owner: b.name, ...(b.spec.nodeAddress ? { via: b.spec.nodeAddress } : {}) });
      }
    }
  }
  return { routes, networks };
}

/** From a valid mesh file to the plan: what each cluster must hold and the steps to get there. */
export function planMesh(mesh: MeshFile): Plan {
  const t = buildTopology(mesh);
  const clusters = t.clusters.map((c) => clusterPlan(t, c));
  const remoteSecrets: RemoteSecretPlan[] = t.clusters.flatMap((p) =>
    p.watches.map((w) => {
      const server = t.clusters.find((c) => c.name === w)!.spec.apiServer;
      return { name: remoteSecretName(w), primary: p.name, watched: w, ...(server ? { server } : {}) };
    }),
  );
  const { routes, networks } = flatRoutes(t);
  const steps = orderSteps(buildSteps(t, networks), t.clusters.map((c) => c.name));
  const { istio, trust } = mesh.spec;
  return {
    mesh: {
      name: mesh.metadata.name,
      meshID: t.meshID,
      trustDomain: trust.trustDomain,
      istio: { ...istio },
      trust: { rootDir: trust.rootDir, keyAlgorithm: trust.keyAlgorithm, rootValidityDays: trust.rootValidityDays, intermediateValidityDays: trust.intermediateValidityDays },
      networks: t.networks,
      multiNetwork: t.multiNetwork,
      lab: t.lab,
    },
    clusters,
    remoteSecrets,
    routes,
    steps,
  };
}
