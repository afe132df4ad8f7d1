/**
 * Whether each istiod of a cluster has loaded the `cacerts` Secret as it is now. istiod
 * (pilot/pkg/bootstrap/istio_ca.go, Istio 1.31) watches its cacerts folder with fsnotify,
 * always (the AUTO_RELOAD_PLUGIN_CERTS flag is gone), and on a change logs "Update Istiod
 * cacerts", then either the line below or why it refused. The kubelet rewrites the Secret's
 * volume on its next pod sync, so a change reaches istiod within a minute or two.
 *
 * The check is stateless, so a run killed half-way resumes: the Secret's last change (its
 * managedFields time, stamped by the API server) against each istiod's start and log.
 */
import { DISCOVERY_CONTAINER, listObjects, readPodLog, type KubeClients, type KubeObject } from '../kube/index.js';
import { ISTIO_NAMESPACE } from '../plan/index.js';

/** istiod's line once the new intermediate (and root bundle) is in use. */
export const ISTIOD_RELOADED = 'Istiod has detected the newly added intermediate CA and updated its key and certs accordingly';
/** istiod's first line on every change of its cacerts files (handleEvent), whatever it then decides. */
export const ISTIOD_CACERTS_EVENT = 'Update Istiod cacerts';
/** istiod's lines when it keeps its old CA: the reason people need to read. */
export const ISTIOD_REFUSALS = [
  'Multi root is disabled, updating new ROOT-CA not supported',
  'Updating new ROOT-CA not supported',
  'Failed to update new Plug-in CA certs',
  'Failed generating plugged-in istiod key cert',
] as const;

export type ReloadState =
  | { kind: 'loaded'; how: 'started after the change' | 'reloaded' | 'files unchanged' }
  /**
   * `early`: the line is from the second the Secret changed in (managedFields has whole
   * seconds), so it may be istiod's verdict on the content before the change; a later verdict
   * may still come.
   */
  | { kind: 'refused'; line: string; early?: true }
  /** `sawEvent`: istiod logged that its files changed, and has not yet said what it made of it. */
  | { kind: 'pending'; sawEvent: boolean };

/**
 * When an istiod log line was written: its leading RFC 3339 time, or, with
 * `global.logAsJson`, its JSON object's `time` (`{"level":"warn","time":"…Z","msg":"…"}`);
 * NaN for neither. Pure.
 */
function lineTime(line: string): number {
  const text = line.trim();
  if (text.startsWith('{')) {
    try {
      const time = (JSON.parse(text) as { time?: unknown }).time;
      return typeof time === 'string' ? Date.parse(time) : NaN;
    } catch {
      return NaN;
    }
  }
  return Date.parse(text.split(/\s/, 1)[0] ?? '');
}

/**
 * What an istiod's log says since `changedAt` (whole seconds, as managedFields stamps it):
 * the last of "reloaded" or a refusal wins. istiod's lines start with an RFC 3339 time, or are
 * JSON objects holding it (`lineTime`).
 */
export function reloadStateFromLog(log: string, changedAt: Date, startedAt: Date | undefined): ReloadState {
  if (startedAt && startedAt.getTime() >= changedAt.getTime()) return { kind: 'loaded', how: 'started after the change' };
  let state: ReloadState = { kind: 'pending', sawEvent: false };
  for (const line of log.split('\n')) {
    const at = lineTime(line);
    if (Number.isNaN(at) || at < changedAt.getTime()) continue;
    if (line.includes(ISTIOD_RELOADED)) state = { kind: 'loaded', how: 'reloaded' };
    else if (line.includes(ISTIOD_CACERTS_EVENT)) state = { kind: 'pending', sawEvent: true };
    else {
      const refusal = ISTIOD_REFUSALS.find((r) => line.includes(r));
      if (refusal) state = { kind: 'refused', line: line.trim(), ...(at < changedAt.getTime() + 1000 ? { early: true as const } : {}) };
    }
  }
  return state;
}

/**
 * An istiod that logged no change of its files for `quietMs` after the Secret changed: the
 * kubelet wrote nothing because the pod's files already held this content (a Secret put back as
 * it was, or deleted and re-created: the kubelet keeps a deleted Secret's files), so istiod has
 * nothing to load and will log nothing. Waiting for a line would never end. Pure.
 */
export function settledWithoutEvent(state: ReloadState, changedAt: Date, now: Date, quietMs: number): ReloadState {
  return state.kind === 'pending' && !state.sawEvent && now.getTime() - changedAt.getTime() >= quietMs ? { kind: 'loaded', how: 'files unchanged' } : state;
}

/**
 * How long the kubelet may take to rewrite a Secret volume: its sync period (1 min) plus its
 * Secret cache's TTL (1 min). The lab's pod runner rewrites them every 3 s (src/lab/podStarter.ts).
 */
export const volumeSyncMs = (lab: boolean): number => (lab ? 15_000 : 120_000);

/** When the field manager last changed the object (managedFields' time), or undefined. */
export function lastChangedAt(object: KubeObject, manager: string): Date | undefined {
  const entries = (object.metadata.managedFields ?? []) as { manager?: string; time?: string | Date }[];
  const times = entries.filter((e) => e.manager === manager && e.time).map((e) => new Date(e.time!).getTime());
  return times.length ? new Date(Math.max(...times)) : undefined;
}

interface PodLike {
  metadata: { name: string; deletionTimestamp?: string };
  status?: { phase?: string; startTime?: string | Date; containerStatuses?: { name: string; state?: { running?: { startedAt?: string | Date } } }[] };
}

/** When the pod's discovery container last started (a restart reloads everything). */
function startedAt(pod: PodLike): Date | undefined {
  const running = pod.status?.containerStatuses?.find((c) => c.name === DISCOVERY_CONTAINER)?.state?.running?.startedAt;
  const t = running ?? pod.status?.startTime;
  return t ? new Date(t) : undefined;
}

export interface IstiodReload {
  pod: string;
  state: ReloadState;
  startedAt?: Date;
}

/** The reload state of every running istiod pod of the cluster (any revision). */
export async function istiodReloads(k: KubeClients, changedAt: Date): Promise<IstiodReload[]> {
  const pods = (await listObjects(k, 'v1', 'Pod', { namespace: ISTIO_NAMESPACE, labelSelector: 'app=istiod' })) as unknown as PodLike[];
  const out: IstiodReload[] = [];
  for (const p of pods) {
    if (p.metadata.deletionTimestamp || p.status?.phase !== 'Running') continue;
    const started = startedAt(p);
    const early = reloadStateFromLog('', changedAt, started);
    const log = early.kind === 'loaded' ? '' : await readPodLog(k, ISTIO_NAMESPACE, p.metadata.name, DISCOVERY_CONTAINER).catch(() => '');
    out.push({ pod: p.metadata.name, state: early.kind === 'loaded' ? early : reloadStateFromLog(log, changedAt, started), ...(started ? { startedAt: started } : {}) });
  }
  return out;
}
