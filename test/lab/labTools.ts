import { spawnSync } from 'node:child_process';

export interface RunResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the lab's real kubectl against one context of a kubeconfig. */
export function kubectl(binary: string, kubeconfig: string, context: string | undefined, args: string[], input?: string): RunResult {
  const full = ['--kubeconfig', kubeconfig, ...(context ? ['--context', context] : []), ...args];
  const r = spawnSync(binary, full, { encoding: 'utf8', input, timeout: 180_000 });
  return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

/** Polls until `check` returns a value (not undefined), or fails with the last reason. */
export async function eventually<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 60_000, intervalMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(`${what}: not true after ${timeoutMs} ms${last ? ` (last error: ${(last as Error).message})` : ''}`);
}
