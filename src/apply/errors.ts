import { codesOf, MeshfedError } from '../errors/index.js';

/** Codes of apply/destroy failures outside the API (the kube layer's own are MF7xxx), from the one catalogue. */
export const APPLY_ERROR_CODES = codesOf('apply');

export type ApplyErrorCode = keyof typeof APPLY_ERROR_CODES;

/** A step of apply/destroy that failed for a reason outside the API (a tool, a wait). */
export class ApplyError extends MeshfedError<ApplyErrorCode> {
  override readonly name = 'ApplyError';
  declare readonly cluster: string;
  /** Why, when more precise than the category (a wait's `timeout`). */
  readonly reason: string | undefined;

  constructor(init: { code: ApplyErrorCode; message: string; hint: string; cluster: string; reason?: string; cause?: unknown }) {
    super(init);
    this.reason = init.reason;
  }
}
