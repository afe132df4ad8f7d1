export * from './types.js';
export { DISCOVERY_ERROR_CODES, RemoteSecretError, isRemoteSecretError, type DiscoveryErrorReason, type DiscoveryErrorCode, type SecretRef } from './errors.js';
export { checkKubeconfig, type KubeconfigCheck, type KubeconfigProblem, type KubeconfigTarget } from './kubeconfig.js';
export { MemberCluster, type MemberClusterInfo } from './memberCluster.js';
export {
  readRemoteSecrets,
  diffMemberClusters,
  secretKey,
  type ReadRemoteSecretsOptions,
  type RemoteSecretsResult,
  type IgnoredEntry,
  type IgnoredReason,
  type MemberClusterDiff,
  type MemberClusterChange,
} from './remoteSecrets.js';
export { buildRegistry, findService, registryBuilder, type RegistryBuilder, type RegistryOptions } from './registry.js';
export { hostnameOf } from './clusterRegistry.js';
export { gatewaysOfService } from './gateways.js';
export {
  networkView,
  networkViews,
  splitHorizonView,
  ISTIOD_SPLIT_HORIZON,
  type SplitHorizonOptions,
  type NetworkView,
  type PortView,
  type ViewEndpoint,
  type DroppedEndpoint,
  type DropReason,
} from './splitHorizon.js';
export {
  MULTICLUSTER_SECRET_LABEL,
  NETWORK_LABEL,
  GATEWAY_PORT_LABEL,
  TLS_MODE_LABEL,
  DEFAULT_SYSTEM_NAMESPACE,
  DEFAULT_DOMAIN_SUFFIX,
  DEFAULT_GATEWAY_PORT,
  DEFAULT_GATEWAY_HBONE_PORT,
} from './labels.js';
export { clusterErrorOf } from './errors.js';
export {
  ClusterWatcher,
  WATCHED_RESOURCES,
  MCS_WATCHED_RESOURCES,
  kubeWatchSource,
  type WatchedResource,
  type WatchSource,
  type WatchTuning,
  type ClusterWatcherOptions,
  type ClusterWatchStatus,
  type Sleep,
} from './clusterWatcher.js';
export { Supervisor, secretsPath, type ClusterInfo, type ClusterSource, type MeshContext, type SupervisorMembers, type SupervisorOptions } from './supervisor.js';
export { mcsState, serviceImportObject, importStatus, withReady, clustersetServices, type ClustersetService, type ImportPending, type McsState, type ServiceImportPlan, type ExportStatus, type ExportCondition, type McsPort, type ImportType } from './mcs.js';
export { McsController, type McsControllerOptions, type McsReport, type McsSource, type McsWriteError } from './mcsController.js';
export { serviceScopes, type ServiceScope, type ServiceScopeKind, type ScopeSettings, type HostScope, type HostReach } from './scope.js';
