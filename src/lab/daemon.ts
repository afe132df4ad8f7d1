/**
 * What every detached lab process (the load balancer, the pod runner) does around its work:
 * take `--state-dir=<dir>`, read the lab's state there, stop on SIGTERM/SIGINT, log with a
 * timestamp, and turn its end into an exit code (64 usage, 66 no state, 1 fatal).
 */
import { join } from 'node:path';
import { readStateFile, type LabStateFile } from './state.js';

export interface LabDaemonContext {
  stateDir: string;
  state: LabStateFile;
  /** Aborted on SIGTERM or SIGINT. */
  signal: AbortSignal;
  log: (line: string) => void;
}

function log(line: string): void {
  process.stdout.write(`${new Date().toISOString()} ${line}\n`);
}

async function start(script: string, argv: string[], body: (ctx: LabDaemonContext) => Promise<void>): Promise<number> {
  const arg = argv.find((a) => a.startsWith('--state-dir='));
  if (!arg) {
    log(`usage: ${script} --state-dir=<lab state dir>`);
    return 64;
  }
  const stateDir = arg.slice('--state-dir='.length);
  const state = readStateFile(join(stateDir, 'state.json'));
  if (!state) {
    log(`no lab state in ${stateDir}`);
    return 66;
  }
  const controller = new AbortController();
  for (const sig of ['SIGTERM', 'SIGINT'] as const) process.on(sig, () => controller.abort());
  await body({ stateDir, state, signal: controller.signal, log });
  return 0;
}

/** Runs `body` as the process's main, setting its exit code. */
export function runLabDaemon(script: string, body: (ctx: LabDaemonContext) => Promise<void>): void {
  start(script, process.argv.slice(2), body).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      log(`fatal: ${(e as Error).stack ?? String(e)}`);
      process.exitCode = 1;
    },
  );
}
