import type { KubeClients } from '../kube/index.js';
import type { Plan, Step } from '../plan/index.js';
import { clusterOf, KeyedLock, type Clock, type MeshContext } from './context.js';
import { runDag, type StepEvent, type StepOutcome } from './dag.js';
import type { MeshInstaller } from './installer.js';
import { handlerOf } from './stepKinds.js';

export interface DestroyOptions {
  plan: Plan;
  clients: Map<string, KubeClients | Error>;
  installer: MeshInstaller;
  clock: Clock;
  concurrency?: number;
  /** Only these clusters' steps (apply --destroy-removed: the clusters that left the file); all when absent. */
  clusters?: string[];
  onEvent?(e: StepEvent): void;
}

/** Destroy's deadline for each wait and each Kubernetes request (it has no --timeout). */
export const DESTROY_TIMEOUT_MS = 120_000;

/**
 * The plan's steps with every edge turned around: undo a step only after what built on it.
 * With `clusters`, only those clusters' steps, ordered among themselves.
 */
export function destroySteps(plan: Plan, clusters?: readonly string[]): Step[] {
  const only = clusters ? new Set(clusters) : undefined;
  const steps = only ? plan.steps.filter((s) => only.has(s.cluster)) : plan.steps;
  const ids = new Set(steps.map((s) => s.id));
  const dependents = new Map<string, string[]>();
  for (const s of steps) for (const n of s.needs) if (ids.has(n)) dependents.set(n, [...(dependents.get(n) ?? []), s.id]);
  return [...steps].reverse().map((s) => ({ ...s, needs: dependents.get(s.id) ?? [], description: `undo: ${s.description}` }));
}

/** Removes everything meshfed created, in reverse dependency order; keeps the trust folder. */
export async function destroyMesh(opts: DestroyOptions): Promise<Map<string, StepOutcome>> {
  const ctx: MeshContext = {
    plan: opts.plan,
    clients: opts.clients,
    installer: opts.installer,
    clock: opts.clock,
    dryRun: false,
    waitTimeoutMs: DESTROY_TIMEOUT_MS,
    stateLock: new KeyedLock(),
  };
  return runDag(destroySteps(opts.plan, opts.clusters), {
    concurrency: opts.concurrency ?? 6,
    run: (s) => handlerOf(s.kind).undo(ctx, s, clusterOf(ctx, s.cluster)),
    now: () => opts.clock.now(),
    ...(opts.onEvent ? { onEvent: opts.onEvent } : {}),
  });
}
