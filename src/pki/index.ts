export {
  createIntermediateCA,
  createRootCA,
  daysUntilExpiry,
  EXPIRY_WARNING_DAYS,
  expiryStatus,
  inspectCertificate,
  ISTIOD_DNS_NAME,
  verifyChain,
} from './ca.js';
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
  type TrustOptions,
  type TrustReport,
} from './types.js';
export { resolveTrustOptions } from './validate.js';
