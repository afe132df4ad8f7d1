import type { KubeObject } from '../kube/index.js';
import { RemoteSecretError, type SecretRef } from './errors.js';
import { isBase64, record, stringMap } from './fields.js';
import { checkKubeconfig } from './kubeconfig.js';
import { DEFAULT_SYSTEM_NAMESPACE, MULTICLUSTER_SECRET_LABEL } from './labels.js';
import { MemberCluster } from './memberCluster.js';

/**
 * Remote secrets read the way istiod's secret controller reads them
 * (pkg/kube/multicluster/secretcontroller.go, addRemoteConfig):
 * - only Secrets of the system namespace labelled `istio/multiCluster=true` (its informer's
 *   filter), whatever their name or annotations;
 * - every `data` key is a cluster ID, its value a whole kubeconfig;
 * - the local (config) cluster's ID is skipped ("would overwrite the config cluster");
 * - an ID already registered by another secret is skipped ("cluster has already been
 *   registered"): the first registration wins and keeps the ID until its own secret drops it;
 * - a kubeconfig that fails NewUntrustedRestConfig (here: checkKubeconfig's allow-list) is an error and registers nothing, so it
 *   does not hold the ID against a valid entry elsewhere; istiod does not retry it.
 */
export interface ReadRemoteSecretsOptions {
  /** istiod's CLUSTER_ID. */
  localClusterId: string;
  /** istiod's namespace; default istio-system. */
  systemNamespace?: string;
  /** The result of the previous read: its owners keep their IDs, as in a running istiod. */
  previous?: readonly MemberCluster[];
}

export type IgnoredReason = 'localCluster' | 'duplicate';

export interface IgnoredEntry {
  secret: SecretRef;
  clusterId: string;
  reason: IgnoredReason;
  message: string;
  /** For a duplicate: the secret that holds the ID. */
  registeredBy?: SecretRef;
}

export interface RemoteSecretsResult {
  /** Sorted by cluster ID. */
  clusters: MemberCluster[];
  ignored: IgnoredEntry[];
  errors: RemoteSecretError[];
}

interface Entry {
  secret: SecretRef;
  clusterId: string;
  kubeconfig: string;
}

const key = (s: SecretRef) => `${s.namespace}/${s.name}`;
/** Secret.data as Go decodes it: strictly. */
function decodeBase64(value: string): string | undefined {
  return isBase64(value) ? Buffer.from(value.replace(/[\r\n]/g, ''), 'base64').toString('utf8') : undefined;
}

function isSelected(secret: KubeObject, namespace: string): boolean {
  if (secret.kind !== 'Secret' || secret.metadata.namespace !== namespace) return false;
  return stringMap(secret.metadata.labels)[MULTICLUSTER_SECRET_LABEL] === 'true';
}

export function readRemoteSecrets(secrets: readonly KubeObject[], opts: ReadRemoteSecretsOptions): RemoteSecretsResult {
  const namespace = opts.systemNamespace ?? DEFAULT_SYSTEM_NAMESPACE;
  const ignored: IgnoredEntry[] = [];
  const errors: RemoteSecretError[] = [];

  // The informer's initial list arrives in the API server's key order (namespace/name),
  // and data keys are unique within a secret, so name order then key order is the order
  // a freshly started istiod registers entries in.
  const selected = secrets.filter((s) => isSelected(s, namespace)).sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0));
  const entries: Entry[] = [];
  for (const secret of selected) {
    const ref = { namespace, name: secret.metadata.name };
    for (const [clusterId, value] of Object.entries(record(secret.data) ?? {}).sort(([a], [b]) => (a < b ? -1 : 1))) {
      if (clusterId === opts.localClusterId) {
        ignored.push({ secret: ref, clusterId, reason: 'localCluster', message: `ignoring cluster ${clusterId} of secret ${key(ref)}: it would overwrite the config cluster` });
        continue;
      }
      const kubeconfig = typeof value === 'string' ? decodeBase64(value) : undefined;
      if (kubeconfig === undefined) {
        errors.push(new RemoteSecretError({ reason: 'notBase64', message: `data key ${clusterId} of secret ${key(ref)} is not base64`, hint: 'Secret data values are base64; use stringData to give plain text', secret: ref, clusterId }));
        continue;
      }
      entries.push({ secret: ref, clusterId, kubeconfig });
    }
  }

  // A running istiod keeps the cluster of the secret that registered it first.
  const previousOwner = new Map((opts.previous ?? []).map((c) => [c.clusterId, c]));
  const owners = new Map<string, MemberCluster>();
  const claim = (entry: Entry): MemberCluster | undefined => {
    const checked = checkKubeconfig(entry.kubeconfig);
    if (checked.ok) return new MemberCluster({ clusterId: entry.clusterId, secret: entry.secret, server: checked.target.server }, entry.kubeconfig, checked.client);
    const prev = previousOwner.get(entry.clusterId);
    // On a failed update istiod keeps the cluster it already runs (the swap never happens).
    const keeps = prev && key(prev.secret) === key(entry.secret);
    errors.push(
      new RemoteSecretError({
        ...checked.problem,
        message: `cluster ${entry.clusterId} of secret ${key(entry.secret)}: ${checked.problem.message}${keeps ? ' (keeping the previous kubeconfig)' : ''}`,
        secret: entry.secret,
        clusterId: entry.clusterId,
      }),
    );
    return keeps ? prev : undefined;
  };

  const isSticky = (e: Entry) => {
    const prev = previousOwner.get(e.clusterId);
    return prev !== undefined && key(prev.secret) === key(e.secret);
  };
  const sticky = entries.filter(isSticky);
  const rest = entries.filter((e) => !isSticky(e));
  for (const entry of [...sticky, ...rest]) {
    const holder = owners.get(entry.clusterId);
    if (holder) {
      ignored.push({
        secret: entry.secret,
        clusterId: entry.clusterId,
        reason: 'duplicate',
        message: `ignoring cluster ${entry.clusterId} of secret ${key(entry.secret)}: it has already been registered by secret ${key(holder.secret)}`,
        registeredBy: holder.secret,
      });
      continue;
    }
    const member = claim(entry);
    if (member) owners.set(entry.clusterId, member);
  }

  const clusters = [...owners.values()].sort((a, b) => (a.clusterId < b.clusterId ? -1 : 1));
  return { clusters, ignored, errors };
}

export interface MemberClusterChange {
  before: MemberCluster;
  after: MemberCluster;
}

export interface MemberClusterDiff {
  /** Start these. */
  added: MemberCluster[];
  /** Restart these: new kubeconfig, or now provided by another secret. */
  changed: MemberClusterChange[];
  /** Stop these. */
  removed: MemberCluster[];
}

/** What a supervisor does between two reads, by cluster ID (istiod's Add / Update / Delete). */
export function diffMemberClusters(before: readonly MemberCluster[], after: readonly MemberCluster[]): MemberClusterDiff {
  const old = new Map(before.map((c) => [c.clusterId, c]));
  const now = new Map(after.map((c) => [c.clusterId, c]));
  const byId = (a: MemberCluster, b: MemberCluster) => (a.clusterId < b.clusterId ? -1 : 1);
  const added = after.filter((c) => !old.has(c.clusterId)).sort(byId);
  const removed = before.filter((c) => !now.has(c.clusterId)).sort(byId);
  const changed: MemberClusterChange[] = [];
  for (const c of [...after].sort(byId)) {
    const prev = old.get(c.clusterId);
    if (prev && (!prev.sameKubeconfig(c) || key(prev.secret) !== key(c.secret))) changed.push({ before: prev, after: c });
  }
  return { added, changed, removed };
}

/** The secret's name of a member cluster, e.g. for messages: `istio-system/istio-remote-secret-c2`. */
export function secretKey(ref: SecretRef): string {
  return key(ref);
}
