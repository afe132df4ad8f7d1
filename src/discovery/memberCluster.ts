import type { InlineKubeconfig } from '../kube/index.js';
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
 * the supervisor that builds a client asks for the checked settings with `clientConfig()`.
 */
export class MemberCluster implements MemberClusterInfo {
  readonly clusterId: string;
  readonly secret: SecretRef;
  readonly server: string;
  readonly #kubeconfig: string;
  readonly #client: InlineKubeconfig;

  /** `client` is what checkKubeconfig accepted from `kubeconfig`; the text is kept only to compare. */
  constructor(info: MemberClusterInfo, kubeconfig: string, client: InlineKubeconfig) {
    this.clusterId = info.clusterId;
    this.secret = { namespace: info.secret.namespace, name: info.secret.name };
    this.server = info.server;
    this.#kubeconfig = kubeconfig;
    this.#client = client;
  }

  /** The text of the secret's entry, as it came. Build clients from clientConfig(), never from this. */
  kubeconfig(): string {
    return this.#kubeconfig;
  }

  /** The checked settings to build a client from (src/kube's kubeClientsFromInline). */
  clientConfig(): InlineKubeconfig {
    return this.#client;
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
