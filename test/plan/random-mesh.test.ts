import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { orderSteps, planMesh } from '../../src/plan/index.js';
import { validateMeshText } from '../../src/topology/index.js';
import { checkPlanInvariants } from './invariants.js';
import { meshArb, meshYaml, plannedGateway } from './random-mesh.js';

/** A deterministic shuffle, so the property needs no source of randomness of its own. */
function shuffle<T>(items: T[], seed: number): T[] {
  const out = items.slice();
  let s = seed >>> 0 || 1;
  for (let i = out.length - 1; i > 0; i--) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

describe('random valid topologies', () => {
  it('validate without errors and plan with every invariant kept', () => {
    fc.assert(
      fc.property(meshArb, fc.nat(), (g, seed) => {
        const text = meshYaml(g);
        const v = validateMeshText(text, 'random.yaml');
        expect(v.diagnostics.filter((d) => d.severity === 'error'), text).toEqual([]);
        expect(v.ok).toBe(true);
        const mesh = v.mesh!;
        const plan = planMesh(mesh);
        const index = new Map(g.clusters.map((c, i) => [c.name, i]));
        checkPlanInvariants(mesh, plan, (name) => plannedGateway(g, index.get(name)!));

        // The order does not depend on the order steps come in.
        const names = mesh.spec.clusters.map((c) => c.name);
        expect(orderSteps(shuffle(plan.steps, seed), names).map((s) => s.id)).toEqual(plan.steps.map((s) => s.id));
      }),
      { numRuns: 300 },
    );
  });
});
