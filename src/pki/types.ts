import { KEY_ALGORITHMS, TRUST_DEFAULTS, type KeyAlgorithm } from '../trust/algorithms.js';

// The algorithm list and the defaults are shared with the mesh file's schema (src/trust).
export { KEY_ALGORITHMS, type KeyAlgorithm };

export interface TrustOptions {
  readonly keyAlgorithm: KeyAlgorithm;
  readonly rootValidityDays: number;
  readonly intermediateValidityDays: number;
}

export const DEFAULT_TRUST_OPTIONS: TrustOptions = TRUST_DEFAULTS;

/** Outside facts the pure core needs; injected so tests are deterministic. */
export interface CaDeps {
  now(): Date;
  /** Hex serial; defaults to 16 random bytes (positive). */
  serialNumber?(): string;
}

export interface CertificateAuthority {
  /** PEM, one certificate, newline-terminated. */
  readonly certPem: string;
  /** PKCS#8 PEM (`BEGIN PRIVATE KEY`). */
  readonly keyPem: string;
}

/** The four files istiod reads from the `cacerts` secret. */
export interface IntermediateBundle {
  readonly cluster: string;
  readonly caCertPem: string;
  readonly caKeyPem: string;
  readonly rootCertPem: string;
  /** Intermediate certificate followed by the root certificate. */
  readonly certChainPem: string;
}

export interface CertificateInfo {
  readonly subject: string;
  readonly issuer: string;
  /** Lower-case hex without leading zero bytes. */
  readonly serialNumber: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly isCA: boolean;
  readonly pathLength?: number;
  readonly dnsNames: string[];
}

export type RootAction = 'created' | 'kept';
/** `rotated` only when a bundle (even a broken one) was replaced; a rotate of an empty folder is `created`. */
export type ClusterAction = 'created' | 'kept' | 'rotated';
export type ExpiryStatus = 'ok' | 'expiring' | 'expired';

export interface ExpiryEntry {
  /** `root` for the root CA, otherwise the cluster name. */
  readonly name: string;
  readonly kind: 'root' | 'intermediate';
  readonly notAfter: Date;
  readonly daysLeft: number;
  readonly status: ExpiryStatus;
}

export interface TrustReport {
  readonly rootDir: string;
  readonly root: { readonly action: RootAction };
  readonly clusters: ReadonlyArray<{ readonly cluster: string; readonly action: ClusterAction }>;
  readonly expiry: readonly ExpiryEntry[];
  /** Non-fatal findings, e.g. a kept key file readable by group/others. */
  readonly warnings: readonly string[];
}

export interface EnsureTrustRequest {
  readonly rootDir: string;
  readonly clusters: readonly string[];
  readonly options?: Partial<TrustOptions>;
  readonly rotate?: readonly string[];
  readonly now?: () => Date;
  readonly serialNumber?: () => string;
}

/** A bundle's certificates without its key: all a chain check needs. */
export type PublicBundle = Omit<IntermediateBundle, 'caKeyPem'>;

/** One certificate as the trust summary shows it: never a key. */
export interface CertificateSummary {
  readonly subject: string;
  readonly issuer: string;
  /** SHA-256 of the DER, upper-case hex pairs joined by `:` (as `openssl x509 -fingerprint -sha256`). */
  readonly fingerprintSha256: string;
  readonly notBefore: string;
  readonly notAfter: string;
  readonly daysLeft: number;
  readonly status: ExpiryStatus;
}

/** The trust folder as people read it: the root, and per cluster its intermediate and whether it chains to the root. */
export interface TrustSummary {
  readonly rootDir: string;
  readonly root: ({ readonly present: true } & CertificateSummary) | { readonly present: false; readonly problem: string };
  readonly intermediates: ReadonlyArray<
    ({ readonly cluster: string; readonly present: true; readonly chainsToRoot: boolean; readonly problem?: string } & CertificateSummary) | { readonly cluster: string; readonly present: false; readonly problem: string }
  >;
}

/** How strictly `readIntermediate` checks trust material before it is shipped to a cluster. */
export interface ShipOptions {
  /** The time certificates must be valid at; defaults to now. */
  readonly now?: Date;
  /**
   * Accept a ca-key.pem readable by group or others (a file system without POSIX modes); an
   * operator's explicit choice (`render --allow-readable-keys`), never a default.
   */
  readonly allowReadableKeys?: boolean;
}
