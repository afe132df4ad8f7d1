import { describe, expect, it } from 'vitest';
import { runDag, type StepEvent } from '../../src/apply/index.js';
import type { Step } from '../../src/plan/index.js';

const step = (id: string, needs: string[] = []): Step => ({ id, kind: 'namespace', cluster: id.split(':')[1] ?? 'c', needs, description: id });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('runDag', () => {
  it('starts a step only after everything it needs is done, and as soon as it is', async () => {
    const steps = [step('a:1'), step('b:1', ['a:1']), step('c:2'), step('d:2', ['c:2', 'b:1'])];
    const order: string[] = [];
    await runDag(steps, {
      concurrency: 4,
      run: async (s) => {
        order.push(`start ${s.id}`);
        await sleep(s.id === 'a:1' ? 30 : 5);
        order.push(`end ${s.id}`);
        return { changed: true, detail: '' };
      },
    });
    const at = (e: string) => order.indexOf(e);
    expect(at('start b:1')).toBeGreaterThan(at('end a:1'));
    expect(at('start d:2')).toBeGreaterThan(at('end b:1'));
    expect(at('start d:2')).toBeGreaterThan(at('end c:2'));
    // c:2 needs nothing, so it runs alongside a:1 rather than after it.
    expect(at('start c:2')).toBeLessThan(at('end a:1'));
  });

  it('never runs more than `concurrency` steps at once', async () => {
    const steps = Array.from({ length: 12 }, (_, i) => step(`s${i}:c`));
    let now = 0;
    let peak = 0;
    await runDag(steps, {
      concurrency: 3,
      run: async () => {
        peak = Math.max(peak, ++now);
        await sleep(5);
        now--;
        return { changed: false, detail: '' };
      },
    });
    expect(peak).toBe(3);
  });

  it('a failure blocks only its dependents; independent steps finish; typed errors keep code, hint, cause', async () => {
    const steps = [step('a:1'), step('b:1', ['a:1']), step('c:1', ['b:1']), step('x:2'), step('y:2', ['x:2'])];
    const events: StepEvent[] = [];
    const fail = Object.assign(new Error('api server gone'), { code: 'MF6101', hint: 'start it', reason: 'unreachable' });
    const out = await runDag(steps, {
      concurrency: 2,
      run: async (s) => {
        if (s.id === 'a:1') throw fail;
        return { changed: true, detail: 'ok' };
      },
      onEvent: (e) => events.push(e),
    });
    expect(out.get('a:1')).toMatchObject({ status: 'failed', detail: 'api server gone', code: 'MF6101', hint: 'start it', cause: 'unreachable' });
    expect(out.get('b:1')?.status).toBe('blocked');
    expect(out.get('c:1')?.status).toBe('blocked');
    expect(out.get('x:2')?.status).toBe('done');
    expect(out.get('y:2')?.status).toBe('done');
    expect(events.filter((e) => e.type === 'finish')).toHaveLength(5);
    expect(events.filter((e) => e.type === 'start').map((e) => e.step.id).sort()).toEqual(['a:1', 'x:2', 'y:2']);
  });

  it('resolves for an empty plan', async () => {
    expect((await runDag([], { concurrency: 1, run: async () => ({ changed: false, detail: '' }) })).size).toBe(0);
  });
});
