/**
 * A root rotation's stage as the plan orders it (the stages: src/pki/rootRotation.ts). In stage
 * reissue every cluster's istiod switches to an intermediate of the new root: the issue's
 * "cluster by cluster". So each cluster's `cacerts` step needs the one of the cluster before it
 * (the plan's cluster order), and apply ends a `cacerts` step only once every istiod of its
 * cluster has loaded the new intermediate: no cluster's cacerts changes before the previous
 * cluster's istiod issues from the new root. A failing cluster stops the roll there. Pure.
 */
// The stage's type from its own file: the dashboard compiles the plan for the browser, without the rest of pki.
import type { RootStage } from '../pki/rootRotation.js';
import { orderSteps, stepId } from './steps.js';
import type { Plan } from './types.js';

/** The clusters in the order a stage rolls them one at a time; empty when it ships them all at once. */
export function rootStageRoll(plan: Pick<Plan, 'clusters' | 'steps'>, stage: RootStage | undefined): string[] {
  if (stage !== 'reissue') return [];
  return plan.clusters.map((c) => c.name).filter((name) => plan.steps.some((s) => s.id === stepId('cacerts', name)));
}

/** The plan with stage reissue's cacerts steps chained one cluster after the other; the plan itself otherwise. */
export function planRootStage(plan: Plan, stage: RootStage | undefined): Plan {
  const roll = rootStageRoll(plan, stage);
  if (roll.length < 2) return plan;
  const steps = plan.steps.map((s) => ({ ...s, needs: [...s.needs] }));
  roll.forEach((cluster, i) => {
    const s = steps.find((x) => x.id === stepId('cacerts', cluster))!;
    const before = roll[i - 1];
    if (before !== undefined && !s.needs.includes(stepId('cacerts', before))) s.needs.push(stepId('cacerts', before));
    s.description += `; root rotation reissue, one cluster at a time (${i + 1} of ${roll.length}${before ? `, after ${before}'s istiod loaded its new intermediate` : ''})`;
  });
  return { ...plan, steps: orderSteps(steps, plan.clusters.map((c) => c.name)) };
}
