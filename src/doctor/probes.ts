import { Supervisor, type MemberCluster } from '../discovery/index.js';
import { execInPod, isKubeError, kubeClientsFromInline, listObjects, selfSubjectRules, within, type KubeClients, type KubeErrorReason, type ResourceRule } from '../kube/index.js';
import { ISTIO_NAMESPACE, type ClusterPlan } from '../plan/index.js';
import { parseClusterz } from './parse.js';

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

/** The pilot-discovery container of istiod's pod (Istio's charts name it `discovery`). */
const DISCOVERY_CONTAINER = 'discovery';

/**
 * istiod's own `/debug/clusterz` (pkg/cluster DebugInfo: every member cluster, its secret and
 * sync status), asked inside istiod's pod: `pilot-discovery request GET /debug/clusterz` run in
 * its `discovery` container through the exec API (pods/exec), as `kubectl exec` would. That
 * subcommand (pilot/cmd/pilot-discovery/app/request.go) asks 127.0.0.1:15014, and istiod answers
 * its debug endpoints to loopback callers without authentication. istioctl's `remote-clusters`
 * reads the same endpoint through a port-forward to that port; exec reaches it on real clusters
 * and in the lab alike (the lab runs the real pilot-discovery in istiod's pod, and its kwok
 * kubelet serves exec). A pod proxy through the API server does not: istiod answers 401 to the
 * API server, which passes no caller's token on, and the lab's API servers have no route into
 * pod namespaces. Returns why when istiod could not be asked.
 */
export async function istiodClusterz(k: KubeClients, timeoutMs: number): Promise<{ clusters: SyncEntry[]; pod: string } | { why: string }> {
  let pod: string | undefined;
  try {
    const pods = await listObjects(k, 'v1', 'Pod', { namespace: ISTIO_NAMESPACE, labelSelector: 'app=istiod' });
    pod = pods.find((p) => (p['status'] as { phase?: string } | undefined)?.phase === 'Running')?.metadata.name;
    if (!pod) return { why: 'no running istiod pod' };
    const r = await execInPod(k, ISTIO_NAMESPACE, pod, DISCOVERY_CONTAINER, ['pilot-discovery', 'request', 'GET', '/debug/clusterz'], { timeoutMs });
    if (r.exitCode !== 0) return { why: `pilot-discovery request GET /debug/clusterz in pod ${pod} exited ${r.exitCode}: ${lastLine(r.stderr || r.stdout)}` };
    const entries = parseClusterz(r.stdout);
    if (!entries) return { why: `pod ${pod}: /debug/clusterz answered something other than istiod's list of clusters` };
    return { pod, clusters: entries.map((e) => ({ id: e.id, syncStatus: e.syncStatus, ...(e.secretName ? { secret: e.secretName } : {}) })) };
  } catch (e) {
    return { why: `exec into ${pod ? `pod ${pod}` : 'istiod'} (pilot-discovery request GET /debug/clusterz): ${isKubeError(e) ? e.message : String(e)}` };
  }
}

const lastLine = (text: string): string => text.trim().split('\n').pop()?.slice(0, 300) ?? '';

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
  let asked = await istiodClusterz(k, opts.timeoutMs);
  // "syncing" is istiod's state between a member's arrival and its sync or timeout
  // (pkg/kube/multicluster): asked again until it settles, as the engine's view is watched
  // until settled, so a member that has just come is not reported as broken.
  while ('clusters' in asked && asked.clusters.some((e) => e.syncStatus === 'syncing') && Date.now() + SYNCING_RETRY_MS < deadline) {
    await new Promise((r) => setTimeout(r, SYNCING_RETRY_MS));
    asked = await istiodClusterz(k, Math.max(1_000, deadline - Date.now()));
  }
  if ('clusters' in asked) return { source: 'istiod', pod: asked.pod, clusters: asked.clusters };
  return { source: 'discovery', why: asked.why, clusters: await discoveryView(c, k, opts.timeoutMs) };
}

const SYNCING_RETRY_MS = 500;
