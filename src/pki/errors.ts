import { MeshfedError, namedCodesOf } from '../errors/index.js';

/**
 * Stable codes so the CLI and docs can refer to a failure without parsing text (name → code,
 * from the one catalogue in src/errors).
 * Messages name files and clusters, never key material.
 */
export const PKI_ERROR_CODES = namedCodesOf('pki');

export type PkiErrorCode = (typeof PKI_ERROR_CODES)[keyof typeof PKI_ERROR_CODES];

export class PkiError extends MeshfedError<PkiErrorCode> {
  override readonly name = 'PkiError';
  /** File the problem was found in, when there is one (also the error's resource). */
  readonly path: string | undefined;

  constructor(init: { code: PkiErrorCode; message: string; hint: string; path?: string; cause?: unknown }) {
    super({ code: init.code, message: init.message, hint: init.hint, resource: init.path, cause: init.cause });
    this.path = init.path;
  }
}

export function isPkiError(value: unknown): value is PkiError {
  return value instanceof PkiError;
}
