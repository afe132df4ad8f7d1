import { spawn } from 'node:child_process';
import { resolve } from 'node:path';

// The CLI as bin/meshfed.js runs it, from the sources (no build needed).
const ENTRY = "import { main } from './src/cli/main.ts'; main(process.argv.slice(1)).then((c) => { process.exitCode = c; });";

export interface ProcessRun {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/**
 * Runs meshfed in a child process. With `closeStdoutAfterFirstChunk` its stdout reader goes
 * away after the first chunk, as `| head -c1` does; `timeoutMs` kills a run that hangs.
 */
export function runMeshfedProcess(args: string[], opts: { closeStdoutAfterFirstChunk?: boolean; timeoutMs?: number } = {}): Promise<ProcessRun> {
  const t0 = performance.now();
  return new Promise((done) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', ENTRY, '--', ...args], { cwd: resolve('.'), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (opts.closeStdoutAfterFirstChunk) child.stdout.destroy();
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      done({ code, stdout, stderr, ms: performance.now() - t0 });
    });
  });
}
