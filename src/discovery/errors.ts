import { MeshfedError, namedCodesOf, redactSecrets } from '../errors/index.js';
import { KubeError } from '../kube/index.js';

/**
 * Codes MF9xxx belong to the discovery layer (reason → code, from the one catalogue in
 * src/errors). Messages name secrets and clusters, never token or key material: a
 * kubeconfig's text is never quoted, not even in YAML errors.
 */
export const DISCOVERY_ERROR_CODES = namedCodesOf('discovery');

/** Why a remote secret's entry or a watch failed, in the discovery layer's terms; each has its code. */
export type DiscoveryErrorReason = keyof typeof DISCOVERY_ERROR_CODES;
export type DiscoveryErrorCode = (typeof DISCOVERY_ERROR_CODES)[DiscoveryErrorReason];

export interface SecretRef {
  namespace: string;
  name: string;
}

/** A cluster entry of a remote secret that istiod could not turn into a client. */
export class RemoteSecretError extends MeshfedError<DiscoveryErrorCode> {
  override readonly name = 'RemoteSecretError';
  readonly reason: DiscoveryErrorReason;
  readonly secret: SecretRef;
  readonly clusterId: string;
  /** The kubeconfig field refused or invalid, when one is to blame (e.g. `users[west].user.exec`). */
  readonly field?: string;

  constructor(init: { reason: DiscoveryErrorReason; message: string; hint: string; secret: SecretRef; clusterId: string; field?: string }) {
    super({ code: DISCOVERY_ERROR_CODES[init.reason], message: init.message, hint: init.hint, cluster: init.clusterId, resource: `secrets/${init.secret.namespace}/${init.secret.name}` });
    if (init.field !== undefined) this.field = init.field;
    this.reason = init.reason;
    this.secret = init.secret;
    this.clusterId = init.clusterId;
  }

  /** Errors serialise to `{}` by default; say what the API and `-o json` show (`cause` there is the reason, as in every cluster error record). */
  toJSON(): { code: DiscoveryErrorCode; cause: DiscoveryErrorReason; message: string; hint: string; secret: SecretRef; clusterId: string; field?: string } {
    return { code: this.code, cause: this.reason, message: this.message, hint: this.hint, secret: this.secret, clusterId: this.clusterId, ...(this.field !== undefined ? { field: this.field } : {}) };
  }
}

export function isRemoteSecretError(value: unknown): value is RemoteSecretError {
  return value instanceof RemoteSecretError;
}

/** A failure the watcher itself diagnosed (e.g. a hung API server), carried through a watch's abort. */
export class WatchError extends MeshfedError<DiscoveryErrorCode> {
  override readonly name = 'WatchError';
  readonly reason: DiscoveryErrorReason;
  declare readonly cluster: string;

  constructor(init: { reason: DiscoveryErrorReason; message: string; hint: string; cluster: string; cause?: unknown }) {
    super({ code: DISCOVERY_ERROR_CODES[init.reason], message: init.message, hint: init.hint, cluster: init.cluster, cause: init.cause });
    this.reason = init.reason;
  }
}

/** What a watcher records about a failure: the kube layer's own code and cause when it has one. */
export function clusterErrorOf(err: unknown): { code: string; message: string; cause: string; hint: string } {
  if (err instanceof WatchError || err instanceof KubeError) return { code: err.code, message: err.message, cause: err.reason, hint: err.hint };
  // Not ours: its text may quote a request or a URL with credentials.
  const message = redactSecrets(err instanceof Error ? err.message : String(err));
  return { code: DISCOVERY_ERROR_CODES.watchFailed, message, cause: 'watchFailed', hint: 'see the message; the watcher re-lists with backoff' };
}
