import { LineCounter, isScalar, parseDocument, visit } from 'yaml';
import type { InlineKubeconfig } from '../kube/index.js';
import type { DiscoveryErrorReason } from './errors.js';
import { isBase64, list, record, text, type Fields } from './fields.js';

/** What we keep from a kubeconfig: where its current context points. */
export interface KubeconfigTarget {
  context: string;
  cluster: string;
  server: string;
}

export interface KubeconfigProblem {
  reason: DiscoveryErrorReason;
  /** Names contexts, clusters, users and fields; never a value of the document. */
  message: string;
  hint: string;
  /** The refused or invalid field, e.g. `users[west].user.exec`. */
  field?: string;
}

/**
 * `client` is the checked object itself, reduced to the current context: clients are built
 * from it (src/kube's kubeClientsFromInline), never from the text, so no second parser can
 * read the document differently from this check.
 */
export type KubeconfigCheck = { ok: true; target: KubeconfigTarget; client: InlineKubeconfig } | { ok: false; problem: KubeconfigProblem };

const REGENERATE = 'regenerate the secret with `istioctl create-remote-secret` (or `meshfed apply`)';
const ACCEPTED = 'a remote secret\'s kubeconfig may hold only server, certificate-authority-data, tls-server-name, token, client-certificate-data and client-key-data (istiod\'s defaults, less what reads files or runs programs)';

/**
 * The allow-list, per part of the document. istiod (pkg/kube/util.go, sanitizeKubeConfig)
 * rebuilds each AuthInfo from known fields and refuses exec, auth providers other than oidc,
 * token files and certificate/key paths unless PILOT_INSECURE_MULTICLUSTER_KUBECONFIG_OPTIONS
 * lists them. client-node runs `auth-provider.config.exec` and `cmd-path`, and reads
 * `token-file` and `auth-provider.config.tokenFile`, so here every auth provider is refused
 * and nothing can be let through: there is no insecure-options switch.
 */
const TOP = new Set(['apiVersion', 'kind', 'clusters', 'contexts', 'users', 'current-context', 'preferences']);
const CLUSTER = new Set(['server', 'certificate-authority-data', 'tls-server-name', 'insecure-skip-tls-verify']);
const CONTEXT = new Set(['cluster', 'user', 'namespace']);
const USER = new Set(['token', 'client-certificate-data', 'client-key-data']);
/** Fields whose value is a local path (client-node would read the file). */
const READS_FILE = new Set(['token-file', 'tokenFile', 'client-certificate', 'client-key', 'certificate-authority']);
/** Fields that make client-node run a program (or talk to a provider that does). */
const RUNS_PROGRAM = new Set(['exec', 'auth-provider']);

type Failure = { ok: false; problem: KubeconfigProblem };
const fail = (reason: DiscoveryErrorReason, message: string, hint: string, field?: string): Failure => ({ ok: false, problem: { reason, message, hint, ...(field ? { field } : {}) } });

/** A key as it may appear in a message: a long one could be a misplaced credential. */
const shown = (key: string) => (key.length <= 40 && /^[\w.@:/-]*$/.test(key) ? key : `(a key of ${key.length} characters)`);

/** A field refused by the allow-list, with the code of what it would do. */
function refuse(field: string, key: string, value: unknown): Failure {
  if (key === 'auth-provider') {
    // Name what inside it would run or read, since that is what an operator must look for.
    const config = record(record(value)?.['config']) ?? {};
    if ('tokenFile' in config) return fail('kubeconfigReadsFile', `kubeconfig is not allowed: ${field}.config.tokenFile reads a local file`, ACCEPTED, `${field}.config.tokenFile`);
    const inner = 'exec' in config ? `${field}.config.exec` : 'cmd-path' in config ? `${field}.config.cmd-path` : field;
    return fail('kubeconfigNotAllowed', `kubeconfig is not allowed: ${inner}: auth providers are refused (they run programs or read files)`, ACCEPTED, inner);
  }
  if (RUNS_PROGRAM.has(key)) return fail('kubeconfigNotAllowed', `kubeconfig is not allowed: ${field} runs a program`, ACCEPTED, field);
  if (READS_FILE.has(key)) return fail('kubeconfigReadsFile', `kubeconfig is not allowed: ${field} reads a local file`, `${ACCEPTED}; embed the file's content in the matching *-data field (or token)`, field);
  return fail('kubeconfigUnknownField', `kubeconfig is not allowed: ${field} is not on the allow-list`, ACCEPTED, field);
}

/** The first key of `entry` outside `allowed` (document order), refused. */
function unknownKey(entry: Fields, allowed: ReadonlySet<string>, at: string): Failure | undefined {
  for (const [k, v] of Object.entries(entry)) if (!allowed.has(k)) return refuse(`${at}.${shown(k)}`, k, v);
  return undefined;
}

interface Named {
  name: string;
  body: Fields;
  at: string;
}

/** The entries of one of `clusters`, `contexts`, `users`: a list of `{name, <inner>}`, names unique. */
function entriesOf(doc: Fields, key: string): { name: string; entry: Fields; at: string }[] | Failure {
  const value = doc[key];
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) return fail('invalidKubeconfig', `kubeconfig is not valid: ${key} is not a list`, REGENERATE, key);
  const out: { name: string; entry: Fields; at: string }[] = [];
  for (const [i, item] of value.entries()) {
    const entry = record(item);
    const name = text(entry?.['name']);
    if (!entry || name === undefined || name === '') return fail('invalidKubeconfig', `kubeconfig is not valid: ${key}[${i}] has no name`, REGENERATE, `${key}[${i}]`);
    const at = `${key}[${shown(name)}]`;
    // Two entries of one name: client-node and client-go would each pick one, maybe not the one checked.
    if (out.some((o) => o.name === name)) return fail('kubeconfigAmbiguous', `kubeconfig is not allowed: two ${key} are named "${shown(name)}" (${at})`, 'give every cluster, context and user its own name', at);
    out.push({ name, entry, at });
  }
  return out;
}

/** An entry's inner mapping, every key on the allow-list and of the right type. */
function checkEntry(e: { name: string; entry: Fields; at: string }, inner: string, allowed: ReadonlySet<string>): Named | Failure {
  const extra = unknownKey(e.entry, new Set(['name', inner]), e.at);
  if (extra) return extra;
  const at = `${e.at}.${inner}`;
  const body = e.entry[inner] === undefined || e.entry[inner] === null ? {} : record(e.entry[inner]);
  if (!body) return fail('invalidKubeconfig', `kubeconfig is not valid: ${at} is not a mapping`, REGENERATE, at);
  const refused = unknownKey(body, allowed, at);
  if (refused) return refused;
  for (const [k, v] of Object.entries(body)) {
    const wanted = k === 'insecure-skip-tls-verify' ? 'boolean' : 'string';
    if (typeof v !== wanted) return fail('invalidKubeconfig', `kubeconfig is not valid: ${at}.${k} is not a ${wanted}`, REGENERATE, `${at}.${k}`);
    if (k.endsWith('-data') && !isBase64(v as string)) return fail('invalidKubeconfig', `kubeconfig is not valid: ${at}.${k} is not base64`, REGENERATE, `${at}.${k}`);
  }
  return { name: e.name, body, at };
}

/** Names first (an ambiguous document is refused as such, whatever its entries hold), then each entry. */
function namedLists(doc: Fields): { clusters: Named[]; contexts: Named[]; users: Named[] } | Failure {
  const parts = [['clusters', 'cluster', CLUSTER], ['contexts', 'context', CONTEXT], ['users', 'user', USER]] as const;
  const entries = parts.map(([key]) => entriesOf(doc, key));
  for (const e of entries) if (isFailure(e)) return e;
  const checked: Named[][] = [];
  for (const [i, [, inner, allowed]] of parts.entries()) {
    const list: Named[] = [];
    for (const e of entries[i] as Exclude<(typeof entries)[number], Failure>) {
      const n = checkEntry(e, inner, allowed);
      if (isFailure(n)) return n;
      list.push(n);
    }
    checked.push(list);
  }
  return { clusters: checked[0]!, contexts: checked[1]!, users: checked[2]! };
}

const isFailure = (v: unknown): v is Failure => record(v)?.['ok'] === false;

/** The YAML problems that let two parsers read one text differently, or that we cannot read. */
function parse(source: string): Fields | Failure {
  const lines = new LineCounter();
  const parsed = parseDocument(source, { lineCounter: lines, uniqueKeys: true, merge: false });
  const yamlError = parsed.errors[0];
  if (yamlError) {
    // The yaml package's own message quotes the offending line, which may hold a token.
    const at = yamlError.linePos?.[0];
    const where = at ? ` at line ${at.line}, column ${at.col}` : '';
    if (yamlError.code === 'DUPLICATE_KEY') return fail('kubeconfigAmbiguous', `kubeconfig is not allowed: a key appears twice in one mapping${where}`, 'remove the repeated key');
    return fail('notYaml', `kubeconfig cannot be loaded: YAML error${where} (${yamlError.code})`, REGENERATE);
  }
  // `<<` merges another mapping in for YAML 1.1 readers (js-yaml, client-node's) and is a
  // plain key for YAML 1.2 ones: whatever it holds, one of them would not see it.
  let merge: number | undefined;
  visit(parsed, {
    Pair(_, pair) {
      if (isScalar(pair.key) && pair.key.value === '<<') {
        merge = pair.key.range?.[0] ?? 0;
        return visit.BREAK;
      }
      return undefined;
    },
  });
  if (merge !== undefined) {
    const at = lines.linePos(merge);
    return fail('kubeconfigAmbiguous', `kubeconfig is not allowed: a YAML merge key (<<) at line ${at.line}, column ${at.col}`, 'write the merged fields out in full');
  }
  const doc = record(parsed.toJS({ maxAliasCount: 100 }));
  if (!doc) return fail('notYaml', 'kubeconfig cannot be loaded: the document is not a mapping', REGENERATE);
  return doc;
}

/**
 * Checks a kubeconfig the way istiod's kube.NewUntrustedRestConfig does (pkg/kube/util.go:
 * clientcmd.Load, clientcmd.Validate, sanitizeKubeConfig, then the current context must
 * resolve to a cluster with a server), by allow-list, and returns the checked object.
 */
export function checkKubeconfig(source: string): KubeconfigCheck {
  if (source.trim() === '') return fail('emptyKubeconfig', 'kubeconfig is empty', REGENERATE);
  const doc = parse(source);
  if (isFailure(doc)) return doc;
  const top = unknownKey(doc, TOP, '(top level)');
  if (top) return top;

  const lists = namedLists(doc);
  if (isFailure(lists)) return lists;
  const { clusters, contexts, users } = lists;
  const current = doc['current-context'] === undefined || doc['current-context'] === null ? '' : text(doc['current-context']);
  if (current === undefined) return fail('invalidKubeconfig', 'kubeconfig is not valid: current-context is not a string', REGENERATE, 'current-context');
  if (clusters.length === 0 && contexts.length === 0 && users.length === 0 && current === '') {
    return fail('invalidKubeconfig', 'kubeconfig is not valid: no configuration has been provided', REGENERATE);
  }

  const byName = (l: Named[]) => new Map(l.map((n) => [n.name, n]));
  const invalid = validate(byName(clusters), byName(contexts), byName(users), current);
  if (invalid) return invalid;

  if (current === '') return fail('invalidKubeconfig', 'kubeconfig is not valid: no current-context is set', 'set current-context to the remote cluster\'s context', 'current-context');
  // validate() has checked that the current context, its cluster and its user exist.
  const context = contexts.find((c) => c.name === current)!;
  const cluster = clusters.find((c) => c.name === text(context.body['cluster']))!;
  const user = users.find((u) => u.name === text(context.body['user']))!;
  const server = text(cluster.body['server'])!;
  const s = (f: Fields, k: string) => text(f[k]);
  const optional = <T extends Record<string, string | undefined>>(o: T) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as { [K in keyof T]?: string };
  const client: InlineKubeconfig = {
    context: current,
    cluster: { name: cluster.name, server, ...optional({ caData: s(cluster.body, 'certificate-authority-data'), tlsServerName: s(cluster.body, 'tls-server-name') }) },
    user: { name: user.name, ...optional({ token: s(user.body, 'token'), certData: s(user.body, 'client-certificate-data'), keyData: s(user.body, 'client-key-data') }) },
  };
  return { ok: true, target: { context: current, cluster: cluster.name, server }, client };
}

/** The checks of clientcmd.Validate that can fail for an inline kubeconfig, and ours on the server URL. */
function validate(clusters: Map<string, Named>, contexts: Map<string, Named>, users: Map<string, Named>, current: string): Failure | undefined {
  const invalid = (message: string, field?: string) => fail('invalidKubeconfig', `kubeconfig is not valid: ${message}`, REGENERATE, field);
  if (current !== '' && !contexts.has(current)) return invalid(`context was not found for specified context: ${shown(current)}`, 'current-context');
  for (const [name, ctx] of contexts) {
    const user = text(ctx.body['user']) ?? '';
    const cluster = text(ctx.body['cluster']) ?? '';
    if (user === '') return invalid(`user was not specified for context "${shown(name)}"`, `${ctx.at}.user`);
    if (!users.has(user)) return invalid(`user "${shown(user)}" was not found for context "${shown(name)}"`, `${ctx.at}.user`);
    if (cluster === '') return invalid(`cluster was not specified for context "${shown(name)}"`, `${ctx.at}.cluster`);
    if (!clusters.has(cluster)) return invalid(`cluster "${shown(cluster)}" was not found for context "${shown(name)}"`, `${ctx.at}.cluster`);
  }
  for (const [name, user] of users) {
    if ((user.body['client-certificate-data'] === undefined) !== (user.body['client-key-data'] === undefined)) {
      return invalid(`user "${shown(name)}" has only one of the client certificate and the client key`, user.at);
    }
  }
  for (const [name, cluster] of clusters) {
    const server = text(cluster.body['server']) ?? '';
    if (server === '') return invalid(`no server found for cluster "${shown(name)}"`, `${cluster.at}.server`);
    const url = URL.canParse(server) ? new URL(server) : undefined;
    // The URL is printed and served: it must not carry a password; the token goes only over TLS.
    if (!url || url.protocol !== 'https:') return invalid(`${cluster.at}.server is not an https:// URL`, `${cluster.at}.server`);
    if (url.username !== '' || url.password !== '') {
      return fail('kubeconfigUnknownField', `kubeconfig is not allowed: ${cluster.at}.server carries a user name or password`, 'put credentials in the user (token or client certificate), not in the URL', `${cluster.at}.server`);
    }
    if (cluster.body['insecure-skip-tls-verify'] === true) {
      return fail('kubeconfigUnknownField', `kubeconfig is not allowed: ${cluster.at}.insecure-skip-tls-verify turns off the server's certificate check`, `${ACCEPTED}; give the cluster's CA in certificate-authority-data`, `${cluster.at}.insecure-skip-tls-verify`);
    }
  }
  return undefined;
}
