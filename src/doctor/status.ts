import { NETWORK_LABEL, objectKey, type Plan } from '../plan/index.js';
import type { LiveCluster } from './live.js';
import { imageVersion } from '../kube/index.js';

/** One plan step as the cluster shows it: applied (every object it owns is there) or not. */
export interface StepStatus {
  id: string;
  kind: string;
  state: 'applied' | 'missing' | 'manual' | 'unknown';
  /** Objects of the step not found. */
  missing?: string[];
}

export type SecretState = 'present' | 'stale' | 'missing' | 'invalid' | 'unknown-cluster';

export interface SecretStatus {
  watched: string;
  state: SecretState;
  secret?: string;
  server?: string;
}

/** One cluster, live against the plan. Plain data: no token, no key. */
export interface ClusterStatus {
  cluster: string;
  role: string;
  network: string;
  reachable: boolean;
  error?: string;
  istio?: { deployment: string; image: string; version?: string; revision: string; readyReplicas: number };
  /** What apply recorded in ConfigMap istio-system/meshfed-state. */
  state?: { mesh?: string; installed: string[] };
  steps: StepStatus[];
  gateway?: { address?: string; pinned?: string };
  remoteSecrets?: SecretStatus[];
  /** Each difference from the plan, in a line. */
  drift: string[];
}

export interface StatusReport {
  mesh: string;
  clusters: ClusterStatus[];
  drift: boolean;
}

/** Live against plan, per cluster (pure: from what `readMesh` read). */
export function meshStatus(plan: Plan, live: ReadonlyMap<string, LiveCluster>): StatusReport {
  const clusters = plan.clusters.map((c): ClusterStatus => {
    const l = live.get(c.name);
    const base = { cluster: c.name, role: c.role, network: c.network };
    if (!l || l.unreachable) return { ...base, reachable: false, error: l?.unreachable?.message ?? 'not read', steps: [], drift: [`unreachable: ${l?.unreachable?.message ?? 'not read'}`] };
    const drift: string[] = [];

    const steps = plan.steps
      .filter((s) => s.cluster === c.name)
      .map((s): StepStatus => {
        if (s.manual) return { id: s.id, kind: s.kind, state: 'manual' };
        if (s.kind === 'gateway-address') return { id: s.id, kind: s.kind, state: l.gateway?.address ? 'applied' : 'missing' };
        const owned = c.resources.filter((r) => r.step === s.id).map(objectKey);
        if (owned.length === 0) return { id: s.id, kind: s.kind, state: 'unknown' };
        const missing = owned.filter((k) => l.present[k] !== true);
        return missing.length ? { id: s.id, kind: s.kind, state: 'missing', missing } : { id: s.id, kind: s.kind, state: 'applied' };
      });
    for (const s of steps) if (s.state === 'missing') drift.push(`step ${s.id} not applied${s.missing ? ` (missing ${s.missing.join(', ')})` : ''}`);

    let istio: ClusterStatus['istio'];
    if (l.istiod) {
      const version = imageVersion(l.istiod.container.image);
      istio = { deployment: l.istiod.name, image: l.istiod.container.image, ...(version ? { version } : {}), revision: l.istiod.revision, readyReplicas: l.istiod.readyReplicas };
      if (version && version !== plan.mesh.istio.version) drift.push(`istiod runs ${version}, mesh file: ${plan.mesh.istio.version}`);
      const wantRev = plan.mesh.istio.revision ?? 'default';
      if (l.istiod.revision !== wantRev) drift.push(`istiod revision ${l.istiod.revision}, mesh file: ${wantRev}`);
    }

    for (const [k, v] of Object.entries(c.namespace.labels)) if (l.namespace && l.namespace.labels[k] !== v) drift.push(`istio-system label ${k}=${l.namespace.labels[k] ?? '(none)'}, plan: ${v}`);
    for (const [k, v] of Object.entries(c.namespace.annotations)) if (l.namespace && l.namespace.annotations[k] !== v) drift.push(`istio-system annotation ${k}=${l.namespace.annotations[k] ?? '(none)'}, plan: ${v}`);

    const state = l.state ? { ...(l.state['mesh'] ? { mesh: l.state['mesh'] } : {}), installed: Object.keys(l.state).filter((k) => k.startsWith('hash.')).map((k) => k.slice(5)).sort() } : undefined;
    if (state?.mesh && state.mesh !== plan.mesh.name) drift.push(`meshfed-state names mesh ${state.mesh}, mesh file: ${plan.mesh.name}`);

    let gateway: ClusterStatus['gateway'];
    if (c.eastWestGateway) {
      gateway = { ...(l.gateway?.address ? { address: l.gateway.address } : {}), ...(c.eastWestGateway.address ? { pinned: c.eastWestGateway.address } : {}) };
      if (c.eastWestGateway.network && l.gateway && l.gateway.labels[NETWORK_LABEL] !== c.eastWestGateway.network) drift.push(`gateway label ${NETWORK_LABEL}=${l.gateway.labels[NETWORK_LABEL] ?? '(none)'}, plan: ${c.eastWestGateway.network}`);
      if (gateway.pinned && gateway.address && gateway.pinned !== gateway.address) drift.push(`gateway address ${gateway.address}, mesh file pins ${gateway.pinned}`);
    }

    let remoteSecrets: SecretStatus[] | undefined;
    if (c.role === 'primary' && l.remoteSecrets) {
      const r = l.remoteSecrets.read;
      const known = new Set(plan.clusters.map((x) => x.name));
      remoteSecrets = c.watches.map((w): SecretStatus => {
        const m = r.clusters.find((x) => x.clusterId === w);
        if (m) {
          const want = plan.clusters.find((x) => x.name === w)?.apiServer;
          return { watched: w, state: want !== undefined && m.server !== want ? 'stale' : 'present', secret: m.secret.name, server: m.server };
        }
        const bad = r.errors.find((e) => e.clusterId === w);
        return bad ? { watched: w, state: 'invalid', secret: bad.secret.name } : { watched: w, state: 'missing' };
      });
      for (const m of r.clusters) if (!known.has(m.clusterId)) remoteSecrets.push({ watched: m.clusterId, state: 'unknown-cluster', secret: m.secret.name, server: m.server });
      for (const s of remoteSecrets) if (s.state !== 'present') drift.push(`remote secret for ${s.watched}: ${s.state}${s.secret ? ` (${s.secret})` : ''}`);
    }

    return { ...base, reachable: true, ...(istio ? { istio } : {}), ...(state ? { state } : {}), steps, ...(gateway ? { gateway } : {}), ...(remoteSecrets ? { remoteSecrets } : {}), drift };
  });
  return { mesh: plan.mesh.name, clusters, drift: clusters.some((c) => c.drift.length > 0) };
}
