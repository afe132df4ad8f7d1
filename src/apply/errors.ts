import { codesOf } from '../errors/index.js';

/** Codes of apply/destroy failures outside the API (the kube layer's own are MF7xxx), from the one catalogue. */
export const APPLY_ERROR_CODES = codesOf('apply');

export type ApplyErrorCode = keyof typeof APPLY_ERROR_CODES;

/** A step of apply/destroy that failed for a reason outside the API (a tool, a wait). */
export class ApplyError extends Error {
  constructor(
    readonly code: ApplyErrorCode,
    message: string,
    readonly hint: string,
    readonly cluster: string,
    override readonly cause: string = 'failed',
  ) {
    super(message);
  }
}
