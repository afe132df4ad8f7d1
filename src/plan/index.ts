export * from './types.js';
export { planMesh, ISTIO_NAMESPACE, NETWORK_LABEL, CONTROL_PLANE_CLUSTERS_ANNOTATION, READER_SERVICE_ACCOUNT, READER_CLUSTER_ROLE, READER_TOKEN_SECRET, remoteSecretName, istiodName } from './plan.js';
export { orderSteps, stepId, PlanCycleError } from './steps.js';
export { summarizePlan } from './summary.js';
