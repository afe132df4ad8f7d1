import type { Role } from '../topology/index.js';
import { OBJECTS, type ObjectRef } from './objects.js';
import type { ClusterPlan, PlannedObject, Step, StepKind } from './types.js';

/** What decides the objects a step owns: the cluster's role, the mesh's revision, the watched cluster. */
export interface StepOwner {
  role: Role;
  revision?: string | undefined;
  /** For remote-secret: the cluster whose secret it is. */
  watched?: string | undefined;
}

/**
 * The objects each kind of step makes (or has its installer make) in its cluster. A kind with
 * no entry does not compile; the order of the entries is the order of `ClusterPlan.resources`.
 */
export const STEP_OBJECTS = {
  namespace: () => [OBJECTS.namespace],
  cacerts: () => [OBJECTS.cacerts],
  // What the install makes that tells whether it is still there.
  istio: (o) => [o.role === 'primary' ? OBJECTS.istiod(o.revision) : OBJECTS.sidecarInjector(o.revision)],
  'eastwest-gateway': () => [OBJECTS.eastWestService, OBJECTS.eastWestDeployment],
  'gateway-address': () => [],
  'expose-istiod': (o) => [OBJECTS.istiodGateway, OBJECTS.istiodVirtualService(o.revision)],
  'expose-services': () => [OBJECTS.crossNetworkGateway],
  'remote-reader': () => [OBJECTS.readerServiceAccount, OBJECTS.readerClusterRole, OBJECTS.readerClusterRoleBinding, OBJECTS.readerToken],
  'remote-secret': (o) => (o.watched === undefined ? [] : [OBJECTS.remoteSecret(o.watched)]),
  routes: () => [],
  'mcs-crds': () => OBJECTS.mcsCrds,
  // Canary phases change what the install made (tags, namespace labels) or remove it: nothing of their own.
  'revision-tags': () => [],
  'revision-remove': () => [],
} satisfies Record<StepKind, (owner: StepOwner) => ObjectRef[]>;

export const STEP_KINDS = Object.keys(STEP_OBJECTS) as StepKind[];

/** The objects a kind of step owns in a cluster, whether or not the plan has that step there. */
export function objectsOf(kind: StepKind, owner: StepOwner): ObjectRef[] {
  return STEP_OBJECTS[kind](owner);
}

/** A cluster's resources: what each of its steps owns, by kind in table order, then step order. */
export function resourcesOf(cluster: Pick<ClusterPlan, 'role'>, steps: Step[], revision: string | undefined): PlannedObject[] {
  const out: PlannedObject[] = [];
  for (const kind of STEP_KINDS)
    for (const s of steps)
      if (s.kind === kind) for (const ref of objectsOf(kind, { role: cluster.role, revision, watched: s.watched })) out.push({ ...ref, step: s.id });
  return out;
}
