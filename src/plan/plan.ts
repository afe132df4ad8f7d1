import { buildTopology, type ClusterFacts, type MeshFile, type Topology } from '../topology/index.js';
import { ISTIO_NAMESPACE, objectKey, remoteSecretName } from './objects.js';
import { resourcesOf } from './stepObjects.js';
import { buildSteps, orderSteps } from './steps.js';
import type { ClusterPlan, Plan, RemoteSecretPlan, Route, Step } from './types.js';

export const NETWORK_LABEL = 'topology.istio.io/network';
export const CONTROL_PLANE_CLUSTERS_ANNOTATION = 'topology.istio.io/controlPlaneClusters';

function clusterPlan(t: Topology, c: ClusterFacts, steps: Step[], byName: Map<string, ClusterFacts>): ClusterPlan {
  const labels: Record<string, string> = {};
  const annotations: Record<string, string> = {};
  if (t.multiNetwork) labels[NETWORK_LABEL] = c.network;
  if (c.role === 'remote') annotations[CONTROL_PLANE_CLUSTERS_ANNOTATION] = c.primary;
  const primary = byName.get(c.primary)!;
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
    resources: resourcesOf(c, steps, revision),
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
  const byNetwork = new Map<string, ClusterFacts[]>();
  for (const c of t.clusters) {
    const list = byNetwork.get(c.network);
    if (list) list.push(c);
    else byNetwork.set(c.network, [c]);
  }
  for (const a of t.clusters) {
    for (const b of byNetwork.get(a.network)!) {
      if (a.name === b.name) continue;
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
  const { routes, networks } = flatRoutes(t);
  const steps = orderSteps(buildSteps(t, networks), t.clusters.map((c) => c.name));
  const stepsOf = new Map<string, Step[]>(t.clusters.map((c) => [c.name, []]));
  for (const s of steps) stepsOf.get(s.cluster)!.push(s);
  const byName = new Map(t.clusters.map((c) => [c.name, c]));
  const clusters = t.clusters.map((c) => clusterPlan(t, c, stepsOf.get(c.name)!, byName));
  const remoteSecrets: RemoteSecretPlan[] = t.clusters.flatMap((p) =>
    p.watches.map((w) => {
      const server = byName.get(w)!.spec.apiServer;
      return { name: remoteSecretName(w), primary: p.name, watched: w, ...(server ? { server } : {}) };
    }),
  );
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
      ...(mesh.spec.services ? { services: structuredClone(mesh.spec.services) } : {}),
    },
    clusters,
    remoteSecrets,
    routes,
    steps,
  };
}

/**
 * The plan as data for plan.json and `plan -o json|yaml`: resources as `Kind/namespace/name`
 * (the owning step is in the steps list), everything else as it is.
 */
export function planAsData(plan: Plan): unknown {
  return { ...plan, clusters: plan.clusters.map((c) => ({ ...c, resources: c.resources.map(objectKey) })) };
}
