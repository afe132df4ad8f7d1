import { describe, expect, it } from 'vitest';
import { orderSteps, PlanCycleError, type Step, type StepKind } from '../../src/plan/index.js';

const step = (kind: StepKind, cluster: string, needs: string[] = []): Step => ({ id: `${kind}:${cluster}`, kind, cluster, needs, description: kind });

describe('orderSteps', () => {
  it('throws PlanCycleError (MF0001) naming the steps caught in a cycle', () => {
    const steps = [step('namespace', 'a'), step('istio', 'a', ['cacerts:a', 'namespace:a']), step('cacerts', 'a', ['istio:a']), step('namespace', 'b')];
    let error: unknown;
    try {
      orderSteps(steps, ['a', 'b']);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(PlanCycleError);
    const cycle = error as PlanCycleError;
    expect(cycle.code).toBe('MF0001');
    expect(cycle.stuck.slice().sort()).toEqual(['cacerts:a', 'istio:a']);
    expect(cycle.message).toContain('cycle');
    expect(cycle.hint.trim()).not.toBe('');
  });

  it('treats a step needing itself as a cycle', () => {
    expect(() => orderSteps([step('namespace', 'a', ['namespace:a'])], ['a'])).toThrow(PlanCycleError);
  });

  it('rejects a need that names no step, which is not a cycle', () => {
    let error: unknown;
    try {
      orderSteps([step('istio', 'a', ['namespace:zz'])], ['a']);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(PlanCycleError);
    expect((error as Error).message).toContain('namespace:zz');
  });

  it('puts every step after what it needs, else in cluster order then kind order', () => {
    // b's namespace is needed by a's istio, so it must move ahead of it.
    const steps = [step('istio', 'a', ['namespace:a', 'namespace:b']), step('cacerts', 'b', ['namespace:b']), step('namespace', 'b'), step('namespace', 'a')];
    expect(orderSteps(steps, ['a', 'b']).map((s) => s.id)).toEqual(['namespace:a', 'namespace:b', 'istio:a', 'cacerts:b']);
    expect(orderSteps(steps, ['b', 'a']).map((s) => s.id)).toEqual(['namespace:b', 'cacerts:b', 'namespace:a', 'istio:a']);
  });
});
