import { MeshfedError } from '../errors/index.js';
import type { Topology } from '../topology/index.js';
import type { Step, StepKind } from './types.js';

/** Tie-break between ready steps of one cluster; every kind has a rank or this does not compile. */
const KIND_RANK = {
  namespace: 0,
  cacerts: 1,
  'remote-reader': 2,
  istio: 3,
  'eastwest-gateway': 4,
  'gateway-address': 5,
  'expose-istiod': 6,
  'expose-services': 7,
  'remote-secret': 8,
  routes: 9,
  'mcs-crds': 10,
  'revision-tags': 11,
  'revision-remove': 12,
} satisfies Record<StepKind, number>;

export const stepId = (kind: StepKind, cluster: string, watched?: string): string =>
  watched === undefined ? `${kind}:${cluster}` : `${kind}:${cluster}:${watched}`;

/** The steps to bring the mesh up, with explicit dependencies (unordered). */
export function buildSteps(topology: Topology, flatNetworksNeedingRoutes: Set<string>): Step[] {
  const steps: Step[] = [];
  const add = (kind: StepKind, cluster: string, needs: string[], description: string, extra: Partial<Step> = {}) =>
    steps.push({ id: stepId(kind, cluster, extra.watched), kind, cluster, needs, description, ...extra });
  const byName = new Map(topology.clusters.map((c) => [c.name, c]));

  // The MCS CRDs go into every cluster: exports are made and imports written in each, and
  // istiod (started with MCS discovery on) watches both kinds from its first sync.
  const mcs = topology.mesh.spec.services?.discovery === 'mcs';
  for (const c of topology.clusters) {
    const marks = [topology.multiNetwork ? `network label ${c.network}` : '', c.role === 'remote' ? `controlPlaneClusters=${c.primary}` : ''].filter(Boolean);
    add('namespace', c.name, [], `namespace istio-system${marks.length ? ` (${marks.join(', ')})` : ''}`);
    add('cacerts', c.name, [stepId('namespace', c.name)], 'cacerts Secret: intermediate CA under the shared root');
    if (mcs) add('mcs-crds', c.name, [], 'Multi-Cluster Services CRDs (ServiceExport, ServiceImport; mcs-api v0.5.0)');
    if (c.role === 'primary') {
      add('istio', c.name, [stepId('namespace', c.name), stepId('cacerts', c.name), ...(mcs ? [stepId('mcs-crds', c.name)] : [])], `install istiod (primary${c.externalIstiod ? ', EXTERNAL_ISTIOD' : ''})`);
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

export class PlanCycleError extends MeshfedError<'MF0001'> {
  override readonly name = 'PlanCycleError';
  constructor(readonly stuck: string[]) {
    super({ code: 'MF0001', message: `the plan's steps form a cycle: ${stuck.join(', ')}`, hint: 'this is a bug in meshfed: please report the mesh file' });
  }
}

/** Kahn's algorithm with a stable tie-break (cluster order, then step kind). */
export function orderSteps(steps: Step[], clusterOrder: string[]): Step[] {
  const clusterRank = new Map(clusterOrder.map((c, i) => [c, i]));
  const at = (c: string | undefined) => (c === undefined ? -1 : clusterRank.get(c) ?? -1);
  // Steps by index, and the tie-break (cluster, kind, watched cluster) as one number per step:
  // the heap compares keys some 20 times per step, and a mesh may plan 200,000 steps.
  const kinds = Object.keys(KIND_RANK).length;
  const width = clusterOrder.length + 1;
  const key = new Float64Array(steps.length);
  const index = new Map<string, number>();
  steps.forEach((s, i) => {
    key[i] = ((at(s.cluster) + 1) * kinds + KIND_RANK[s.kind]) * width + (at(s.watched) + 1);
    index.set(s.id, i);
  });
  const indegree = new Int32Array(steps.length);
  const dependents: number[][] = steps.map(() => []);
  steps.forEach((s, i) => {
    indegree[i] = s.needs.length;
    for (const n of s.needs) {
      const j = index.get(n);
      if (j === undefined) throw new Error(`step ${s.id} needs unknown step ${n}`);
      dependents[j]!.push(i);
    }
  });
  // A binary heap keeps the tie-break stable without re-sorting the ready set at every step,
  // which made planning quadratic in the number of remote secrets.
  const ready = new MinHeap<number>((a, b) => key[a]! < key[b]!);
  steps.forEach((s, i) => {
    if (s.needs.length === 0) ready.push(i);
  });
  const out: Step[] = [];
  for (let i = ready.pop(); i !== undefined; i = ready.pop()) {
    out.push(steps[i]!);
    for (const d of dependents[i]!) if (--indegree[d]! === 0) ready.push(d);
  }
  if (out.length !== steps.length) {
    const done = new Set(out);
    throw new PlanCycleError(steps.filter((s) => !done.has(s)).map((s) => s.id));
  }
  return out;
}

class MinHeap<T> {
  private readonly items: T[] = [];
  constructor(private readonly before: (a: T, b: T) => boolean) {}

  push(item: T): void {
    const a = this.items;
    a.push(item);
    for (let i = a.length - 1; i > 0; ) {
      const parent = (i - 1) >> 1;
      if (!this.before(a[i]!, a[parent]!)) break;
      [a[i], a[parent]] = [a[parent]!, a[i]!];
      i = parent;
    }
  }

  pop(): T | undefined {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (a.length === 0 || last === undefined) return top;
    a[0] = last;
    for (let i = 0; ; ) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < a.length && this.before(a[l]!, a[m]!)) m = l;
      if (r < a.length && this.before(a[r]!, a[m]!)) m = r;
      if (m === i) break;
      [a[i], a[m]] = [a[m]!, a[i]!];
      i = m;
    }
    return top;
  }
}
