import { categoryOf, type ErrorCategory, type ErrorCode } from './catalogue.js';
import { redactSecrets } from './redact.js';

export interface MeshfedErrorInit<C extends ErrorCode = ErrorCode> {
  code: C;
  /** What happened, naming the file, cluster or resource; never key or token material. */
  message: string;
  /** What to do about it. */
  hint: string;
  /** The cluster (or kubeconfig context) it happened in, when there is one. */
  cluster?: string;
  /** What was being read or written (e.g. `services/default/web`, a file path). */
  resource?: string;
  /** The error this one explains (ES2022 Error.cause), kept for --verbose and debugging. */
  cause?: unknown;
}

/**
 * The one error type: every failure meshfed raises on purpose is one, so the CLI's boundary
 * prints code, message and hint the same way and picks the exit code from the category that
 * the catalogue gives its code. Layers subclass it only to add typed fields of their own.
 */
export class MeshfedError<C extends ErrorCode = ErrorCode> extends Error {
  override name = 'MeshfedError';
  readonly code: C;
  readonly category: ErrorCategory;
  readonly hint: string;
  readonly cluster: string | undefined;
  readonly resource: string | undefined;

  constructor(init: MeshfedErrorInit<C>) {
    // Messages quote what libraries and tools said, which can hold a credential: never kept.
    super(redactSecrets(init.message), init.cause === undefined ? undefined : { cause: init.cause });
    this.code = init.code;
    this.category = categoryOf(init.code);
    this.hint = redactSecrets(init.hint);
    this.cluster = init.cluster;
    this.resource = init.resource;
  }
}

export function isMeshfedError(value: unknown): value is MeshfedError {
  return value instanceof MeshfedError;
}
