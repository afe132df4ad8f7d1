import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';

const BIN = resolve('bin/meshfed.js');

/** One `-o json` progress event of the CLI (a step's start or finish, with its outcome). */
export interface ChildEvent {
  type: string;
  step: string;
  cluster: string;
  status?: string;
  changed?: boolean;
  cause?: string;
}

export interface ChildRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  events: ChildEvent[];
  stderr: string;
}

/**
 * Runs the real CLI's `apply -o json` as a child, in its own process group; `onEvent` may kill
 * it (and its istioctl) with SIGKILL, as a crash or a killed terminal would.
 */
export function applyChild(meshPath: string, args: string[], onEvent: (e: ChildEvent, run: ChildRun, kill: () => void) => void = () => {}): Promise<ChildRun> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [BIN, 'apply', '-f', meshPath, '-o', 'json', ...args], { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    const run: ChildRun = { code: null, signal: null, events: [], stderr: '' };
    const kill = () => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    };
    child.stderr.on('data', (d: Buffer) => (run.stderr += d.toString()));
    createInterface({ input: child.stdout }).on('line', (line) => {
      const e = JSON.parse(line) as ChildEvent;
      run.events.push(e);
      onEvent(e, run, kill);
    });
    child.on('close', (code, signal) => done({ ...run, code, signal }));
  });
}
