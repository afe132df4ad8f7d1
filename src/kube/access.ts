import { AuthenticationV1Api, AuthorizationV1Api } from '@kubernetes/client-node';
import type { KubeClients } from './client.js';
import { toKubeError } from './errors.js';

/** One rule of a SelfSubjectRulesReview: what the asking user may do, as the API lists it. */
export interface ResourceRule {
  verbs: string[];
  apiGroups: string[];
  resources: string[];
}

export interface SelfRules {
  rules: ResourceRule[];
  /** The authorizer could not list everything (e.g. a webhook authorizer); the rules are a lower bound. */
  incomplete: boolean;
}

/**
 * What the clients' own credentials may do in `namespace` (cluster-wide grants included), as
 * the API server's authorizer says: a SelfSubjectRulesReview, which every authenticated user
 * may create. A rejected token fails as an `unauthorized` KubeError.
 */
export async function selfSubjectRules(clients: KubeClients, namespace: string): Promise<SelfRules> {
  try {
    const api = clients.config.makeApiClient(AuthorizationV1Api);
    const review = await api.createSelfSubjectRulesReview({ body: { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectRulesReview', spec: { namespace } } });
    const status = review.status;
    return {
      rules: (status?.resourceRules ?? []).map((r) => ({ verbs: r.verbs ?? [], apiGroups: r.apiGroups ?? [], resources: r.resources ?? [] })),
      incomplete: status?.incomplete ?? false,
    };
  } catch (e) {
    throw toKubeError(e, { cluster: clients.context, resource: 'selfsubjectrulesreviews' });
  }
}

/**
 * The user name the API server gives the clients' own credentials (a SelfSubjectReview, which
 * every authenticated user may create), e.g. `system:serviceaccount:ns:name`: the subject a
 * role binding names to grant them something.
 */
export async function selfSubjectName(clients: KubeClients): Promise<string | undefined> {
  try {
    const api = clients.config.makeApiClient(AuthenticationV1Api);
    const review = await api.createSelfSubjectReview({ body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' } });
    return review.status?.userInfo?.username || undefined;
  } catch (e) {
    throw toKubeError(e, { cluster: clients.context, resource: 'selfsubjectreviews' });
  }
}
