import type { KubeClients } from '../kube/index.js';
import type { Plan } from '../plan/index.js';

/** Everything a step needs, given to it (no globals), so apply runs the same on any cluster. */
export interface ApplyContext {
  plan: Plan;
  /** One client per cluster of the plan, by cluster name, or why it could not be made. */
  clients: Map<string, KubeClients | Error>;
  kubeconfig: string;
  istioctl: string;
  /** helm binary and where Istio's charts come from, for installer: helm. */
  helm: HelmSource;
  /** The trust folder (root + one folder per cluster). */
  rootDir: string;
  dryRun: boolean;
  /** East-west gateway addresses as they become known, by cluster. */
  gatewayAddresses: Map<string, string>;
  /** Deadline for waits (gateway address, token), in ms. */
  waitTimeoutMs: number;
  /** Folder for the files handed to istioctl. */
  workDir: string;
}

export interface HelmSource {
  binary: string;
  /** A folder holding base/, istiod/ and gateway/, or the name of a Helm repository (`istio`). */
  charts: string;
  /** The chart version when charts come from a repository (the mesh's Istio version). */
  version?: string;
}

export function clientOf(ctx: ApplyContext, cluster: string): KubeClients {
  const c = ctx.clients.get(cluster);
  if (!c) throw new Error(`no client for cluster ${cluster}`);
  if (c instanceof Error) throw c;
  return c;
}

/** Serialises read-modify-write of one cluster's state ConfigMap across concurrent steps. */
export class KeyedLock {
  private tails = new Map<string, Promise<unknown>>();
  run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.tails.get(key) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    this.tails.set(key, next.catch(() => undefined));
    return next;
  }
}
