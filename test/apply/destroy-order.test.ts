import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { destroySteps } from '../../src/apply/index.js';
import { planMesh } from '../../src/plan/index.js';
import { validateMeshText } from '../../src/topology/index.js';

const plan = (name: string) => planMesh(validateMeshText(readFileSync(`examples/${name}/mesh.yaml`, 'utf8'), name).mesh!);

describe('destroy order', () => {
  it.each(['primary-remote-multi-network', 'multi-primary-multi-network', 'mix'])('%s: every step is undone only after every step that built on it', (name) => {
    const p = plan(name);
    const undo = destroySteps(p);
    expect(undo.map((s) => s.id).sort()).toEqual(p.steps.map((s) => s.id).sort());
    for (const s of p.steps)
      for (const n of s.needs) {
        // s needed n, so undoing n must wait for undoing s.
        expect(undo.find((u) => u.id === n)!.needs, `${n} waits for ${s.id}`).toContain(s.id);
      }
  });

  it('primary-remote: the remote secret goes before the primary\'s istiod, the remote\'s install before the primary\'s gateway', () => {
    const undo = destroySteps(plan('primary-remote-multi-network'));
    const needs = (id: string) => undo.find((u) => u.id === id)!.needs;
    expect(needs('istio:cluster01')).toContain('remote-secret:cluster01:cluster02');
    expect(needs('gateway-address:cluster01')).toContain('istio:cluster02');
  });
});
