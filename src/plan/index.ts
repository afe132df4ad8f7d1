export * from './types.js';
export { planMesh, planAsData, NETWORK_LABEL, CONTROL_PLANE_CLUSTERS_ANNOTATION } from './plan.js';
export {
  OBJECTS,
  ISTIO_NAMESPACE,
  READER_SERVICE_ACCOUNT,
  READER_CLUSTER_ROLE,
  READER_TOKEN_SECRET,
  EASTWEST_GATEWAY,
  ISTIOD_GATEWAY,
  remoteSecretName,
  istiodName,
  metadataOf,
  objectKey,
  sameObject,
  type ObjectRef,
} from './objects.js';
export { STEP_OBJECTS, STEP_KINDS, objectsOf, type StepOwner } from './stepObjects.js';
export { orderSteps, stepId, PlanCycleError } from './steps.js';
export { summarizePlan } from './summary.js';
export {
  planAgainst,
  stepsUntil,
  summarizeChanges,
  revisionOf,
  DEFAULT_REVISION,
  type ObservedState,
  type ObservedCluster,
  type ObservedIstiod,
  type ObservedStep,
  type RecordedInstall,
  type ClusterChange,
  type ChangeAction,
  type LivePlan,
  type ClusterJoin,
  type ClusterLeave,
  type MemberDiff,
} from './live.js';
export { planRootStage, rootStageRoll } from './rootStage.js';
