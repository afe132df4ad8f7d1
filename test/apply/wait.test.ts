// apply's waits read the clock and sleep through the Clock they are given: a fake clock runs a
// three-minute wait in no time and shows the backoff.
import { describe, expect, it } from 'vitest';
import type { Clock } from '../../src/apply/index.js';
import { waitFor } from '../../src/apply/wait.js';

function fakeClock(): Clock & { slept: number[] } {
  let now = 0;
  const slept: number[] = [];
  return { slept, now: () => now, sleep: async (ms) => void (slept.push(ms), (now += ms)) };
}

describe('waitFor with a given clock', () => {
  it('gives up at the deadline of the given clock with MF8002, backing off from 250 ms to 2 s', async () => {
    const clock = fakeClock();
    const err = await waitFor(clock, async () => undefined, { timeoutMs: 180_000, what: 'the address', cluster: 'c1', hint: 'h' }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'MF8002', cluster: 'c1', reason: 'timeout' });
    expect((err as Error).message).toBe('c1: gave up waiting for the address after 180 s');
    expect(clock.slept.slice(0, 5)).toEqual([250, 500, 1000, 2000, 2000]);
    expect(clock.now()).toBeGreaterThan(180_000);
    expect(clock.now()).toBeLessThanOrEqual(182_000);
  });

  it('returns the first value the probe finds', async () => {
    const clock = fakeClock();
    let calls = 0;
    const v = await waitFor(clock, async () => (++calls === 3 ? 'ok' : undefined), { timeoutMs: 10_000, what: 'x', cluster: 'c1', hint: 'h' });
    expect(v).toBe('ok');
    expect(clock.slept).toEqual([250, 500]);
  });
});
