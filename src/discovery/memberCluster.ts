import type { SecretRef } from './errors.js';

/** What may be printed or served about a member cluster: no credentials. */
export interface MemberClusterInfo {
  clusterId: string;
  secret: SecretRef;
  server: string;
}

/**
 * A remote cluster istiod would watch. The kubeconfig (a bearer token or client key) sits
 * in a private field: JSON.stringify, util.inspect and object spread never see it; only
 * the supervisor that builds a client asks for it with `kubeconfig()`.
 */
export class MemberCluster implements MemberClusterInfo {
  readonly clusterId: string;
  readonly secret: SecretRef;
  readonly server: string;
  readonly #kubeconfig: string;

  constructor(info: MemberClusterInfo, kubeconfig: string) {
    this.clusterId = info.clusterId;
    this.secret = { namespace: info.secret.namespace, name: info.secret.name };
    this.server = info.server;
    this.#kubeconfig = kubeconfig;
  }

  kubeconfig(): string {
    return this.#kubeconfig;
  }

  /** istiod skips an update whose kubeconfig bytes are unchanged (sha256 compare). */
  sameKubeconfig(other: MemberCluster): boolean {
    return this.#kubeconfig === other.#kubeconfig;
  }

  toJSON(): MemberClusterInfo {
    return { clusterId: this.clusterId, secret: this.secret, server: this.server };
  }

  [Symbol.for('nodejs.util.inspect.custom')](): MemberClusterInfo {
    return this.toJSON();
  }
}
