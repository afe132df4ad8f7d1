/**
 * Asking a running istiod what it runs and what it sees, as an operator would with kubectl:
 * its pods (image, readiness) and its own `/debug/clusterz`. Doctor (MF4050) and apply (the
 * check after an in-place upgrade, MF8031) ask through these, so both read istiod the same way.
 * The namespace is the caller's (this layer knows no plan).
 */
import type { KubeClients } from './client.js';
import { execInPod } from './exec.js';
import { isKubeError } from './errors.js';
import { listObjects, type KubeObject } from './objects.js';

/** The pilot-discovery container of istiod's pod (Istio's charts name it `discovery`). */
export const DISCOVERY_CONTAINER = 'discovery';

/** The version in an image reference's tag: `docker.io/istio/pilot:1.31.0-distroless` → `1.31.0`. */
export function imageVersion(image: string | undefined): string | undefined {
  const noDigest = (image ?? '').split('@')[0] ?? '';
  const slash = noDigest.lastIndexOf('/');
  const colon = noDigest.lastIndexOf(':');
  if (colon <= slash) return undefined;
  return /^v?(\d+\.\d+\.\d+)/.exec(noDigest.slice(colon + 1))?.[1];
}

/** One istiod pod as a rollout check reads it. */
export interface IstiodPod {
  name: string;
  /** Its `istio.io/rev` label (`default` without a revision). */
  revision: string;
  /** The discovery container's image, and the version its tag names. */
  image?: string;
  version?: string;
  /** Phase Running. */
  running: boolean;
  /** Running and condition Ready=True. */
  ready: boolean;
  /** Being deleted (an old replica of a rollout). */
  terminating: boolean;
}

interface PodLike {
  metadata: { name: string; labels?: Record<string, string>; deletionTimestamp?: unknown };
  spec?: { containers?: { name?: string; image?: string }[] };
  status?: { phase?: string; conditions?: { type?: string; status?: string }[] };
}

/** Pure: a Pod object as an `IstiodPod`. */
export function istiodPodOf(o: KubeObject): IstiodPod {
  const p = o as unknown as PodLike;
  const image = p.spec?.containers?.find((c) => c.name === DISCOVERY_CONTAINER)?.image;
  const version = imageVersion(image);
  const running = p.status?.phase === 'Running';
  const ready = running && (p.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
  return { name: p.metadata.name, revision: p.metadata.labels?.['istio.io/rev'] ?? 'default', ...(image ? { image } : {}), ...(version ? { version } : {}), running, ready, terminating: !!p.metadata.deletionTimestamp };
}

/** istiod's pods in `namespace` (label `app=istiod`), of one revision when given. */
export async function istiodPods(k: KubeClients, namespace: string, revision?: string): Promise<IstiodPod[]> {
  const selector = `app=istiod${revision ? `,istio.io/rev=${revision}` : ''}`;
  return (await listObjects(k, 'v1', 'Pod', { namespace, labelSelector: selector })).map(istiodPodOf);
}

/** One entry of istiod's `/debug/clusterz` (pkg/cluster/debug.go, DebugInfo). */
export interface ClusterzEntry {
  id: string;
  secretName: string;
  /** istiod's words (pkg/kube/multicluster SyncStatus): `synced`, `syncing`, `timeout`, `closed`. */
  syncStatus: string;
}

/** istiod's `/debug/clusterz` answer; undefined when it is not that shape. Pure. */
export function parseClusterz(body: string): ClusterzEntry[] | undefined {
  let value: unknown;
  try {
    value = JSON.parse(body) as unknown;
  } catch {
    return undefined;
  }
  if (!Array.isArray(value)) return undefined;
  const out: ClusterzEntry[] = [];
  for (const e of value) {
    const o = e !== null && typeof e === 'object' && !Array.isArray(e) ? (e as Record<string, unknown>) : {};
    const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
    const id = str(o['id']);
    if (id === undefined) return undefined;
    out.push({ id, secretName: str(o['secretName']) ?? '', syncStatus: str(o['syncStatus']) ?? '' });
  }
  return out;
}

/** What one istiod answered, or why it could not be asked. */
export type ClusterzAnswer = { pod: string; clusters: ClusterzEntry[] } | { pod?: string; why: string };

const lastLine = (text: string): string => text.trim().split('\n').pop()?.slice(0, 300) ?? '';

/**
 * istiod's own `/debug/clusterz` (every member cluster, its secret and sync status), asked
 * inside istiod's pod: `pilot-discovery request GET /debug/clusterz` run in its `discovery`
 * container through the exec API (pods/exec), as `kubectl exec` would. That subcommand
 * (pilot/cmd/pilot-discovery/app/request.go) asks 127.0.0.1:15014, and istiod answers its debug
 * endpoints to loopback callers without authentication. istioctl's `remote-clusters` reads the
 * same endpoint through a port-forward to that port; exec reaches it on real clusters and in
 * the lab alike (the lab runs the real pilot-discovery in istiod's pod, and its kwok kubelet
 * serves exec). A pod proxy through the API server does not: istiod answers 401 to the API
 * server, which passes no caller's token on, and the lab's API servers have no route into pod
 * namespaces.
 *
 * `pod` names the pod to ask; without it, the first running istiod pod (of `revision` when
 * given). Never throws: why it could not ask is the answer.
 */
export async function istiodClusterz(k: KubeClients, opts: { namespace: string; timeoutMs: number; pod?: string; revision?: string }): Promise<ClusterzAnswer> {
  let pod = opts.pod;
  try {
    if (!pod) {
      const pods = await istiodPods(k, opts.namespace, opts.revision);
      const live = pods.filter((p) => p.running && !p.terminating);
      pod = (live.find((p) => p.ready) ?? live[0])?.name;
      if (!pod) return { why: `no running istiod pod${opts.revision ? ` of revision ${opts.revision}` : ''}` };
    }
    const r = await execInPod(k, opts.namespace, pod, DISCOVERY_CONTAINER, ['pilot-discovery', 'request', 'GET', '/debug/clusterz'], { timeoutMs: opts.timeoutMs });
    if (r.exitCode !== 0) return { pod, why: `pilot-discovery request GET /debug/clusterz in pod ${pod} exited ${r.exitCode}: ${lastLine(r.stderr || r.stdout)}` };
    const clusters = parseClusterz(r.stdout);
    if (!clusters) return { pod, why: `pod ${pod}: /debug/clusterz answered something other than istiod's list of clusters` };
    return { pod, clusters };
  } catch (e) {
    return { ...(pod ? { pod } : {}), why: `exec into ${pod ? `pod ${pod}` : 'istiod'} (pilot-discovery request GET /debug/clusterz): ${isKubeError(e) ? e.message : String(e)}` };
  }
}
