/**
 * meshfed's lab: real Kubernetes control planes (etcd, kube-apiserver, controller-manager,
 * scheduler, kwok nodes) for every cluster of a lab mesh file, plus the lab load balancer
 * (stands in for MetalLB), and, as root, a pod network of the lab's own network namespaces.
 */
export { ensureLabBinaries, labBinaryPaths, labCacheDir, type LabBinaries, type LabBinaryPart, type EnsureOptions } from './binaries.js';
export { labUp, type LabUpOptions, type LabState, type LabClusterState } from './up.js';
export { labStatus, type LabStatusReport } from './status.js';
export { labDown, type LabDownOptions } from './down.js';
export { labRoutes, type LabRoutesOptions, type LabRoutesResult } from './routes.js';
export { defaultLabStateDir } from './layout.js';
export { planLab, type LabPlan, type LabClusterPlan } from './plan.js';
export { LabError, isLabError, LAB_ERROR_CODES, type LabErrorCode } from './errors.js';
export { LAB_VERSIONS, type LabVersions } from './versions.js';
export { LOAD_BALANCER_NAME } from './loadBalancer.js';
export type { ClusterStatus, ProcessStatus } from './inspect.js';
export type { LabTarget } from './target.js';
export type { LabComponent, RecordedProcess } from './state.js';
