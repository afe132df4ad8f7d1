/**
 * Stable codes so the CLI and docs can refer to a failure without parsing text.
 * Messages name files and clusters, never key material.
 */
export const PKI_ERROR_CODES = {
  invalidOptions: 'MF5001',
  invalidClusterName: 'MF5002',
  rootIncomplete: 'MF5003',
  rootMissing: 'MF5004',
  bundleIncomplete: 'MF5005',
  bundleMissing: 'MF5006',
  chainMismatch: 'MF5007',
  keyMismatch: 'MF5008',
  unknownRotateCluster: 'MF5009',
  malformedPem: 'MF5010',
  unsupportedKey: 'MF5011',
  io: 'MF5012',
  invalidCertificate: 'MF5013',
  expired: 'MF5014',
  notYetValid: 'MF5015',
  outlivesRoot: 'MF5016',
  noMeshRoot: 'MF5017',
  keyReadableByOthers: 'MF5018',
} as const;

export type PkiErrorCode = (typeof PKI_ERROR_CODES)[keyof typeof PKI_ERROR_CODES];

export class PkiError extends Error {
  override readonly name = 'PkiError';
  readonly code: PkiErrorCode;
  readonly hint: string;
  /** File the problem was found in, when there is one. */
  readonly path: string | undefined;

  constructor(code: PkiErrorCode, message: string, hint: string, path?: string) {
    super(message);
    this.code = code;
    this.hint = hint;
    this.path = path;
  }
}

export function isPkiError(value: unknown): value is PkiError {
  return value instanceof PkiError;
}
