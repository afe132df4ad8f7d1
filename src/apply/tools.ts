import { spawn } from 'node:child_process';
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

export async function istioctl(
  binary: string,
  args: string[],
  where: { cluster: string; kubeconfig: string; context: string; timeoutMs?: number },
): Promise<ToolResult> {
  const full = [...args, '--kubeconfig', where.kubeconfig, '--context', where.context];
  let r: ToolResult;
  try {
    r = await runTool(binary, full, { timeoutMs: where.timeoutMs ?? 600_000 });
  } catch (e) {
    throw new ApplyError('MF8001', `cannot run istioctl (${binary}): ${(e as Error).message}`, 'install istioctl of the mesh\'s Istio version and put it on PATH, or pass --istioctl <path> (meshfed lab build builds one)', where.cluster);
  }
  if (r.code !== 0)
    throw new ApplyError('MF8001', `istioctl ${args[0]} failed in ${where.cluster}:\n${tail(r.stderr || r.stdout)}`, `run it by hand to see everything: istioctl ${args.join(' ')} --context ${where.context}`, where.cluster);
  return r;
}
