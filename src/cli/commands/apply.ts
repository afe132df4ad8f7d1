import {
  applyMesh,
  clientsFor,
  DESTROY_TIMEOUT_MS,
  destroyMesh,
  destroySteps,
  formerClusters,
  installerFor,
  memberChanges,
  memberDiff,
  recordedMembers,
  jsonProgress,
  lineProgress,
  liveProgress,
  observeMesh,
  systemClock,
  type ApplyReport,
  type MemberChanges,
  type ProgressSink,
  type RemovedDestroy,
  type StepOutcome,
} from '../../apply/index.js';
import { readRootStage, type RootStage } from '../../pki/index.js';
import type { KubeClients } from '../../kube/index.js';
import { planAgainst, planMesh, planRootStage, rootStageRoll, stepsUntil, summarizeChanges, type ClusterChange, type MemberDiff, type Phase, type Plan, type Step } from '../../plan/index.js';
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
  /** Uninstall the clusters that left the mesh file (as destroy would). */
  destroyRemoved?: boolean;
  /** Seconds, checked by the flag's parser: positive. */
  timeout: number;
  /** Stop after this phase (checked by the flag's parser). */
  until?: Phase;
}

function sink(steps: Step[], output: string, io: Io): ProgressSink {
  if (output === 'json') return jsonProgress((s) => io.out(s));
  if (io.quiet) return { event() {}, close() {} };
  return process.stderr.isTTY ? liveProgress(steps, (s) => io.err(s)) : lineProgress((s) => io.err(s));
}

/** The closing summary: counts, then each failed step with its cluster, cause and fix. */
export function summarizeOutcomes(plan: Pick<Plan, 'steps'>, outcomes: Map<string, StepOutcome>, verb: string, elapsedMs: number): { text: string; exit: number } {
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
export function meshDrivers(plan: Plan, flags: Pick<ApplyFlags, 'kubeconfig' | 'istioctl' | 'helm' | 'charts'>, loaded: LoadedMesh, timeoutMs: number) {
  const kubeconfig = resolveKubeconfig(flags.kubeconfig, loaded);
  return {
    clients: clientsFor(plan, kubeconfig, { requestTimeoutMs: timeoutMs }),
    installer: installerFor(plan, { kubeconfig, istioctl: resolveIstioctl(flags.istioctl, loaded), helm: resolveHelm(flags, loaded), timeoutMs }),
    clock: systemClock,
  };
}

/**
 * The mesh file's plan against what the clusters run now (`plan` without --offline, and every
 * apply): the changes per cluster and the plan with the upgrade's phases and order.
 */
export async function planLive(loaded: LoadedMesh, flags: Pick<ApplyFlags, 'kubeconfig' | 'istioctl' | 'helm' | 'charts'>, timeoutMs: number): Promise<{ plan: Plan; changes: ClusterChange[]; drivers: ReturnType<typeof meshDrivers>; rootStage?: RootStage }> {
  const base = planMesh(loaded.mesh);
  const drivers = meshDrivers(base, flags, loaded, timeoutMs);
  const { observed, failures } = await observeMesh(base, drivers.clients, drivers.installer);
  // A cluster that could not be read fails its steps with that error, not after a second deadline.
  for (const [name, e] of failures) drivers.clients.set(name, e);
  const live = planAgainst(base, observed);
  const rootStage = await readRootStage(loaded.rootDir);
  return { ...live, plan: planRootStage(live.plan, rootStage), drivers, ...(rootStage ? { rootStage } : {}) };
}

/** What apply says before a root rotation stage that rolls the clusters one at a time. */
export function describeRoll(plan: Plan, stage: RootStage | undefined): string {
  const roll = rootStageRoll(plan, stage);
  return roll.length > 1 ? `Root rotation stage ${stage}: cacerts rolls one cluster at a time, ${roll.join(' → ')}; each cluster's istiod loads its new intermediate before the next cluster's cacerts changes.\n` : '';
}

export async function applyCommand(flags: ApplyFlags, io: Io): Promise<void> {
  const loaded = await loadMesh(flags.file, io);
  const { plan: full, changes, drivers, rootStage } = await planLive(loaded, flags, flags.timeout * 1000);
  // Only the steps up to --until run, and only they are reported.
  const plan = { ...full, steps: stepsUntil(full.steps, flags.until) };
  if (!io.quiet && changes.some((x) => x.action === 'upgrade' || x.action === 'canary')) io.err(summarizeChanges(changes.filter((x) => x.action === 'upgrade' || x.action === 'canary')));
  if (!io.quiet) io.err(describeRoll(plan, rootStage));
  const stoppedEarly = full.steps.length > plan.steps.length;
  const progress = sink(plan.steps, flags.output, io);
  const started = Date.now();
  const report = await applyMesh({
    plan,
    ...drivers,
    rootDir: loaded.rootDir,
    dryRun: flags.dryRun,
    concurrency: flags.concurrency,
    waitTimeoutMs: flags.timeout * 1000,
    noPrune: !flags.prune,
    // Not when --until stops before the last phase: the rest of the mesh is not there yet.
    ...(flags.destroyRemoved && !stoppedEarly ? { destroyRemoved: (removed: MemberChanges['removed']) => destroyRemovedClusters(plan, removed, flags, loaded, io) } : {}),
    onEvent: (e) => progress.event(e),
  });
  progress.close();
  const summary = summarizeOutcomes(plan, report.outcomes, flags.dryRun ? 'Dry run' : 'Apply', Date.now() - started);
  const { text } = summary;
  let exit = summary.exit;
  // The summary is for people: stderr, so `-o json` keeps stdout to the event stream.
  const out = (s: string) => io.err(s);
  out(text);
  const later = full.steps.length - plan.steps.length;
  if (flags.until && later > 0) out(`Stopped after phase ${flags.until}: ${later} step${later === 1 ? '' : 's'} of later phases not run; run apply again to continue.\n`);
  for (const p of report.pruned) {
    if (p.deleted.length) out(`  ${flags.dryRun ? 'would prune' : 'pruned'} in ${p.cluster}: ${p.deleted.join(', ')}\n`);
    if (p.error) out(`  prune in ${p.cluster} failed: ${p.error}\n`);
  }
  if (flags.destroyRemoved && stoppedEarly && report.members.removed.length) report.members.destroySkipped = '--until stopped the apply before its last phase';
  const members = describeMembers(plan, report, flags);
  out(members.text);
  if (exit === EXIT.ok) exit = members.exit;
  if (report.failed === 0 && report.changed === 0) out(flags.dryRun ? 'No changes would be made.\n' : 'No changes: the clusters already match the mesh file.\n');
  if (exit !== EXIT.ok) throw new CommandExit(exit as 2 | 69);
}

/** The mesh as it was: the file's clusters and the removed ones (their entries in the record), planned. Throws when that no longer plans. */
export function formerPlan(loaded: LoadedMesh, plan: Plan, removed: MemberChanges['removed']): Plan {
  return planMesh({ ...loaded.mesh, spec: { ...loaded.mesh.spec, clusters: formerClusters(plan, removed) } });
}

/**
 * The clusters joining and leaving against the record in the primaries that could be read, as
 * apply would see them (`meshfed plan`); with `destroyRemoved`, the removed clusters' undo steps.
 */
export async function planMembers(loaded: LoadedMesh, plan: Plan, clients: Map<string, KubeClients | Error>, destroyRemoved: boolean): Promise<MemberDiff> {
  const primaries = plan.clusters.filter((c) => c.role === 'primary').map((c) => clients.get(c.name));
  const { record } = await recordedMembers(primaries.filter((k): k is KubeClients => !!k && !(k instanceof Error)));
  const changes = memberChanges(plan, record);
  let former: Plan | string | undefined;
  if (changes.removed.length)
    try {
      former = formerPlan(loaded, plan, changes.removed);
    } catch (e) {
      former = (e as Error).message;
    }
  return memberDiff(plan, changes, former, destroyRemoved);
}

/**
 * --destroy-removed: the mesh as it was (the file's clusters and the removed ones, from the
 * record in the primaries), planned, and destroy run on the removed clusters' steps only.
 */
async function destroyRemovedClusters(plan: Plan, removed: MemberChanges['removed'], flags: ApplyFlags, loaded: LoadedMesh, io: Io): Promise<RemovedDestroy> {
  const former = formerPlan(loaded, plan, removed);
  const names = removed.map((r) => r.name);
  const steps = destroySteps(former, names);
  // Not the live view: apply's own view of the file's steps is still on the terminal.
  const progress = flags.output === 'json' ? jsonProgress((s) => io.out(s)) : io.quiet ? { event() {}, close() {} } : lineProgress((s) => io.err(s));
  const outcomes = await destroyMesh({ plan: former, ...meshDrivers(former, flags, loaded, DESTROY_TIMEOUT_MS), concurrency: flags.concurrency, clusters: names, onEvent: (e) => progress.event(e) });
  progress.close();
  return { steps, outcomes };
}

/** What apply says about clusters that joined or left the file, and the exit code that adds. */
export function describeMembers(plan: Plan, report: Pick<ApplyReport, 'members' | 'dryRun'>, flags: Pick<ApplyFlags, 'file' | 'destroyRemoved'>): { text: string; exit: number } {
  const m = report.members;
  const lines: string[] = [];
  let exit: number = EXIT.ok;
  for (const name of m.added) {
    const own = plan.steps.filter((s) => s.cluster === name).length;
    const holders = plan.steps.filter((s) => s.kind === 'remote-secret' && s.watched === name).map((s) => s.cluster);
    lines.push(`  ${name} joins the mesh: ${own} steps of its own${holders.length ? `, and its remote secret in ${holders.join(', ')}` : ''}`);
  }
  const destroyed = new Set(m.destroyed);
  for (const { name } of m.removed) {
    const left = `  ${name} left the mesh file: ${report.dryRun ? 'its remote secrets would be pruned from' : 'its remote secrets are pruned from'} every primary`;
    if (destroyed.has(name)) {
      lines.push(`${left}, and it was destroyed as \`meshfed destroy\` would (Istio uninstalled, meshfed's objects removed).`);
      continue;
    }
    lines.push(`${left}, but ${name} still runs Istio and what meshfed installed there.`);
    if (!flags.destroyRemoved) lines.push(`    To uninstall it: meshfed apply -f ${flags.file} --destroy-removed`);
    else if (report.dryRun) lines.push(`    Without --dry-run, --destroy-removed would uninstall it as \`meshfed destroy\` would.`);
    else if (m.destroySkipped) lines.push(`    Not destroyed: ${m.destroySkipped}. Run the same command again once fixed.`);
    else lines.push(`    Destroying it did not finish (below); run the same command again once fixed.`);
  }
  if (m.destroy && m.destroyed.length < m.removed.length) {
    const r = summarizeOutcomes({ steps: m.destroy.steps }, m.destroy.outcomes, 'Destroy of removed clusters', 0);
    lines.push(r.text.trimEnd());
    exit = r.exit === EXIT.ok ? EXIT.partial : r.exit;
  }
  for (const e of m.recordErrors) {
    lines.push(`  could not record the mesh's clusters in ${e.cluster} (a later apply may not see a cluster leave): ${e.error}`);
    if (exit === EXIT.ok) exit = EXIT.partial;
  }
  if (m.unreadable.length) lines.push(`  the member record in a primary has entries meshfed cannot read (ignored, and dropped from the record): ${m.unreadable.join(', ')}`);
  return { text: lines.length ? lines.join('\n') + '\n' : '', exit };
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
