import { applyMesh, clientsFor, DESTROY_TIMEOUT_MS, destroyMesh, installerFor, jsonProgress, lineProgress, liveProgress, systemClock, type ProgressSink, type StepOutcome } from '../../apply/index.js';
import { planMesh, type Plan, type Step } from '../../plan/index.js';
import { resolveHelm, resolveIstioctl, resolveKubeconfig } from '../environment.js';
import { CommandExit, EXIT } from '../exit.js';
import type { Io } from '../io.js';
import { loadMesh, type LoadedMesh } from '../mesh.js';

export interface ApplyFlags {
  file: string;
  dryRun: boolean;
  /** Checked by the flag's parser: at least 1. */
  concurrency: number;
  istioctl?: string;
  helm?: string;
  charts?: string;
  kubeconfig?: string;
  output: string;
  prune: boolean;
  /** Seconds, checked by the flag's parser: positive. */
  timeout: number;
}

function sink(steps: Step[], output: string, io: Io): ProgressSink {
  if (output === 'json') return jsonProgress((s) => io.out(s));
  if (io.quiet) return { event() {}, close() {} };
  return process.stderr.isTTY ? liveProgress(steps, (s) => io.err(s)) : lineProgress((s) => io.err(s));
}

/** The closing summary: counts, then each failed step with its cluster, cause and fix. */
export function summarizeOutcomes(plan: Plan, outcomes: Map<string, StepOutcome>, verb: string, elapsedMs: number): { text: string; exit: number } {
  const all = plan.steps.map((s) => ({ s, o: outcomes.get(s.id)! }));
  const failed = all.filter((x) => x.o.status === 'failed');
  const blocked = all.filter((x) => x.o.status === 'blocked');
  const changed = all.filter((x) => x.o.changed).length;
  const lines = [`${verb}: ${all.length} steps, ${changed} changed, ${all.length - changed - failed.length - blocked.length} unchanged, ${failed.length} failed, ${blocked.length} not started (${(elapsedMs / 1000).toFixed(1)} s)`];
  for (const { s, o } of failed) {
    lines.push(`  FAILED ${s.id} in cluster ${s.cluster}${o.code ? ` [${o.code}${o.cause ? `, ${o.cause}` : ''}]` : ''}: ${o.detail}`);
    if (o.hint) lines.push(`         fix: ${o.hint}`);
  }
  if (blocked.length) lines.push(`  not started (waiting on a failed step): ${blocked.map((x) => x.s.id).join(', ')}`);
  if (failed.length) lines.push('  Everything else finished and stays in place; run the same command again once fixed.');
  const unreachableOnly = failed.length > 0 && failed.every((x) => x.o.category === 'unreachable');
  return { text: lines.join('\n') + '\n', exit: failed.length === 0 ? EXIT.ok : unreachableOnly ? EXIT.unreachable : EXIT.partial };
}

/**
 * What apply and destroy are given, built from the kubeconfig and the installer flags.
 * `timeoutMs` (apply's --timeout) bounds every Kubernetes request and every istioctl or helm
 * run, so a hung API server or tool fails its cluster's steps in time instead of holding the command.
 */
function meshDrivers(plan: Plan, flags: Pick<ApplyFlags, 'kubeconfig' | 'istioctl' | 'helm' | 'charts'>, loaded: LoadedMesh, timeoutMs: number) {
  const kubeconfig = resolveKubeconfig(flags.kubeconfig, loaded);
  return {
    clients: clientsFor(plan, kubeconfig, { requestTimeoutMs: timeoutMs }),
    installer: installerFor(plan, { kubeconfig, istioctl: resolveIstioctl(flags.istioctl, loaded), helm: resolveHelm(flags, loaded), timeoutMs }),
    clock: systemClock,
  };
}

export async function applyCommand(flags: ApplyFlags, io: Io): Promise<void> {
  const loaded = await loadMesh(flags.file, io);
  const plan = planMesh(loaded.mesh);
  const progress = sink(plan.steps, flags.output, io);
  const started = Date.now();
  const report = await applyMesh({
    plan,
    ...meshDrivers(plan, flags, loaded, flags.timeout * 1000),
    rootDir: loaded.rootDir,
    dryRun: flags.dryRun,
    concurrency: flags.concurrency,
    waitTimeoutMs: flags.timeout * 1000,
    noPrune: !flags.prune,
    onEvent: (e) => progress.event(e),
  });
  progress.close();
  const { text, exit } = summarizeOutcomes(plan, report.outcomes, flags.dryRun ? 'Dry run' : 'Apply', Date.now() - started);
  // The summary is for people: stderr, so `-o json` keeps stdout to the event stream.
  const out = (s: string) => io.err(s);
  out(text);
  for (const p of report.pruned) {
    if (p.deleted.length) out(`  ${flags.dryRun ? 'would prune' : 'pruned'} in ${p.cluster}: ${p.deleted.join(', ')}\n`);
    if (p.error) out(`  prune in ${p.cluster} failed: ${p.error}\n`);
  }
  if (report.failed === 0 && report.changed === 0) out(flags.dryRun ? 'No changes would be made.\n' : 'No changes: the clusters already match the mesh file.\n');
  if (exit !== EXIT.ok) throw new CommandExit(exit as 2 | 69);
}

export async function destroyCommand(flags: Omit<ApplyFlags, 'dryRun' | 'prune' | 'timeout'>, io: Io): Promise<void> {
  const loaded = await loadMesh(flags.file, io);
  const plan = planMesh(loaded.mesh);
  const progress = sink(plan.steps, flags.output, io);
  const started = Date.now();
  const outcomes = await destroyMesh({
    plan,
    ...meshDrivers(plan, flags, loaded, DESTROY_TIMEOUT_MS),
    concurrency: flags.concurrency,
    onEvent: (e) => progress.event(e),
  });
  progress.close();
  const { text, exit } = summarizeOutcomes(plan, outcomes, 'Destroy', Date.now() - started);
  io.err(text);
  io.err(`The trust folder ${loaded.rootDir} is kept.\n`);
  if (exit !== EXIT.ok) throw new CommandExit(exit as 2 | 69);
}
