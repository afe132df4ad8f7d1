import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mkdtemp, rm } from 'node:fs/promises';
import { kubeClients, type KubeClients } from '../kube/index.js';
import type { Plan } from '../plan/index.js';
import type { ApplyContext, HelmSource } from './context.js';
import { runDag, type StepEvent, type StepOutcome } from './dag.js';
import { pruneCluster } from './prune.js';
import { runStep } from './steps.js';

export interface ApplyOptions {
  plan: Plan;
  kubeconfig: string;
  istioctl: string;
  /** For installer: helm; defaults to `helm` on PATH with the `istio` chart repository. */
  helm?: HelmSource;
  rootDir: string;
  dryRun?: boolean;
  concurrency?: number;
  waitTimeoutMs?: number;
  /** Skip pruning what left the mesh file. */
  noPrune?: boolean;
  onEvent?(e: StepEvent): void;
}

export interface PruneOutcome {
  cluster: string;
  deleted: string[];
  error?: string;
}

export interface ApplyReport {
  outcomes: Map<string, StepOutcome>;
  pruned: PruneOutcome[];
  changed: number;
  failed: number;
  blocked: number;
  dryRun: boolean;
}

/** `helm` on PATH with charts from the `istio` repository at the mesh's Istio version, as the rendered files say. */
export function defaultHelm(plan: Plan): HelmSource {
  return { binary: 'helm', charts: 'istio', version: plan.mesh.istio.version };
}

export function makeClients(plan: Plan, kubeconfig: string): Map<string, KubeClients | Error> {
  const clients = new Map<string, KubeClients | Error>();
  for (const c of plan.clusters) {
    try {
      clients.set(c.name, kubeClients(kubeconfig, c.context));
    } catch (e) {
      clients.set(c.name, e as Error);
    }
  }
  return clients;
}

/**
 * Brings the clusters to the plan: every step is idempotent, so a run after a killed one
 * completes it, and a run on an applied mesh changes nothing.
 */
export async function applyMesh(opts: ApplyOptions): Promise<ApplyReport> {
  const dryRun = !!opts.dryRun;
  const workDir = await mkdtemp(join(tmpdir(), 'meshfed-apply-'));
  const ctx: ApplyContext = {
    plan: opts.plan,
    clients: makeClients(opts.plan, opts.kubeconfig),
    kubeconfig: opts.kubeconfig,
    istioctl: opts.istioctl,
    helm: opts.helm ?? defaultHelm(opts.plan),
    rootDir: opts.rootDir,
    dryRun,
    gatewayAddresses: new Map(),
    waitTimeoutMs: opts.waitTimeoutMs ?? 180_000,
    workDir,
  };
  try {
    const steps = opts.plan.steps;
    const outcomes = await runDag(steps, { concurrency: opts.concurrency ?? 6, run: (s) => runStep(ctx, s), ...(opts.onEvent ? { onEvent: opts.onEvent } : {}) });
    const pruned: PruneOutcome[] = [];
    if (!opts.noPrune) {
      for (const c of opts.plan.clusters) {
        const k = ctx.clients.get(c.name);
        // Prune only where the cluster's own steps went through: never act on a half-known cluster.
        const clean = steps.filter((s) => s.cluster === c.name).every((s) => outcomes.get(s.id)?.status === 'done');
        if (!k || k instanceof Error || !clean) continue;
        try {
          pruned.push({ cluster: c.name, deleted: await pruneCluster(ctx, c, k) });
        } catch (e) {
          pruned.push({ cluster: c.name, deleted: [], error: (e as Error).message });
        }
      }
    }
    const all = [...outcomes.values()];
    return {
      outcomes,
      pruned,
      changed: all.filter((o) => o.changed).length + pruned.reduce((n, p) => n + p.deleted.length, 0),
      failed: all.filter((o) => o.status === 'failed').length,
      blocked: all.filter((o) => o.status === 'blocked').length,
      dryRun,
    };
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}
