import { spawn } from 'node:child_process';
import type { ClusterPlan } from '../plan/index.js';
import { ApplyError } from './errors.js';

export interface ToolResult {
  code: number;
  stdout: string;
  stderr: string;
  /** Killed at `timeoutMs`: it ran past its deadline. */
  timedOut?: boolean;
}

/** After SIGTERM at the deadline, how long a tool gets to exit before SIGKILL (a hung one ignores SIGTERM). */
const KILL_GRACE_MS = 2_000;

/** Runs a CLI (istioctl, helm) without a shell; output is captured, never echoed; killed at `timeoutMs`. */
export function runTool(binary: string, args: string[], opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<ToolResult> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(binary, args, { env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    let timedOut = false;
    let hardKill: NodeJS.Timeout | undefined;
    const timer = opts.timeoutMs
      ? setTimeout(() => {
          timedOut = true;
          child.kill('SIGTERM');
          hardKill = setTimeout(() => child.kill('SIGKILL'), KILL_GRACE_MS);
        }, opts.timeoutMs)
      : undefined;
    const done = () => {
      clearTimeout(timer);
      clearTimeout(hardKill);
    };
    child.on('error', (e) => {
      done();
      reject(e);
    });
    child.on('close', (code) => {
      done();
      resolveRun({ code: code ?? 1, stdout, stderr, ...(timedOut ? { timedOut } : {}) });
    });
  });
}

/** The last lines of a tool's output, for an error message (tools print no secrets we pass). */
export function tail(text: string, lines = 6): string {
  return text.trim().split('\n').slice(-lines).join('\n');
}

/** Which cluster an installer (istioctl, helm) works on. */
export interface Where {
  cluster: string;
  kubeconfig: string;
  context: string;
  timeoutMs?: number;
}

/** A cluster of the plan, reached through the operator's kubeconfig. */
export const whereOf = (kubeconfig: string, c: Pick<ClusterPlan, 'name' | 'context'>, timeoutMs?: number): Where => ({ cluster: c.name, kubeconfig, context: c.context, ...(timeoutMs ? { timeoutMs } : {}) });

async function runInstaller(tool: 'istioctl' | 'helm', binary: string, args: string[], where: Where): Promise<ToolResult> {
  const target = tool === 'istioctl' ? ['--kubeconfig', where.kubeconfig, '--context', where.context] : ['--kubeconfig', where.kubeconfig, '--kube-context', where.context];
  const code = tool === 'istioctl' ? 'MF8001' : 'MF8007';
  const timeoutMs = where.timeoutMs ?? 600_000;
  let r: ToolResult;
  try {
    r = await runTool(binary, [...args, ...target], { timeoutMs });
  } catch (e) {
    const hint =
      tool === 'istioctl'
        ? "install istioctl of the mesh's Istio version and put it on PATH, or pass --istioctl <path> (meshfed lab build builds one)"
        : 'install helm 3 and put it on PATH, or pass --helm <path> (meshfed lab build builds one)';
    throw new ApplyError({ code: code, message: `cannot run ${tool} (${binary}): ${(e as Error).message}`, hint: hint, cluster: where.cluster });
  }
  if (r.timedOut)
    throw new ApplyError({ code: code, message: `${tool} ${args.slice(0, 2).join(' ')} in ${where.cluster} was killed after ${Math.round(timeoutMs / 1000)} s (--timeout)${r.stderr || r.stdout ? `:\n${tail(r.stderr || r.stdout)}` : ''}`, hint: `check that ${where.cluster}'s API server answers; raise --timeout if the install is merely slow`, cluster: where.cluster, reason: 'timeout' });
  if (r.code !== 0)
    throw new ApplyError({ code: code, message: `${tool} ${args.slice(0, 2).join(' ')} failed in ${where.cluster}:\n${tail(r.stderr || r.stdout)}`, hint: `run it by hand to see everything: ${tool} ${args.join(' ')} ${target.slice(2).join(' ')}`, cluster: where.cluster });
  return r;
}

export function istioctl(binary: string, args: string[], where: Where): Promise<ToolResult> {
  return runInstaller('istioctl', binary, args, where);
}

export function helm(binary: string, args: string[], where: Where): Promise<ToolResult> {
  return runInstaller('helm', binary, args, where);
}
