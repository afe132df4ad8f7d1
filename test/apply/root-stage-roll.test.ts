/**
 * Stage reissue of a root rotation rolls the clusters one at a time (src/plan/rootStage.ts):
 * over the plan of the six-cluster example and apply's DAG runner, no cluster's cacerts step
 * starts before the previous cluster's has finished (apply ends that step only once istiod
 * loaded the new intermediate), and a failure stops the roll there. Other stages are untouched.
 */
import { describe, expect, it } from 'vitest';
import { runDag, type StepEvent } from '../../src/apply/index.js';
import { describeRoll } from '../../src/cli/commands/apply.js';
import { planRootStage, rootStageRoll, summarizePlan, type Plan } from '../../src/plan/index.js';
import { examplePlan } from '../plan/helpers.js';

const cacertsOrder = (plan: Plan) => plan.steps.filter((s) => s.kind === 'cacerts').map((s) => s.cluster);

async function run(plan: Plan, fail?: string): Promise<{ events: string[]; outcomes: Awaited<ReturnType<typeof runDag>> }> {
  const events: string[] = [];
  const outcomes = await runDag(plan.steps, {
    concurrency: 6,
    run: async (s) => {
      // a cacerts step takes a while (apply waits there for istiod): anything not chained would overlap it
      await new Promise((r) => setTimeout(r, s.kind === 'cacerts' ? 5 : 0));
      if (s.id === fail) throw new Error('gate');
      return { changed: true, detail: '' };
    },
    onEvent: (e: StepEvent) => {
      if (e.step.kind === 'cacerts') events.push(`${e.type} ${e.step.cluster}`);
    },
  });
  return { events, outcomes };
}

describe('root rotation stage reissue, cluster by cluster', () => {
  it("chains each cluster's cacerts step to the previous cluster's, in the file's order, and says so in the plan", async () => {
    const base = await examplePlan('mix');
    const names = base.clusters.map((c) => c.name);
    const plan = planRootStage(base, 'reissue');
    expect(rootStageRoll(plan, 'reissue')).toEqual(names);
    names.forEach((n, i) => {
      const s = plan.steps.find((x) => x.id === `cacerts:${n}`)!;
      expect(s.needs.includes(`cacerts:${names[i - 1]}`)).toBe(i > 0);
      expect(s.description).toContain(`one cluster at a time (${i + 1} of ${names.length}`);
    });
    expect(cacertsOrder(plan)).toEqual(names);
    expect(summarizePlan(plan)).toContain(`cacerts:${names[1]}: cacerts Secret: intermediate CA under the shared root; root rotation reissue, one cluster at a time (2 of 6, after ${names[0]}'s istiod loaded its new intermediate)  ← namespace:${names[1]}, cacerts:${names[0]}`);
    expect(describeRoll(plan, 'reissue')).toContain(names.join(' → '));
  });

  it('runs them strictly one after the other, where without the stage they overlap', async () => {
    const base = await examplePlan('mix');
    const names = base.clusters.map((c) => c.name);
    const { events } = await run(planRootStage(base, 'reissue'));
    expect(events).toEqual(names.flatMap((n) => [`start ${n}`, `finish ${n}`]));
    const free = await run(base);
    expect(free.events.slice(0, 2)).toEqual([`start ${names[0]}`, `start ${names[1]}`]);
  });

  it("a cluster whose cacerts fails (apply's MF8021 gate) stops the roll: the later clusters' cacerts are not started", async () => {
    const base = await examplePlan('mix');
    const names = base.clusters.map((c) => c.name);
    const { outcomes } = await run(planRootStage(base, 'reissue'), `cacerts:${names[2]}`);
    expect(names.map((n) => outcomes.get(`cacerts:${n}`)!.status)).toEqual(['done', 'done', 'failed', 'blocked', 'blocked', 'blocked']);
  });

  it('leaves the plan as it is outside stage reissue', async () => {
    const base = await examplePlan('mix');
    for (const stage of [undefined, 'trust-both', 'drop-old'] as const) {
      expect(planRootStage(base, stage)).toBe(base);
      expect(describeRoll(base, stage)).toBe('');
    }
  });
});
