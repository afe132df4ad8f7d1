// Planning against what is live (src/plan/live.ts): the mesh file's plan and hand-written
// observed states give the changes per cluster and the upgrade's steps and order. Pure.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { planAgainst, planMesh, stepsUntil, summarizeChanges, type ObservedCluster, type ObservedState, type Plan } from '../../src/plan/index.js';
import { validateMeshText } from '../../src/topology/index.js';
import { examplePlan } from './helpers.js';
import { meshArb, meshYaml } from './random-mesh.js';

/** A cluster as meshfed left it: every step applied, the recorded install as given. */
function applied(plan: Plan, cluster: string, install: { version: string; revision: string; revisions?: string[] }): ObservedCluster {
  const steps = Object.fromEntries(plan.steps.filter((s) => s.cluster === cluster && !s.manual).map((s) => [s.id, 'applied' as const]));
  const role = plan.clusters.find((c) => c.name === cluster)!.role;
  return {
    reachable: true,
    istiods: role === 'primary' ? (install.revisions ?? [install.revision]).map((r) => ({ revision: r, version: install.version, readyReplicas: 1 })) : [],
    recorded: { mesh: plan.mesh.name, version: install.version, revision: install.revision, installer: 'istioctl', revisions: install.revisions ?? [install.revision] },
    steps,
    podsByRevision: {},
  };
}
const everywhere = (plan: Plan, f: (cluster: string) => ObservedCluster): ObservedState => Object.fromEntries(plan.clusters.map((c) => [c.name, f(c.name)]));
const withMesh = (plan: Plan, istio: Partial<Plan['mesh']['istio']>): Plan => ({ ...plan, mesh: { ...plan.mesh, istio: { ...plan.mesh.istio, ...istio } } });
const index = (plan: Plan) => new Map(plan.steps.map((s, i) => [s.id, i]));

describe('planning against the live clusters', () => {
  it('offline (nothing observed): every cluster unknown, and the plan is the plan of the file', async () => {
    const plan = await examplePlan('primary-remote');
    const live = planAgainst(plan, {});
    expect(live.changes.map((x) => [x.cluster, x.action, x.reason])).toEqual([
      ['cluster01', 'unknown', 'not read (offline)'],
      ['cluster02', 'unknown', 'not read (offline)'],
    ]);
    expect(live.plan.steps).toEqual(plan.steps);
  });

  it('empty clusters: create, listing every step that will run; an unreachable one says why', async () => {
    const plan = await examplePlan('multi-primary');
    const live = planAgainst(plan, {
      cluster01: { reachable: true, istiods: [], steps: {}, podsByRevision: {} },
      cluster02: { reachable: false, error: 'connect ECONNREFUSED 172.18.0.3:6443', istiods: [], steps: {}, podsByRevision: {} },
    });
    expect(live.changes[0]).toMatchObject({ action: 'create', to: { version: plan.mesh.istio.version, revision: 'default' } });
    expect(live.changes[0]!.steps).toEqual(plan.steps.filter((s) => s.cluster === 'cluster01' && !s.manual).map((s) => s.id));
    expect(live.changes[1]).toMatchObject({ action: 'unknown', reason: 'connect ECONNREFUSED 172.18.0.3:6443' });
  });

  it('an applied mesh at the same version: unchanged, and no step is added or reordered', async () => {
    const plan = await examplePlan('primary-remote-multi-network');
    const live = planAgainst(plan, everywhere(plan, (c) => applied(plan, c, { version: plan.mesh.istio.version, revision: 'default' })));
    expect(live.changes.map((x) => x.action)).toEqual(['unchanged', 'unchanged']);
    expect(live.plan.steps).toEqual(plan.steps);
    expect(summarizeChanges(live.changes)).toContain('Plan: 0 to create, 0 to upgrade in place, 0 canary, 0 to change, 2 unchanged.');
  });

  it('a step whose objects are gone or whose install files changed: change, naming the step', async () => {
    const plan = await examplePlan('multi-primary');
    const o = everywhere(plan, (c) => applied(plan, c, { version: plan.mesh.istio.version, revision: 'default' }));
    o['cluster02']!.steps['istio:cluster02'] = 'stale';
    o['cluster02']!.steps['remote-secret:cluster02:cluster01'] = 'missing';
    const x = planAgainst(plan, o).changes[1]!;
    expect(x).toMatchObject({ action: 'change', steps: ['istio:cluster02', 'remote-secret:cluster02:cluster01'] });
  });

  it('a new version: upgrade in place from → to; primaries one at a time, every remote after its primary', async () => {
    const mix = await examplePlan('mix');
    const plan = withMesh(mix, { version: '1.31.0' });
    const live = planAgainst(plan, everywhere(plan, (c) => applied(plan, c, { version: '1.30.2', revision: 'default' })));
    for (const x of live.changes) expect(x).toMatchObject({ action: 'upgrade', from: { version: '1.30.2', revision: 'default' }, to: { version: '1.31.0', revision: 'default' } });
    const at = index(live.plan);
    const primaries = plan.clusters.filter((c) => c.role === 'primary').map((c) => c.name);
    expect(primaries.length).toBeGreaterThan(1);
    for (let i = 1; i < primaries.length; i++) {
      const s = live.plan.steps.find((x) => x.id === `istio:${primaries[i]}`)!;
      expect(s.needs).toContain(`istio:${primaries[i - 1]}`);
      expect(at.get(`istio:${primaries[i - 1]}`)!).toBeLessThan(at.get(s.id)!);
    }
    for (const r of plan.clusters.filter((c) => c.role === 'remote')) expect(live.plan.steps.find((x) => x.id === `istio:${r.name}`)!.needs).toContain(`istio:${r.primary}`);
    expect(live.plan.steps.find((s) => s.id === `istio:${primaries[0]}`)!.description).toContain('upgrade in place 1.30.2 → 1.31.0, verified before the clusters after it');
    expect(summarizeChanges(live.changes)).toContain(`~ ${primaries[0]} (primary): upgrade in place 1.30.2 → 1.31.0`);
  });

  it('a new revision: canary with move and remove-old phases; --until install stops before the move', async () => {
    const base = await examplePlan('primary-remote');
    const plan = withMesh(base, { revision: 'canary' });
    // after the install phase the clusters hold both revisions, meshfed's record says so
    const both = planAgainst(plan, everywhere(plan, (c) => applied(plan, c, { version: plan.mesh.istio.version, revision: 'canary', revisions: ['canary', 'default'] })));
    expect(both.changes.map((x) => [x.action, x.oldRevisions])).toEqual([
      ['canary', ['default']],
      ['canary', ['default']],
    ]);
    const ids = both.plan.steps.filter((s) => s.phase).map((s) => `${s.phase} ${s.id}`);
    expect(ids.sort()).toEqual(['move revision-tags:cluster01:default', 'move revision-tags:cluster02:default', 'remove-old revision-remove:cluster01:default', 'remove-old revision-remove:cluster02:default']);
    const at = index(both.plan);
    // every tag moves before any revision goes, and the primary's old revision after its remote's
    for (const t of ['revision-tags:cluster01:default', 'revision-tags:cluster02:default']) for (const r of ['revision-remove:cluster01:default', 'revision-remove:cluster02:default']) expect(at.get(t)!).toBeLessThan(at.get(r)!);
    expect(both.plan.steps.find((s) => s.id === 'revision-remove:cluster01:default')!.needs).toContain('revision-remove:cluster02:default');
    expect(stepsUntil(both.plan.steps, 'install').some((s) => s.phase)).toBe(false);
    expect(stepsUntil(both.plan.steps, 'move').map((s) => s.kind)).not.toContain('revision-remove');
    expect(stepsUntil(both.plan.steps, 'remove-old')).toEqual(both.plan.steps);
    // before the install: the old revision alone runs; once removed, nothing is left to do
    const before = planAgainst(plan, everywhere(plan, (c) => applied(base, c, { version: plan.mesh.istio.version, revision: 'default' })));
    expect(before.changes[0]).toMatchObject({ action: 'canary', from: { revision: 'default' }, to: { revision: 'canary' }, oldRevisions: ['default'] });
    const after = planAgainst(plan, everywhere(plan, (c) => applied(plan, c, { version: plan.mesh.istio.version, revision: 'canary' })));
    expect(after.changes.map((x) => x.action)).toEqual(['unchanged', 'unchanged']);
    expect(after.plan.steps.some((s) => s.phase)).toBe(false);
  });

  it('random meshes: with an old revision everywhere, the phased plan is ordered, acyclic, and removes no primary revision before its remotes', () => {
    fc.assert(
      fc.property(meshArb, (g) => {
        const v = validateMeshText(meshYaml(g), 'random.yaml');
        const plan = withMesh(planMesh(v.mesh!), { revision: 'next' });
        const live = planAgainst(plan, everywhere(plan, (c) => applied(plan, c, { version: plan.mesh.istio.version, revision: 'next', revisions: ['next', 'prev'] })));
        const at = index(live.plan);
        for (const s of live.plan.steps) for (const n of s.needs) expect(at.get(n), `${s.id} needs ${n}`).toBeLessThan(at.get(s.id)!);
        expect(live.plan.steps.filter((s) => s.kind === 'revision-remove')).toHaveLength(plan.clusters.length);
        const lastTag = Math.max(...live.plan.steps.filter((s) => s.kind === 'revision-tags').map((s) => at.get(s.id)!));
        for (const c of plan.clusters) {
          const rm = at.get(`revision-remove:${c.name}:prev`)!;
          expect(rm).toBeGreaterThan(lastTag);
          for (const r of plan.clusters.filter((x) => x.role === 'remote' && x.primary === c.name)) expect(at.get(`revision-remove:${r.name}:prev`)!).toBeLessThan(rm);
        }
      }),
      { numRuns: 60 },
    );
  });
});
