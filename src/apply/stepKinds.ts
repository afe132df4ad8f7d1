import { STEP_KINDS, type ClusterPlan, type Step, type StepKind } from '../plan/index.js';
import type { ApplyContext, MeshContext } from './context.js';
import { nothingToPrune, pruneEastWestGateway, pruneRemoteReader, pruneRemoteSecrets, pruneUnlisted } from './prune.js';
import {
  runCacerts,
  runEastWestGateway,
  runExposeIstiod,
  runExposeServices,
  runGatewayAddress,
  runIstio,
  runMcsCrds,
  runNamespace,
  runRemoteReader,
  runRemoteSecret,
  runRoutes,
  type StepRun,
} from './steps.js';
import { runRevisionRemove, runRevisionTags } from './revisions.js';
import { nothingToUndo, undoIstio, undoIstioObjects, undoNamespace, undoOwned } from './undo.js';

/**
 * How apply handles one kind of step. The objects it owns are the plan's (`ClusterPlan.resources`,
 * from `STEP_OBJECTS` in src/plan); run, undo and prune act on them.
 */
export interface StepHandler {
  /** Brings the step's objects to what the plan says (apply); idempotent. */
  run(ctx: ApplyContext, step: Step, c: ClusterPlan): Promise<StepRun>;
  /** Removes what run made (destroy, in reverse plan order). */
  undo(ctx: MeshContext, step: Step, c: ClusterPlan): Promise<StepRun>;
  /** Removes what this kind made in a cluster whose plan no longer wants it (after apply); says what went. */
  prune(ctx: ApplyContext, c: ClusterPlan): Promise<string[]>;
}

/** One entry per step kind: a kind without one does not compile. */
export const STEP_HANDLERS = {
  namespace: { run: runNamespace, undo: undoNamespace, prune: nothingToPrune },
  cacerts: { run: runCacerts, undo: undoOwned, prune: nothingToPrune },
  istio: { run: runIstio, undo: undoIstio, prune: nothingToPrune },
  'eastwest-gateway': { run: runEastWestGateway, undo: nothingToUndo("removed by the istio step's uninstall"), prune: pruneEastWestGateway },
  'gateway-address': { run: runGatewayAddress, undo: nothingToUndo('it only reads the address'), prune: nothingToPrune },
  'expose-istiod': { run: runExposeIstiod, undo: undoIstioObjects, prune: pruneUnlisted('expose-istiod') },
  'expose-services': { run: runExposeServices, undo: undoIstioObjects, prune: pruneUnlisted('expose-services') },
  'remote-reader': { run: runRemoteReader, undo: undoOwned, prune: pruneRemoteReader },
  'remote-secret': { run: runRemoteSecret, undo: undoOwned, prune: pruneRemoteSecrets },
  routes: { run: runRoutes, undo: nothingToUndo('the operator runs the routes script'), prune: nothingToPrune },
  // Pruning the CRDs (a mesh back in istio mode) would delete every ServiceExport its users
  // wrote; destroy removes them, as it removes Istio's CRDs.
  'mcs-crds': { run: runMcsCrds, undo: undoOwned, prune: nothingToPrune },
  // Destroy's `istioctl uninstall --purge` removes every revision and tag.
  'revision-tags': { run: runRevisionTags, undo: nothingToUndo('uninstall removes the tags'), prune: nothingToPrune },
  'revision-remove': { run: runRevisionRemove, undo: nothingToUndo('the old revision is gone'), prune: nothingToPrune },
} satisfies Record<StepKind, StepHandler>;

export const handlerOf = (kind: StepKind): StepHandler => STEP_HANDLERS[kind];

/** Prune order: the reverse of the plan's kinds, so what builds on an object goes before it. */
export const PRUNE_ORDER: StepKind[] = [...STEP_KINDS].reverse();
