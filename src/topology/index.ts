export * from './types.js';
export { API_VERSION, DEFAULT_ISTIO_VERSION } from './model.js';
export { meshSchema } from './schema.js';
export { DIAGNOSTIC_CODES, type DiagnosticCode } from './codes.js';
export { validateMeshText, validateMeshFile, formatDiagnostic, type MeshValidation } from './load.js';
export { buildTopology, type Topology, type ClusterFacts, type Role } from './topology.js';
export { parseCidr, overlaps, contains, firstHost, nthAddress, isLoopbackHost, type Cidr } from './cidr.js';
export { isDnsLabel } from './rules.js';
