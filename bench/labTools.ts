/** What the lab benches share: a process's resident memory, and the built CLI run as a user runs it. */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** A process's resident set, in bytes (0 once it is gone). */
export function rssBytes(pid: number): number {
  try {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

const meshfed = join(import.meta.dirname, '..', 'bin', 'meshfed.js');

/** `meshfed <args>` from dist/ (so `npm run build` first): its exit status, all it printed, and its stdout alone (the data of `-o json`). */
export function meshfedCli(...args: string[]): { status: number | null; out: string; stdout: string } {
  const r = spawnSync(process.execPath, [meshfed, ...args], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return { status: r.status, out: `${r.stdout}${r.stderr}`, stdout: r.stdout };
}
