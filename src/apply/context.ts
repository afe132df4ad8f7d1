import { sleep, type KubeClients } from '../kube/index.js';
import type { ClusterPlan, Plan, PlannedObject, Step } from '../plan/index.js';
import type { MeshInstaller } from './installer.js';

/** Time as apply sees it: given, so waits and durations are deterministic in tests. */
export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

/** The machine's clock, for the CLI. */
export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => sleep(ms),
};

/** What apply, destroy and prune are given (no globals): the same code runs on any cluster. */
export interface MeshContext {
  plan: Plan;
  /** One client per cluster of the plan, by cluster name, or why it could not be made. */
  clients: Map<string, KubeClients | Error>;
  /** istioctl or Helm, whichever the mesh file names, already pointed at the clusters. */
  installer: MeshInstaller;
  clock: Clock;
  dryRun: boolean;
  /** Deadline for waits (gateway address, token, installs), in ms. */
  waitTimeoutMs: number;
  /** Serialises read-modify-write of each cluster's state ConfigMap across concurrent steps. */
  stateLock: KeyedLock;
}

export interface ApplyContext extends MeshContext {
  /** The trust folder (root + one folder per cluster). */
  rootDir: string;
  /** East-west gateway addresses as they become known, by cluster. */
  gatewayAddresses: Map<string, string>;
}

export function clientOf(ctx: Pick<MeshContext, 'clients'>, cluster: string): KubeClients {
  const c = ctx.clients.get(cluster);
  if (!c) throw new Error(`no client for cluster ${cluster}`);
  if (c instanceof Error) throw c;
  return c;
}

export function clusterOf(ctx: Pick<MeshContext, 'plan'>, name: string): ClusterPlan {
  const c = ctx.plan.clusters.find((x) => x.name === name);
  if (!c) throw new Error(`cluster ${name} is not in the plan`);
  return c;
}

/** The objects the plan says this step makes in its cluster. */
export const ownedBy = (c: ClusterPlan, step: Step): PlannedObject[] => c.resources.filter((r) => r.step === step.id);

/** Serialises async work by key (one queue per key). */
export class KeyedLock {
  private tails = new Map<string, Promise<unknown>>();
  run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.tails.get(key) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    this.tails.set(key, next.catch(() => undefined));
    return next;
  }
}
