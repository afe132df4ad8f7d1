import { MeshfedError, namedCodesOf } from '../errors/index.js';

/**
 * One error type for everything that talks to a cluster, so callers decide on `reason`
 * (retry, ask for credentials, report) without knowing client-node's error shapes.
 * Codes MF7xxx belong to the kube layer (reason → code, from the one catalogue in src/errors);
 * MF4xxx are the live diagnostics built on top of it.
 */
export const KUBE_ERROR_CODES = namedCodesOf('kube');

/** Why a request failed, in the API's terms; each reason has its code. */
export type KubeErrorReason = keyof typeof KUBE_ERROR_CODES;
export type KubeErrorCode = (typeof KUBE_ERROR_CODES)[KubeErrorReason];

export interface KubeErrorInit {
  reason: KubeErrorReason;
  message: string;
  hint: string;
  /** kubeconfig context (or cluster name) the request went to. */
  cluster: string;
  /** What was being read or written, e.g. `services/default/web` or `readyz`. */
  resource: string;
  /** HTTP status when the server answered. */
  status?: number;
  /** What client-node (or the socket) threw, kept as ES2022 Error.cause. */
  cause?: unknown;
}

/** meshfed's error type, with the reason and HTTP status of the request. */
export class KubeError extends MeshfedError<KubeErrorCode> {
  override readonly name = 'KubeError';
  readonly reason: KubeErrorReason;
  declare readonly cluster: string;
  declare readonly resource: string;
  readonly status: number | undefined;

  constructor(init: KubeErrorInit) {
    super({ code: KUBE_ERROR_CODES[init.reason], message: init.message, hint: init.hint, cluster: init.cluster, resource: init.resource, cause: init.cause });
    this.reason = init.reason;
    this.status = init.status;
  }
}

export function isKubeError(value: unknown): value is KubeError {
  return value instanceof KubeError;
}

const HINTS: Record<KubeErrorReason, string> = {
  unreachable: 'check that the API server is running and the kubeconfig server address is right',
  unauthorized: 'the credentials of this kubeconfig context were rejected; refresh them',
  forbidden: 'the user of this context lacks RBAC permission for this request',
  conflict: 'the object changed or already exists; re-read it and retry',
  notFound: 'the object or its namespace does not exist',
  invalid: 'the server rejected the object; fix the fields named in the message',
  timeout: 'the API server did not answer in time; it may be overloaded or starting',
  unknown: 'see the message; rerun with --verbose for details',
};

const NETWORK_CODES: Record<string, KubeErrorReason> = {
  ECONNREFUSED: 'unreachable',
  ECONNRESET: 'unreachable',
  EHOSTUNREACH: 'unreachable',
  ENETUNREACH: 'unreachable',
  ENOTFOUND: 'unreachable',
  EADDRNOTAVAIL: 'unreachable',
  EPIPE: 'unreachable',
  ETIMEDOUT: 'timeout',
  UND_ERR_CONNECT_TIMEOUT: 'timeout',
};

function reasonOfStatus(status: number): KubeErrorReason {
  if (status === 401) return 'unauthorized';
  if (status === 403) return 'forbidden';
  if (status === 404) return 'notFound';
  if (status === 409) return 'conflict';
  if (status === 400 || status === 422) return 'invalid';
  if (status === 408 || status === 504) return 'timeout';
  if (status === 502 || status === 503) return 'unreachable';
  return 'unknown';
}

function field(value: unknown, key: string): unknown {
  return value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined;
}

/** The API server's own explanation from a Status body, when it sent one. */
function statusMessage(body: unknown): string | undefined {
  let parsed = body;
  if (typeof body === 'string') {
    try {
      parsed = JSON.parse(body) as unknown;
    } catch {
      return body.trim() || undefined;
    }
  }
  const m = field(parsed, 'message');
  return typeof m === 'string' ? m : undefined;
}

/** Finds a socket-level error code anywhere in a chain of wrapped errors. */
function networkCode(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e && depth < 5; e = field(e, 'cause'), depth++) {
    const code = field(e, 'code');
    if (typeof code === 'string' && code in NETWORK_CODES) return code;
    const errno = field(e, 'errno');
    if (typeof errno === 'string' && errno in NETWORK_CODES) return errno;
  }
  return undefined;
}

/** Translates whatever client-node (or a socket) threw into a KubeError. */
export function toKubeError(err: unknown, where: { cluster: string; resource: string }): KubeError {
  if (err instanceof KubeError) return err;
  const httpStatus = field(err, 'code') ?? field(err, 'statusCode');
  if (typeof httpStatus === 'number' && httpStatus >= 400) {
    const reason = reasonOfStatus(httpStatus);
    const detail = statusMessage(field(err, 'body')) ?? (err instanceof Error ? err.message : `HTTP ${httpStatus}`);
    return new KubeError({ reason, status: httpStatus, message: `${where.cluster}: ${where.resource}: ${detail}`, hint: HINTS[reason], cause: err, ...where });
  }
  const net = networkCode(err);
  if (net) {
    const reason = NETWORK_CODES[net] ?? 'unreachable';
    return new KubeError({ reason, message: `${where.cluster}: ${where.resource}: ${net}`, hint: HINTS[reason], cause: err, ...where });
  }
  if (field(err, 'name') === 'AbortError' || field(err, 'name') === 'TimeoutError') {
    return new KubeError({ reason: 'timeout', message: `${where.cluster}: ${where.resource}: request timed out`, hint: HINTS.timeout, cause: err, ...where });
  }
  const message = err instanceof Error ? err.message : String(err);
  return new KubeError({ reason: 'unknown', message: `${where.cluster}: ${where.resource}: ${message}`, hint: HINTS.unknown, cause: err, ...where });
}
