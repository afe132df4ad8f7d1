export { kubeClients, kubeClientsFromInline, type InlineKubeconfig, type KubeClients } from './client.js';
export { KubeError, isKubeError, toKubeError, KUBE_ERROR_CODES, type KubeErrorReason, type KubeErrorCode } from './errors.js';
export { pingApiServer, readyz, waitForReadyz, type ReadyzResult, type WaitOptions } from './health.js';
export { applyObject, getObject, listObjects, deleteObject, patchStatus, FIELD_MANAGER, type KubeObject, type ObjectRef, type StatusRef } from './objects.js';
export { rawGet, type RawResponse } from './request.js';
export { listPath, watchPath, type WatchEvent, type WatchEventType, type ListResult } from './watch.js';
export { reflect, listWatchSource, untilAborted, isGone, Heartbeat, type ListWatchSource, type ReflectorOptions, type ReflectorHandlers, type HeartbeatOptions, type Sleep } from './reflector.js';
export { sleep, pollUntil, type PollOptions } from './timing.js';
