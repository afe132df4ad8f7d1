import { spawn } from 'node:child_process';
import type { ClusterPlan } from '../plan/index.js';
import { ApplyError } from './errors.js';

export interface ToolResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a CLI (istioctl, helm) without a shell; output is captured, never echoed. */
export function runTool(binary: string, args: string[], opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<ToolResult> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(binary, args, { env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = opts.timeoutMs ? setTimeout(() => child.kill('SIGTERM'), opts.timeoutMs) : undefined;
    child.on('error', (e) => {
      if (timer) clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code) => {
      if (timer) clearTimeout(timer);
      resolveRun({ code: code ?? 1, stdout, stderr });
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
export const whereOf = (kubeconfig: string, c: Pick<ClusterPlan, 'name' | 'context'>): Where => ({ cluster: c.name, kubeconfig, context: c.context });

async function runInstaller(tool: 'istioctl' | 'helm', binary: string, args: string[], where: Where): Promise<ToolResult> {
  const target = tool === 'istioctl' ? ['--kubeconfig', where.kubeconfig, '--context', where.context] : ['--kubeconfig', where.kubeconfig, '--kube-context', where.context];
  const code = tool === 'istioctl' ? 'MF8001' : 'MF8007';
  let r: ToolResult;
  try {
    r = await runTool(binary, [...args, ...target], { timeoutMs: where.timeoutMs ?? 600_000 });
  } catch (e) {
    const hint =
      tool === 'istioctl'
        ? "install istioctl of the mesh's Istio version and put it on PATH, or pass --istioctl <path> (meshfed lab build builds one)"
        : 'install helm 3 and put it on PATH, or pass --helm <path> (meshfed lab build builds one)';
    throw new ApplyError({ code: code, message: `cannot run ${tool} (${binary}): ${(e as Error).message}`, hint: hint, cluster: where.cluster });
  }
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
