/** Codes of apply/destroy failures outside the API; the kube layer's own are MF7xxx. */
export const APPLY_ERROR_CODES = {
  MF8001: 'istioctl is missing or failed',
  MF8002: 'a wait ran past its deadline',
  MF8003: 'the trust folder has no intermediate for this cluster',
  MF8006: "a watched cluster's reader token is not filled in",
  MF8007: 'helm is missing or failed',
} as const;

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
