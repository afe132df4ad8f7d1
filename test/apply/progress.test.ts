import { describe, expect, it } from 'vitest';
import { jsonProgress, lineProgress, liveProgress, type StepEvent, type StepOutcome } from '../../src/apply/index.js';
import type { Step } from '../../src/plan/index.js';

const steps: Step[] = [
  { id: 'namespace:c1', kind: 'namespace', cluster: 'c1', needs: [], description: 'ns' },
  { id: 'istio:c1', kind: 'istio', cluster: 'c1', needs: ['namespace:c1'], description: 'istio' },
  { id: 'remote-secret:c2:c1', kind: 'remote-secret', cluster: 'c2', watched: 'c1', needs: [], description: 'secret' },
];
const done = (ms: number, changed = true): StepOutcome => ({ status: 'done', changed, detail: changed ? 'applied X' : 'unchanged', durationMs: ms });
const failed: StepOutcome = { status: 'failed', changed: false, detail: 'c2: unreachable\nmore', code: 'MF7001', cause: 'unreachable', durationMs: 300 };
const events: StepEvent[] = [
  { type: 'start', step: steps[0]!, at: 1000 },
  { type: 'finish', step: steps[0]!, outcome: done(120), at: 1120 },
  { type: 'start', step: steps[1]!, at: 1120 },
  { type: 'finish', step: steps[1]!, outcome: done(50, false), at: 1170 },
  { type: 'start', step: steps[2]!, at: 1000 },
  { type: 'finish', step: steps[2]!, outcome: failed, at: 1300 },
];

function capture(make: (w: (s: string) => void) => { event(e: StepEvent): void; close(): void }): string {
  let out = '';
  const sink = make((s) => void (out += s));
  for (const e of events) sink.event(e);
  sink.close();
  return out;
}

describe('apply progress', () => {
  it('without a terminal: one line per finished step, changed ✓, unchanged =, failures named', () => {
    expect(capture(lineProgress).split('\n').filter(Boolean)).toEqual([
      '✓ namespace:c1 (0.1s) applied X',
      '= istio:c1 (0.1s) unchanged',
      '✗ remote-secret:c2:c1 FAILED (0.3s) c2: unreachable',
    ]);
  });

  it('-o json: one event per line with step, kind, cluster and the outcome', () => {
    const lines = capture(jsonProgress).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toHaveLength(6);
    expect(lines[0]).toEqual({ type: 'start', step: 'namespace:c1', kind: 'namespace', cluster: 'c1', at: new Date(1000).toISOString() });
    expect(lines[5]).toMatchObject({ type: 'finish', step: 'remote-secret:c2:c1', status: 'failed', code: 'MF7001', cause: 'unreachable', durationMs: 300 });
  });

  it('on a terminal: one row per cluster, redrawn in place, with each step state and duration', () => {
    const out = capture((w) => liveProgress(steps, w));
    const frames = out.split('\x1b[2A');
    expect(frames.length).toBeGreaterThan(1); // later frames move up over the two cluster rows
    const last = frames.at(-1)!.split('\n').filter(Boolean).map((l) => l.replace('\x1b[2K', ''));
    expect(last).toEqual(['c1             ✓namespace 0.1s  ✓istio 0.1s', 'c2             ✗secret(c1)']);
  });
});
