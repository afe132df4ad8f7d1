import type { KubeClients } from '../kube/index.js';
import type { Plan } from '../plan/index.js';
import { analysisByCluster, analyzeRun, type AnalyzeResult, type AnalyzeRun } from './analyze.js';
import type { Check, DoctorInput } from './check.js';
import { readCluster, type LiveCluster } from './live.js';
import { istiodView, probeMember, type IstiodView, type SecretProbe } from './probes.js';
import { CHECKS } from './registry.js';
import type { ClusterFindings, DoctorReport } from './types.js';

/** The checks judged on what was read: pure, so the serve layer can show the same report. */
export function judgeMesh(input: DoctorInput, checks: readonly Check[] = CHECKS): DoctorReport {
  const clusters: ClusterFindings[] = input.plan.clusters.map((c) => {
    const live = input.live.get(c.name) ?? { name: c.name, forbidden: [], present: {}, unreachable: { reason: 'unknown' as const, message: 'not read' } };
    // An unreachable cluster gets only the access checks: everything else would be a guess.
    const run = live.unreachable ? checks.filter((k) => k.code === 'MF4001' || k.code === 'MF4002') : checks;
    return { cluster: c.name, reachable: !live.unreachable || live.unreachable.reason === 'unauthorized' || live.unreachable.reason === 'forbidden', findings: run.flatMap((k) => k.run(input, c, live)) };
  });
  const all = clusters.flatMap((c) => c.findings);
  return {
    mesh: input.plan.mesh.name,
    clusters,
    summary: {
      ok: all.filter((f) => f.severity === 'ok').length,
      warnings: all.filter((f) => f.severity === 'warning').length,
      errors: all.filter((f) => f.severity === 'error').length,
      unreachable: clusters.filter((c) => !c.reachable).map((c) => c.cluster),
    },
  };
}

export interface ReadMeshOptions {
  plan: Plan;
  /** One client per cluster, or why none could be made (a missing context). */
  clients: ReadonlyMap<string, KubeClients | Error>;
  /** Deadline of each probe (a remote secret's rules review, istiod's debug endpoint, a sync). */
  probeTimeoutMs: number;
  /** Ask istiod (or the engine) for its member clusters' sync state; off for `status`. */
  syncView?: boolean;
  /** Ask each watched cluster what a remote secret's credentials may do; off for `status`. */
  probeSecrets?: boolean;
  /** Runs the real `istioctl analyze` of the mesh once, over the clusters given (by the CLI, which finds istioctl). */
  analyze?: (run: AnalyzeRun) => Promise<AnalyzeResult>;
}

export interface MeshReading {
  live: Map<string, LiveCluster>;
  probes: Map<string, Map<string, SecretProbe>>;
  views: Map<string, IstiodView>;
  analysis: Map<string, AnalyzeResult>;
}

/** Reads every cluster in parallel (one result per cluster, an unreachable one included), each primary's remote secrets and view probed once it is read. */
export async function readMesh(opts: ReadMeshOptions): Promise<MeshReading> {
  const { plan } = opts;
  // istioctl analyze is the slowest reader: it starts as soon as every cluster has answered
  // its first read (or failed to), beside the rest of the reading, over those that answered.
  const answered = new Map(plan.clusters.map((c) => [c.name, deferred<boolean>()]));
  const analyze = opts.analyze;
  const analysis = analyze
    ? Promise.all(plan.clusters.map((c) => answered.get(c.name)!.promise)).then(async (ok) => {
        const run = analyzeRun(plan.clusters.filter((_, i) => ok[i]));
        return run ? analysisByCluster(run, await analyze(run)) : new Map<string, AnalyzeResult>();
      })
    : Promise.resolve(new Map<string, AnalyzeResult>());
  const live = new Map<string, LiveCluster>();
  const probes = new Map<string, Map<string, SecretProbe>>();
  const views = new Map<string, IstiodView>();
  // Each primary's remote secrets are probed as soon as that primary has been read.
  await Promise.all(
    plan.clusters.map(async (c) => {
      const k = opts.clients.get(c.name);
      const answer = answered.get(c.name)!;
      if (!k || k instanceof Error) {
        answer.resolve(false);
        live.set(c.name, { name: c.name, forbidden: [], present: {}, unreachable: { reason: 'unknown', message: k?.message ?? 'no client' } });
        return;
      }
      // istiod's view needs nothing doctor reads: asked as soon as the primary has answered,
      // beside the rest of its reading (exec into istiod is the longest of a primary's reads).
      let view: Promise<IstiodView> | undefined;
      const reached = () => {
        answer.resolve(true);
        if (c.role === 'primary' && opts.syncView !== false) view = istiodView(c, k, { timeoutMs: opts.probeTimeoutMs });
      };
      // Not reached by the end of its reading (or a reading that threw): not analyzed.
      const l = await readCluster(plan, c, k, reached).finally(() => answer.resolve(false));
      live.set(c.name, l);
      // A primary whose reading failed after its first answer is judged unreachable: no view.
      if (c.role !== 'primary' || !l.remoteSecrets) return void view?.catch(() => undefined);
      if (opts.probeSecrets === false && opts.syncView === false) return;
      const members = l.remoteSecrets.read.clusters;
      const [results, v] = await Promise.all([Promise.all(opts.probeSecrets === false ? [] : members.map(async (m) => [m.clusterId, await probeMember(m, opts.probeTimeoutMs)] as const)), view]);
      probes.set(c.name, new Map(results));
      if (v) views.set(c.name, v);
    }),
  );
  const analyzed = await analysis;
  // A cluster that answered once and then failed is unreachable: its analysis is not shown.
  for (const [name, l] of live) if (l.unreachable) analyzed.delete(name);
  return { live, probes, views, analysis: analyzed };
}

/** A promise and its resolve; the first resolve wins. */
function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}
