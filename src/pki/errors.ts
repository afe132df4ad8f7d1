import { namedCodesOf } from '../errors/index.js';

/**
 * Stable codes so the CLI and docs can refer to a failure without parsing text (name → code,
 * from the one catalogue in src/errors).
 * Messages name files and clusters, never key material.
 */
export const PKI_ERROR_CODES = namedCodesOf('pki');

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
