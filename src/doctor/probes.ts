import { Supervisor, type MemberCluster } from '../discovery/index.js';
import { isKubeError, istiodClusterz, kubeClientsFromInline, selfSubjectRules, within, type KubeClients, type KubeErrorReason, type ResourceRule } from '../kube/index.js';
import { ISTIO_NAMESPACE, type ClusterPlan } from '../plan/index.js';

/** What a remote secret's own credentials may do in the watched cluster, or why they could not ask. */
export type SecretProbe = { ok: true; rules: ResourceRule[]; incomplete: boolean } | { ok: false; reason: KubeErrorReason; message: string };

/**
 * Asks the watched cluster, with the secret's credentials, what they allow (a
 * SelfSubjectRulesReview). The client is built from the settings discovery's allow-list
 * accepted (`clientConfig()`), never from the secret's text; the token stays inside it.
 */
export async function probeMember(member: MemberCluster, timeoutMs: number): Promise<SecretProbe> {
  try {
    const k = kubeClientsFromInline(member.clientConfig(), { requestTimeoutMs: timeoutMs });
    const r = await selfSubjectRules(k, 'default');
    return { ok: true, rules: r.rules, incomplete: r.incomplete };
  } catch (e) {
    if (isKubeError(e)) return { ok: false, reason: e.reason, message: e.message };
    return { ok: false, reason: 'unknown', message: e instanceof Error ? e.message : String(e) };
  }
}

/** One member cluster as istiod (or meshfed's engine) sees it. */
export interface SyncEntry {
  id: string;
  syncStatus: string;
  secret?: string;
  error?: string;
}

/** A primary's view of its member clusters, and whose view it is. */
export interface IstiodView {
  source: 'istiod' | 'discovery';
  /** The istiod pod that answered (source istiod). */
  pod?: string;
  /** Why istiod itself could not be asked, or did not answer (source discovery). */
  why?: string;
  clusters: SyncEntry[];
}

/**
 * istiod's own `/debug/clusterz`, asked inside its first running pod (src/kube/istiod.ts, as
 * apply's check after an upgrade asks it). Returns why when istiod could not be asked.
 */
export async function istiodClusterzView(k: KubeClients, timeoutMs: number): Promise<{ clusters: SyncEntry[]; pod: string } | { why: string }> {
  const a = await istiodClusterz(k, { namespace: ISTIO_NAMESPACE, timeoutMs });
  if ('why' in a) return { why: a.why };
  return { pod: a.pod, clusters: a.clusters.map((e) => ({ id: e.id, syncStatus: e.syncStatus, ...(e.secretName ? { secret: e.secretName } : {}) })) };
}

/**
 * The same view from meshfed's discovery engine: the primary's remote secrets read as
 * istiod's secret controller reads them, each member watched until synced or `timeoutMs`.
 */
export async function discoveryView(c: ClusterPlan, k: KubeClients, timeoutMs: number): Promise<SyncEntry[]> {
  const supervisor = new Supervisor({
    members: { from: 'secrets', local: { clusterId: c.name, clients: k }, clientsFor: (m) => kubeClientsFromInline(m.clientConfig(), { requestTimeoutMs: timeoutMs }) },
    syncTimeoutMs: timeoutMs,
  }).start();
  try {
    await within(supervisor.settled(), timeoutMs + 1_000);
    // Secrets are read by a watch of their own; a member appears once they are listed.
    return supervisor.clusters().map((m) => ({
      id: m.clusterId,
      syncStatus: m.state,
      ...(m.secret ? { secret: m.secret.name } : {}),
      ...(m.lastError ? { error: `${m.lastError.code}: ${m.lastError.message}` } : {}),
    }));
  } finally {
    await within(supervisor.stop(), 1_000);
  }
}

/** istiod's view where it can be asked, else meshfed's discovery engine's, with the reason. */
export async function istiodView(c: ClusterPlan, k: KubeClients, opts: { timeoutMs: number }): Promise<IstiodView> {
  const deadline = Date.now() + opts.timeoutMs;
  let asked = await istiodClusterzView(k, opts.timeoutMs);
  // "syncing" is istiod's state between a member's arrival and its sync or timeout
  // (pkg/kube/multicluster): asked again until it settles, as the engine's view is watched
  // until settled, so a member that has just come is not reported as broken.
  while ('clusters' in asked && asked.clusters.some((e) => e.syncStatus === 'syncing') && Date.now() + SYNCING_RETRY_MS < deadline) {
    await new Promise((r) => setTimeout(r, SYNCING_RETRY_MS));
    asked = await istiodClusterzView(k, Math.max(1_000, deadline - Date.now()));
  }
  if ('clusters' in asked) return { source: 'istiod', pod: asked.pod, clusters: asked.clusters };
  return { source: 'discovery', why: asked.why, clusters: await discoveryView(c, k, opts.timeoutMs) };
}

const SYNCING_RETRY_MS = 500;
