import { describeRootStage, readRootStage } from '../../pki/index.js';
import { InvalidArgumentError } from 'commander';
import { clientsFor, runTool, tail } from '../../apply/index.js';
import { CHECKS, checkByCode, judgeMesh, meshStatus, parseAnalyze, readMesh, readMeshTrustView, type AnalyzeResult, type AnalyzeRun, type DoctorReport, type Finding, type StatusReport } from '../../doctor/index.js';
import { planMesh } from '../../plan/index.js';
import { resolveIstioctl, resolveKubeconfig } from '../environment.js';
import { CommandExit, EXIT } from '../exit.js';
import type { Io } from '../io.js';
import { loadMesh, type LoadedMesh } from '../mesh.js';

export interface DoctorFlags {
  file: string;
  istioctl?: string;
  /** --no-analyze: skip `istioctl analyze`. */
  analyze: boolean;
  output: string;
  check: string[];
  /** Seconds, checked by the flag's parser: positive. */
  timeout: number;
  kubeconfig?: string;
}

/** `--check CODE`: a code of the registry, else a usage error naming the flag. */
export function checkCode(value: string, previous: string[] = []): string[] {
  const code = value.trim().toUpperCase();
  if (!checkByCode(code)) throw new InvalidArgumentError(`not the code of a check; doctor's checks are MF4xxx codes (the README's doctor table lists them).`);
  return [...previous, code];
}

const MARK: Record<Finding['severity'], string> = { ok: '✓', warning: '⚠', error: '✗' };

/** linkerd check's layout: a block per cluster, a line per finding, cause and fix under what is wrong. */
export function formatDoctor(report: DoctorReport): string {
  const lines: string[] = [];
  for (const c of report.clusters) {
    lines.push(c.cluster, '-'.repeat(c.cluster.length));
    for (const f of c.findings) {
      lines.push(`${MARK[f.severity]} ${f.check} [${f.code}]: ${f.evidence}`);
      if (f.severity !== 'ok') {
        if (f.resource) lines.push(`    resource: ${f.resource}`);
        if (f.cause) lines.push(`    cause: ${f.cause}`);
        if (f.fix) lines.push(`    fix: ${f.fix}`);
      }
    }
    lines.push('');
  }
  const s = report.summary;
  const verdict = s.unreachable.length ? `✗ unreachable: ${s.unreachable.join(', ')}` : s.errors ? '✗' : s.warnings ? '⚠' : '✓';
  lines.push(`Status check results are ${verdict}: ${s.ok} ok, ${s.warnings} warning${s.warnings === 1 ? '' : 's'}, ${s.errors} error${s.errors === 1 ? '' : 's'}`);
  return lines.join('\n') + '\n';
}

/** istioctl analyze reads every cluster of the mesh: it gets longer than one request. */
const ANALYZE_TIMEOUT_MS = 60_000;

/** `istioctl analyze -A -o json` of the mesh, in one cluster's context with the others as remote contexts; exit 79 means it found issues, which the JSON holds. */
function istioctlAnalyzer(binary: string, kubeconfig: string) {
  return async (run: AnalyzeRun): Promise<AnalyzeResult> => {
    try {
      const remotes = run.remotes.flatMap((c) => ['--remote-contexts', c.context]);
      const r = await runTool(binary, ['analyze', '--all-namespaces', '--output', 'json', '--kubeconfig', kubeconfig, '--context', run.context.context, ...remotes], { timeoutMs: ANALYZE_TIMEOUT_MS });
      if (r.timedOut) return { error: `killed after ${ANALYZE_TIMEOUT_MS / 1000} s` };
      const messages = r.code === 0 || r.code === 79 ? parseAnalyze(r.stdout) : undefined;
      return messages ? { messages } : { error: `${binary} analyze exited ${r.code}: ${tail(r.stderr || r.stdout, 3)}` };
    } catch (e) {
      return { error: `cannot run ${binary}: ${(e as Error).message}` };
    }
  };
}

/** One doctor run over a loaded mesh: every cluster read in parallel, then judged. Also what `serve --doctor-every` runs. */
export async function runDoctor(loaded: LoadedMesh, opts: { file: string; timeout: number; check?: string[]; kubeconfig?: string; analyze: boolean; istioctl?: string }): Promise<DoctorReport> {
  const plan = planMesh(loaded.mesh);
  const ms = opts.timeout * 1000;
  const asked = opts.check ?? [];
  const kubeconfig = resolveKubeconfig(opts.kubeconfig, loaded);
  // doctor sends some thirty requests per cluster: one TLS context and resumed sessions for them.
  const clients = clientsFor(plan, kubeconfig, { requestTimeoutMs: ms, reuseConnections: true });
  const checks = asked.length ? CHECKS.filter((c) => asked.includes(c.code)) : CHECKS;
  const reading = await readMesh({ plan, clients, probeTimeoutMs: ms, syncView: checks.some((c) => c.code === 'MF4050'), probeSecrets: checks.some((c) => c.code === 'MF4034' || c.code === 'MF4035'),
    ...(opts.analyze && checks.some((c) => c.code === 'MF4080') ? { analyze: istioctlAnalyzer(resolveIstioctl(opts.istioctl, loaded), kubeconfig) } : {}),
  });
  return judgeMesh(
    { plan, ...reading, ...(await readMeshTrustView(loaded.rootDir)), now: new Date(), meshFile: opts.file, applyCommand: `meshfed apply -f ${opts.file}`, kubeconfig },
    // An unreachable cluster is always reported, whichever check was asked for.
    asked.length ? CHECKS.filter((c) => c.code === 'MF4001' || checks.includes(c)) : CHECKS,
  );
}

export async function doctorCommand(flags: DoctorFlags, io: Io): Promise<void> {
  const loaded = await loadMesh(flags.file, io);
  const report = await runDoctor(loaded, { file: flags.file, timeout: flags.timeout, check: flags.check, analyze: flags.analyze, ...(flags.kubeconfig ? { kubeconfig: flags.kubeconfig } : {}), ...(flags.istioctl ? { istioctl: flags.istioctl } : {}) });
  io.out(flags.output === 'json' ? JSON.stringify(report, null, 2) + '\n' : formatDoctor(report));
  if (report.summary.unreachable.length) throw new CommandExit(EXIT.unreachable);
  if (report.summary.errors) throw new CommandExit(EXIT.partial);
}

export interface StatusFlags {
  file: string;
  output: string;
  timeout: number;
  kubeconfig?: string;
}

export function formatStatus(report: StatusReport): string {
  const lines: string[] = [];
  for (const c of report.clusters) {
    lines.push(`${c.cluster}  ${c.role}  ${c.network || '-'}  ${c.reachable ? 'reachable' : `unreachable: ${c.error ?? ''}`}`);
    if (!c.reachable) continue;
    if (c.istio) lines.push(`  istio: ${c.istio.deployment} ${c.istio.version ?? '(no version tag)'} revision ${c.istio.revision}, image ${c.istio.image}, ${c.istio.readyReplicas} ready`);
    lines.push(`  meshfed state: ${c.state ? `mesh ${c.state.mesh ?? '?'}, installed ${c.state.installed.join(', ') || 'nothing'}` : 'none (never applied)'}`);
    if (c.gateway) lines.push(`  east-west gateway: ${c.gateway.address ?? 'no address'}${c.gateway.pinned ? ` (pinned ${c.gateway.pinned})` : ''}`);
    const applied = c.steps.filter((s) => s.state === 'applied').length;
    lines.push(`  steps: ${applied} of ${c.steps.length} applied${c.steps.some((s) => s.state === 'manual') ? ` (${c.steps.filter((s) => s.state === 'manual').map((s) => s.id).join(', ')} by hand)` : ''}`);
    for (const s of c.steps.filter((x) => x.state === 'missing')) lines.push(`    missing ${s.id}${s.missing ? `: ${s.missing.join(', ')}` : ''}`);
    if (c.remoteSecrets) lines.push(`  remote secrets: ${c.remoteSecrets.map((s) => `${s.watched} ${s.state}`).join(', ') || 'none planned'}`);
    lines.push(c.drift.length ? `  drift:\n${c.drift.map((d) => `    ${d}`).join('\n')}` : '  drift: none');
  }
  lines.push('', report.drift ? 'Drift: the clusters differ from the mesh file (run meshfed doctor for causes and fixes, meshfed apply to repair).' : 'No drift: the clusters match the mesh file.');
  return lines.join('\n') + '\n';
}

export async function statusCommand(flags: StatusFlags, io: Io): Promise<void> {
  const loaded = await loadMesh(flags.file, io);
  const plan = planMesh(loaded.mesh);
  const clients = clientsFor(plan, resolveKubeconfig(flags.kubeconfig, loaded), { requestTimeoutMs: flags.timeout * 1000, reuseConnections: true });
  const reading = await readMesh({ plan, clients, probeTimeoutMs: flags.timeout * 1000, syncView: false, probeSecrets: false });
  const report = meshStatus(plan, reading.live);
  // A root rotation in progress is the trust folder's state (certs --rotate-root), shown beside the live one.
  const stage = await readRootStage(loaded.rootDir);
  const rootRotation = stage ? { stage, description: describeRootStage(stage) } : undefined;
  io.out(flags.output === 'json' ? JSON.stringify({ ...report, ...(rootRotation ? { rootRotation } : {}) }, null, 2) + '\n' : formatStatus(report) + (rootRotation ? `root rotation: ${rootRotation.description}\n` : ''));
  if (report.clusters.some((c) => !c.reachable)) throw new CommandExit(EXIT.unreachable);
  if (report.drift) throw new CommandExit(EXIT.partial);
}
