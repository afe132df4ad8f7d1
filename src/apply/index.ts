export { applyMesh, makeClients, type ApplyOptions, type ApplyReport, type PruneOutcome } from './apply.js';
export { destroyMesh, destroySteps, type DestroyOptions } from './destroy.js';
export { runDag, type StepEvent, type StepOutcome, type StepStatus } from './dag.js';
export { lineProgress, jsonProgress, liveProgress, type ProgressSink } from './progress.js';
export { remoteKubeconfig } from './steps.js';
export { ApplyError, APPLY_ERROR_CODES } from './errors.js';
export { readState, STATE_CONFIGMAP, type ClusterState } from './state.js';
