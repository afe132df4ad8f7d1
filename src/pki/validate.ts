import { randomBytes } from 'node:crypto';
import { PKI_ERROR_CODES, PkiError } from './errors.js';
import { MAX_VALIDITY_DAYS } from '../trust/algorithms.js';
import { DEFAULT_TRUST_OPTIONS, KEY_ALGORITHMS, type KeyAlgorithm, type TrustOptions } from './types.js';

// Kubernetes label-value syntax (the cluster name ends up in topology.istio.io/cluster)
// which is also a safe single path segment: no separators, cannot be `.` or `..`.
const CLUSTER_NAME = /^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,61}[A-Za-z0-9])?$/;

function isKeyAlgorithm(value: unknown): value is KeyAlgorithm {
  return typeof value === 'string' && (KEY_ALGORITHMS as readonly string[]).includes(value);
}

function checkDays(field: 'rootValidityDays' | 'intermediateValidityDays', value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > MAX_VALIDITY_DAYS) {
    throw new PkiError({ code: PKI_ERROR_CODES.invalidOptions, message: `${field} must be a whole number of days between 1 and ${MAX_VALIDITY_DAYS}, got ${String(value)}`, hint: `Set ${field} to e.g. ${DEFAULT_TRUST_OPTIONS[field]} (istio's default).` });
  }
  return value;
}

export function resolveTrustOptions(options: Partial<TrustOptions> = {}): TrustOptions {
  const merged = { ...DEFAULT_TRUST_OPTIONS, ...definedOnly(options) };
  if (!isKeyAlgorithm(merged.keyAlgorithm)) {
    throw new PkiError({ code: PKI_ERROR_CODES.invalidOptions, message: `unknown key algorithm ${JSON.stringify(merged.keyAlgorithm)}`, hint: `Use one of: ${KEY_ALGORITHMS.join(', ')}.` });
  }
  return {
    keyAlgorithm: merged.keyAlgorithm,
    rootValidityDays: checkDays('rootValidityDays', merged.rootValidityDays),
    intermediateValidityDays: checkDays('intermediateValidityDays', merged.intermediateValidityDays),
  };
}

// `{ keyAlgorithm: undefined }` from an optional config field must not erase the default.
function definedOnly(options: Partial<TrustOptions>): Partial<TrustOptions> {
  return Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
}

export function assertClusterName(cluster: string): void {
  if (!CLUSTER_NAME.test(cluster) || cluster.toLowerCase().endsWith('.pem')) {
    throw new PkiError({ code: PKI_ERROR_CODES.invalidClusterName, message: `cluster name ${JSON.stringify(cluster)} cannot be used as a certificate folder`, hint: 'Use 1-63 letters, digits, "-", "_" or ".", starting and ending with a letter or digit (e.g. cluster01).' });
  }
}

/** Validates names and rejects duplicates, including case-only ones that collide on macOS/Windows disks. */
export function assertClusterList(clusters: readonly string[]): void {
  const seen = new Map<string, string>();
  for (const cluster of clusters) {
    assertClusterName(cluster);
    const previous = seen.get(cluster.toLowerCase());
    if (previous !== undefined) {
      throw new PkiError({ code: PKI_ERROR_CODES.invalidClusterName, message: `cluster ${JSON.stringify(cluster)} is listed twice${previous === cluster ? '' : ` (as ${JSON.stringify(previous)})`}`, hint: 'Give every cluster a unique name; names differing only by case share a folder on case-insensitive disks.' });
    }
    seen.set(cluster.toLowerCase(), cluster);
  }
}

/** RFC 5280 §4.1.2.2: positive, at most 20 octets. */
export function normaliseSerial(serial: string): string {
  const hex = serial.trim().toLowerCase().replace(/^0+/, '');
  if (!/^[0-9a-f]+$/.test(hex) || hex.length > 40 || (hex.length === 40 && Number.parseInt(hex[0] ?? '0', 16) >= 8)) {
    throw new PkiError({ code: PKI_ERROR_CODES.invalidOptions, message: `serial number ${JSON.stringify(serial)} is not a positive hex integer of at most 20 bytes`, hint: 'Leave serialNumber unset to get a random 16-byte serial.' });
  }
  return hex.length % 2 === 0 ? hex : `0${hex}`;
}

export function randomSerial(): string {
  const bytes = randomBytes(16);
  // Clear the sign bit and avoid a leading zero octet, so DER keeps all 16 bytes.
  bytes[0] = ((bytes[0] ?? 0) & 0x7f) | 0x40;
  return Buffer.from(bytes).toString('hex');
}
