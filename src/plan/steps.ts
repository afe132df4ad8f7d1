import type { Topology } from '../topology/index.js';
import type { Step, StepKind } from './types.js';

const KIND_ORDER: StepKind[] = [
  'namespace',
  'cacerts',
  'remote-reader',
  'istio',
  'eastwest-gateway',
  'gateway-address',
  'expose-istiod',
  'expose-services',
  'remote-secret',
  'routes',
];

export const stepId = (kind: StepKind, cluster: string, watched?: string): string =>
  watched === undefined ? `${kind}:${cluster}` : `${kind}:${cluster}:${watched}`;

/** The steps to bring the mesh up, with explicit dependencies (unordered). */
export function buildSteps(topology: Topology, flatNetworksNeedingRoutes: Set<string>): Step[] {
  const steps: Step[] = [];
  const add = (kind: StepKind, cluster: string, needs: string[], description: string, extra: Partial<Step> = {}) =>
    steps.push({ id: stepId(kind, cluster, extra.watched), kind, cluster, needs, description, ...extra });
  const byName = new Map(topology.clusters.map((c) => [c.name, c]));

  for (const c of topology.clusters) {
    const marks = [topology.multiNetwork ? `network label ${c.network}` : '', c.role === 'remote' ? `controlPlaneClusters=${c.primary}` : ''].filter(Boolean);
    add('namespace', c.name, [], `namespace istio-system${marks.length ? ` (${marks.join(', ')})` : ''}`);
    add('cacerts', c.name, [stepId('namespace', c.name)], 'cacerts Secret: intermediate CA under the shared root');
    if (c.role === 'primary') {
      add('istio', c.name, [stepId('namespace', c.name), stepId('cacerts', c.name)], `install istiod (primary${c.externalIstiod ? ', EXTERNAL_ISTIOD' : ''})`);
    } else {
      const p = byName.get(c.primary)!;
      // The remote's istiod Service points at the primary's gateway address, and istiod must
      // already be reachable through it when the remote's webhook starts calling.
      const needs = [stepId('namespace', c.name), stepId('cacerts', c.name), stepId('gateway-address', p.name)];
      if (p.exposesIstiod) needs.push(stepId('expose-istiod', p.name));
      add('istio', c.name, needs, `install the remote profile, control plane in ${p.name}`);
    }
    if (c.needsEastWestGateway) {
      const needs = [stepId('istio', c.name)];
      // A remote's gateway pod is injected by its primary, which can only patch the remote's
      // webhook once it holds the remote's secret.
      if (c.role === 'remote') needs.push(stepId('remote-secret', c.primary, c.name));
      add('eastwest-gateway', c.name, needs, `east-west gateway for network ${c.network || '(default)'}`);
      add('gateway-address', c.name, [stepId('eastwest-gateway', c.name)], "wait for the east-west gateway's address");
      if (c.exposesIstiod) add('expose-istiod', c.name, [stepId('eastwest-gateway', c.name)], 'expose istiod on 15012/15017 through the gateway');
      if (c.exposesServices) add('expose-services', c.name, [stepId('eastwest-gateway', c.name)], 'expose services on 15443 (AUTO_PASSTHROUGH *.local)');
    }
    if (c.watchedBy.length > 0) {
      // Helm refuses to adopt the reader service account its base chart creates if it already
      // exists, so with Helm the reader comes after the install.
      const needs = [stepId('namespace', c.name), ...(topology.mesh.spec.istio.installer === 'helm' ? [stepId('istio', c.name)] : [])];
      add('remote-reader', c.name, needs, 'reader service account, RBAC and token for remote secrets');
    }
  }
  for (const p of topology.clusters) {
    for (const w of p.watches) {
      add('remote-secret', p.name, [stepId('remote-reader', w), stepId('istio', p.name)], `remote secret for ${w}`, { watched: w });
    }
  }
  for (const c of topology.clusters) {
    if (flatNetworksNeedingRoutes.has(c.network)) add('routes', c.name, [], 'routes to the other clusters of its flat network (run by the operator)', { manual: true });
  }
  return steps;
}

export class PlanCycleError extends Error {
  readonly code = 'MF3900';
  readonly hint = 'this is a bug in meshfed: please report the mesh file';
  constructor(readonly stuck: string[]) {
    super(`the plan's steps form a cycle: ${stuck.join(', ')}`);
  }
}

/** Kahn's algorithm with a stable tie-break (cluster order, then step kind). */
export function orderSteps(steps: Step[], clusterOrder: string[]): Step[] {
  const rank = (s: Step) => [clusterOrder.indexOf(s.cluster), KIND_ORDER.indexOf(s.kind), s.watched ? clusterOrder.indexOf(s.watched) : -1];
  const cmp = (a: Step, b: Step) => {
    const ra = rank(a);
    const rb = rank(b);
    for (let i = 0; i < ra.length; i++) if (ra[i] !== rb[i]) return ra[i]! - rb[i]!;
    return 0;
  };
  const byId = new Map(steps.map((s) => [s.id, s]));
  const indegree = new Map(steps.map((s) => [s.id, s.needs.length]));
  for (const s of steps) for (const n of s.needs) if (!byId.has(n)) throw new Error(`step ${s.id} needs unknown step ${n}`);
  const dependents = new Map<string, string[]>();
  for (const s of steps) for (const n of s.needs) dependents.set(n, [...(dependents.get(n) ?? []), s.id]);
  const ready = steps.filter((s) => s.needs.length === 0).sort(cmp);
  const out: Step[] = [];
  while (ready.length > 0) {
    const s = ready.shift()!;
    out.push(s);
    for (const d of dependents.get(s.id) ?? []) {
      const left = indegree.get(d)! - 1;
      indegree.set(d, left);
      if (left === 0) {
        ready.push(byId.get(d)!);
        ready.sort(cmp);
      }
    }
  }
  if (out.length !== steps.length) throw new PlanCycleError(steps.filter((s) => !out.includes(s)).map((s) => s.id));
  return out;
}
