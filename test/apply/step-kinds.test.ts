// One table of step kinds: every kind a plan can hold has the objects it owns (src/plan) and a
// run, an undo and a prune (src/apply); a kind missing from either table does not compile.
import { describe, expect, it } from 'vitest';
import { STEP_HANDLERS, type StepHandler } from '../../src/apply/index.js';
import { planAgainst, planMesh, STEP_KINDS, STEP_OBJECTS, type ObservedState, type StepKind } from '../../src/plan/index.js';
import { validateMeshFile } from '../../src/topology/index.js';
import { GOLDEN_EXAMPLES } from '../render/helpers.js';

async function kindsInExamples(): Promise<Set<StepKind>> {
  const kinds = new Set<StepKind>();
  for (const file of Object.values(GOLDEN_EXAMPLES)) {
    const v = await validateMeshFile(file);
    expect(v.ok, file).toBe(true);
    const plan = planMesh(v.mesh!);
    for (const s of plan.steps) kinds.add(s.kind);
    // A canary's phases appear once a cluster holds an old revision beside the mesh file's.
    const twoRevisions: ObservedState = Object.fromEntries(plan.clusters.map((c) => [c.name, { reachable: true, istiods: [], recorded: { revision: 'default', revisions: ['default', 'old'] }, steps: {}, podsByRevision: {} }]));
    for (const s of planAgainst(plan, twoRevisions).plan.steps) kinds.add(s.kind);
  }
  return kinds;
}

describe('the table of step kinds', () => {
  it('lists exactly the kinds the example plans use, in both layers', async () => {
    const seen = [...(await kindsInExamples())].sort();
    expect([...STEP_KINDS].sort()).toEqual(seen);
    expect(Object.keys(STEP_HANDLERS).sort()).toEqual(seen);
    expect(Object.keys(STEP_OBJECTS).sort()).toEqual(seen);
  });

  it('gives every kind its objects, a run, an undo and a prune', () => {
    for (const kind of STEP_KINDS) {
      const h: Partial<StepHandler> | undefined = (STEP_HANDLERS as Partial<Record<StepKind, StepHandler>>)[kind];
      expect(h, `${kind} has a handler`).toBeDefined();
      for (const phase of ['run', 'undo', 'prune'] as const) expect(typeof h?.[phase], `${kind}.${phase}`).toBe('function');
      expect(typeof STEP_OBJECTS[kind], `${kind}'s objects`).toBe('function');
    }
  });

  it('objects owned: every object a step owns is listed once in its cluster', async () => {
    for (const file of Object.values(GOLDEN_EXAMPLES)) {
      const v = await validateMeshFile(file);
      const plan = planMesh(v.mesh!);
      for (const c of plan.clusters) {
        const keys = c.resources.map((r) => `${r.apiVersion}/${r.kind}/${r.namespace ?? ''}/${r.name}`);
        expect(new Set(keys).size, `${file}: ${c.name} lists no object twice`).toBe(keys.length);
      }
    }
  });
});

// The compiler is the first check: a table without a kind's entry is a type error.
const { routes: _routes, ...missingOne } = STEP_HANDLERS;
// @ts-expect-error — 'routes' is missing, so this is not a Record<StepKind, StepHandler>.
const _rejected: Record<StepKind, StepHandler> = missingOne;
