import { readFileSync } from 'node:fs';
import { pollUntil } from '../kube/index.js';
import { LAB_ERROR_CODES, LabError, quoteLogTail } from './errors.js';
import { isAlive } from './processes.js';
import type { RecordedProcess } from './state.js';

function logTail(path: string): string {
  try {
    const text = readFileSync(path, 'utf8');
    return quoteLogTail(text.slice(-20_000));
  } catch {
    return '    | (no log)';
  }
}

/** Fails with the component's own last words when one of `processes` has exited. */
export function assertRunning(processes: RecordedProcess[]): void {
  for (const p of processes) {
    if (isAlive(p.pid)) continue;
    const who = p.cluster ? `${p.component} of ${p.cluster}` : p.component;
    throw new LabError({ code: LAB_ERROR_CODES.componentExited, message: `${who} (pid ${p.pid}) exited while the lab was starting; the end of ${p.log}:\n${logTail(p.log)}`, hint: 'fix the cause in that log, then run `meshfed lab up` again (it cleans up what was started)', cluster: p.cluster });
  }
}

export interface WaitUntilOptions {
  what: string;
  cluster?: string;
  timeoutMs: number;
  intervalMs?: number;
  /** Returns true when done, or a short reason why not yet. */
  check: () => Promise<true | string>;
  /** Processes whose exit ends the wait at once. */
  processes: RecordedProcess[];
  /** Its log is quoted on timeout. */
  logOf?: RecordedProcess;
}

export async function waitUntil(opts: WaitUntilOptions): Promise<void> {
  let last = 'not checked yet';
  const done = await pollUntil(
    async () => {
      assertRunning(opts.processes);
      const r = await opts.check().catch((e: unknown) => (e as Error).message);
      if (r === true) return true;
      last = r;
      return undefined;
    },
    { timeoutMs: opts.timeoutMs, intervalMs: opts.intervalMs ?? 250 },
  );
  if ('value' in done) return;
  const tail = opts.logOf ? `; the end of ${opts.logOf.log}:\n${logTail(opts.logOf.log)}` : '';
  throw new LabError({ code: LAB_ERROR_CODES.notReady, message: `${opts.what} not ready after ${Math.round(opts.timeoutMs / 1000)} s (${last})${tail}`, hint: 'the machine may be overloaded (each API server needs a CPU for its first seconds); run `meshfed lab up` again, or start fewer clusters', cluster: opts.cluster });
}
