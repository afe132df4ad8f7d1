/**
 * A spawned tool (istioctl, helm) that hangs is killed at its deadline: SIGTERM, then SIGKILL
 * for one that ignores SIGTERM. The tools are stand-ins (node child processes): a unit test of timing.
 */
import { describe, expect, it } from 'vitest';
import { istioctl, runTool } from '../../src/apply/tools.js';

const hang = (ignoreTerm: boolean) => ['-e', `${ignoreTerm ? "process.on('SIGTERM', () => {});" : ''} setInterval(() => {}, 1000); console.log('started')`];

describe('runTool at its deadline', () => {
  it('a hung tool is killed at timeoutMs and reported as timed out', async () => {
    const started = Date.now();
    const r = await runTool(process.execPath, hang(false), { timeoutMs: 500 });
    expect(r.timedOut).toBe(true);
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('a tool that ignores SIGTERM is killed with SIGKILL shortly after', async () => {
    const started = Date.now();
    const r = await runTool(process.execPath, hang(true), { timeoutMs: 500 });
    expect(r.timedOut).toBe(true);
    expect(r.stdout).toContain('started');
    expect(Date.now() - started).toBeLessThan(4_500);
  });

  it('a tool that finishes in time is not marked', async () => {
    const r = await runTool(process.execPath, ['-e', 'process.exit(3)'], { timeoutMs: 5_000 });
    expect(r).toMatchObject({ code: 3 });
    expect(r.timedOut).toBeUndefined();
  });

  it('istioctl killed at the deadline is MF8001 with reason timeout, naming the cluster', async () => {
    // The "binary" is node; istioctl's arguments go to the script, which hangs.
    const err = await istioctl(process.execPath, [...hang(false), '--'], { cluster: 'c1', kubeconfig: '/dev/null', context: 'c1', timeoutMs: 500 }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'MF8001', reason: 'timeout', cluster: 'c1' });
    expect((err as Error).message).toMatch(/in c1 was killed after 1 s \(--timeout\)/);
  });
});
