import { parseDocument } from 'yaml';
import type { DiscoveryErrorCause } from './errors.js';
import { list, record, text, type Fields } from './fields.js';

/** What we keep from a kubeconfig: where its current context points. */
export interface KubeconfigTarget {
  context: string;
  cluster: string;
  server: string;
}

export interface KubeconfigProblem {
  cause: DiscoveryErrorCause;
  /** Names contexts, clusters and users; never a value of the document. */
  message: string;
  hint: string;
}

export type KubeconfigCheck = { ok: true; target: KubeconfigTarget } | { ok: false; problem: KubeconfigProblem };

/** Settings istiod refuses unless PILOT_INSECURE_MULTICLUSTER_KUBECONFIG_OPTIONS lists them. */
export type InsecureKubeconfigOption = 'clientKey' | 'clientCertificate' | 'tokenFile' | 'exec' | string;

const fail = (cause: DiscoveryErrorCause, message: string, hint: string): KubeconfigCheck => ({ ok: false, problem: { cause, message, hint } });

const REGENERATE = 'regenerate the secret with `istioctl create-remote-secret` (or `meshfed apply`)';

/** Named entries (`clusters`, `contexts`, `users`) as name → inner object. */
function named(doc: Fields, key: string, inner: string): Map<string, Fields> {
  const out = new Map<string, Fields>();
  for (const item of list(doc[key])) {
    const entry = record(item);
    const name = text(entry?.name);
    if (entry && name !== undefined) out.set(name, record(entry[inner]) ?? {});
  }
  return out;
}

/**
 * Checks a kubeconfig the way istiod's kube.NewUntrustedRestConfig does (pkg/kube/util.go):
 * clientcmd.Load, clientcmd.Validate, sanitizeKubeConfig, then the current context must
 * resolve to a cluster with a server.
 */
export function checkKubeconfig(source: string, allow: ReadonlySet<InsecureKubeconfigOption> = new Set()): KubeconfigCheck {
  if (source.trim() === '') return fail('emptyKubeconfig', 'kubeconfig is empty', REGENERATE);

  const parsed = parseDocument(source);
  const yamlError = parsed.errors[0];
  if (yamlError) {
    // The yaml package's own message quotes the offending line, which may hold a token.
    const at = yamlError.linePos?.[0];
    const where = at ? ` at line ${at.line}, column ${at.col}` : '';
    return fail('notYaml', `kubeconfig cannot be loaded: YAML error${where} (${yamlError.code})`, REGENERATE);
  }
  const doc = record(parsed.toJS());
  if (!doc) return fail('notYaml', 'kubeconfig cannot be loaded: the document is not a mapping', REGENERATE);

  const clusters = named(doc, 'clusters', 'cluster');
  const contexts = named(doc, 'contexts', 'context');
  const users = named(doc, 'users', 'user');
  const current = text(doc['current-context']) ?? '';
  if (clusters.size === 0 && contexts.size === 0 && users.size === 0 && current === '') {
    return fail('invalidKubeconfig', 'kubeconfig is not valid: no configuration has been provided', REGENERATE);
  }

  const invalid = validate(clusters, contexts, users, current);
  if (invalid) return fail('invalidKubeconfig', `kubeconfig is not valid: ${invalid}`, REGENERATE);

  const refused = sanitize(users, allow);
  if (refused) {
    return fail(
      'kubeconfigNotAllowed',
      `kubeconfig is not allowed: ${refused}`,
      'istiod accepts only inline credentials (token, client-certificate-data, oidc); embed them, or list the option in PILOT_INSECURE_MULTICLUSTER_KUBECONFIG_OPTIONS',
    );
  }

  if (current === '') return fail('invalidKubeconfig', 'kubeconfig is not valid: no current-context is set', 'set current-context to the remote cluster\'s context');
  // validate() has checked that the current context and its cluster exist and have a server.
  const cluster = text(contexts.get(current)?.cluster) ?? '';
  const server = text(clusters.get(cluster)?.server) ?? '';
  return { ok: true, target: { context: current, cluster, server } };
}

/** The checks of clientcmd.Validate that can fail for an inline kubeconfig. */
function validate(clusters: Map<string, Fields>, contexts: Map<string, Fields>, users: Map<string, Fields>, current: string): string | undefined {
  if (current !== '' && !contexts.has(current)) return `context was not found for specified context: ${current}`;
  for (const [name, ctx] of contexts) {
    const user = text(ctx.user) ?? '';
    const cluster = text(ctx.cluster) ?? '';
    if (user === '') return `user was not specified for context "${name}"`;
    if (!users.has(user)) return `user "${user}" was not found for context "${name}"`;
    if (cluster === '') return `cluster was not specified for context "${name}"`;
    if (!clusters.has(cluster)) return `cluster "${cluster}" was not found for context "${name}"`;
  }
  for (const [name, user] of users) {
    const cert = user['client-certificate-data'] ?? user['client-certificate'];
    const key = user['client-key-data'] ?? user['client-key'];
    if ((cert === undefined) !== (key === undefined)) return `user "${name}" has only one of the client certificate and the client key`;
  }
  for (const [name, cluster] of clusters) {
    if ((text(cluster.server) ?? '') === '') return `no server found for cluster "${name}"`;
    const ca = cluster['certificate-authority-data'] ?? cluster['certificate-authority'];
    if (cluster['insecure-skip-tls-verify'] === true && ca !== undefined) {
      return `cluster "${name}" sets both a certificate authority and insecure-skip-tls-verify`;
    }
  }
  return undefined;
}

/** sanitizeKubeConfig: settings that read files or run code on istiod's host are refused. */
function sanitize(users: Map<string, Fields>, allow: ReadonlySet<string>): string | undefined {
  for (const user of users.values()) {
    const provider = text(record(user['auth-provider'])?.name);
    if (provider !== undefined && provider !== 'oidc' && !allow.has(provider)) return `auth provider ${provider} is not allowed`;
    if (text(user['client-key']) && !allow.has('clientKey')) return 'clientKey is not allowed';
    if (text(user['client-certificate']) && !allow.has('clientCertificate')) return 'clientCertificate is not allowed';
    if (text(user.tokenFile) && !allow.has('tokenFile')) return 'tokenFile is not allowed';
    if (user.exec !== undefined && user.exec !== null && !allow.has('exec')) return 'exec is not allowed';
  }
  return undefined;
}
