export {
  createIntermediateCA,
  createRootCA,
  daysUntilExpiry,
  EXPIRY_WARNING_DAYS,
  expiryStatus,
  inspectCertificate,
  ISTIOD_DNS_NAME,
  verifyChain,
  chainProblem,
  issuedBy,
  chainsToRoot,
} from './ca.js';
export { sameCertificates, certificateBlocks as certificateBlocksOf } from './pem.js';
export { isPkiError, PKI_ERROR_CODES, PkiError, type PkiErrorCode } from './errors.js';
export { BUNDLE_FILES, ensureTrust, loadRoot, readIntermediate, ROOT_CERT_FILE, ROOT_KEY_FILE } from './store.js';
export {
  DEFAULT_TRUST_OPTIONS,
  KEY_ALGORITHMS,
  type CaDeps,
  type CertificateAuthority,
  type CertificateInfo,
  type ClusterAction,
  type EnsureTrustRequest,
  type ExpiryEntry,
  type ExpiryStatus,
  type IntermediateBundle,
  type KeyAlgorithm,
  type RootAction,
  type ShipOptions,
  type CertificateSummary,
  type PublicBundle,
  type TrustSummary,
  type TrustOptions,
  type TrustReport,
} from './types.js';
export { resolveTrustOptions } from './validate.js';
export { summarizeTrust } from './summary.js';
export { advanceRootRotation, type RootRotationReport, type RootRotationRequest } from './rootRotationStore.js';
export { readMeshTrust, readRootStage, ROOT_FILES, type MeshTrust } from './rootFiles.js';
export { describeRootStage, nextRootStage, previousRootStage, ROOT_STAGES, signingRootOf, stageTrust, trustedRootsOf, type RootStage } from './rootRotation.js';
