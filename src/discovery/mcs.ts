import type { KubeObject } from '../kube/index.js';
import { EXPORT_CONDITION, EXPORT_REASON, IMPORT_LABELS, SERVICE_IMPORT, clustersetHostname } from '../mcs/index.js';
import { compare } from './fields.js';
import type { ClusterSnapshot } from './types.js';

/**
 * The MCS controller's decisions as a pure function of the clusters' snapshots (KEP-1645,
 * sigs.k8s.io/mcs-api): which ServiceImports every cluster must hold, and the conditions of
 * every ServiceExport. The shell (mcsController.ts) writes them.
 */

export type ImportType = 'ClusterSetIP' | 'Headless';

export interface McsPort {
  name?: string;
  port: number;
  protocol: string;
  appProtocol?: string;
}

export interface ServiceImportPlan {
  namespace: string;
  name: string;
  type: ImportType;
  /** The union of the exports' ports; a port name that conflicts keeps the oldest export's. */
  ports: McsPort[];
  /** The exporting clusters (status.clusters), sorted. */
  clusters: string[];
  /**
   * spec.ips per cluster the import is written to: for ClusterSetIP, the cluster's own
   * ClusterIPs when it exports the service, else the oldest export's (as Submariner's
   * Lighthouse answers); none for Headless.
   */
  ips: Record<string, string[]>;
}

export interface ExportCondition {
  type: string;
  status: 'True' | 'False';
  reason: string;
  message: string;
}

export interface ExportStatus {
  cluster: string;
  namespace: string;
  name: string;
  conditions: ExportCondition[];
}

export interface McsState {
  /** Sorted by namespace, then name. */
  imports: ServiceImportPlan[];
  /** One per ServiceExport, by cluster order, then namespace and name. */
  exports: ExportStatus[];
}

interface Export {
  cluster: string;
  namespace: string;
  name: string;
  /** The ServiceExport's creationTimestamp: the oldest export wins a conflict (KEP-1645). */
  created: string;
  type: ImportType;
  ports: McsPort[];
  clusterIPs: string[];
}

type Obj = Record<string, unknown>;
const keyOf = (namespace: string, name: string) => `${namespace}/${name}`;
const portKey = (p: McsPort) => p.name ?? `#${p.port}/${p.protocol}`;
const samePort = (a: McsPort, b: McsPort) => a.port === b.port && a.protocol === b.protocol && (a.appProtocol ?? '') === (b.appProtocol ?? '');

function portsOf(spec: Obj): McsPort[] {
  return ((spec['ports'] ?? []) as Obj[]).map((p) => ({
    ...(typeof p['name'] === 'string' && p['name'] ? { name: p['name'] } : {}),
    port: Number(p['port']),
    protocol: typeof p['protocol'] === 'string' ? p['protocol'] : 'TCP',
    ...(typeof p['appProtocol'] === 'string' ? { appProtocol: p['appProtocol'] } : {}),
  }));
}

function clusterIPsOf(spec: Obj): string[] {
  const ips = Array.isArray(spec['clusterIPs']) ? (spec['clusterIPs'] as string[]) : typeof spec['clusterIP'] === 'string' ? [spec['clusterIP']] : [];
  return ips.filter((ip) => ip && ip !== 'None').slice(0, 2);
}

/** Conditions of an export that cannot join an import, and the export when it can. */
function readExport(cluster: string, exp: KubeObject, services: Map<string, KubeObject>): { valid?: Export; conditions?: ExportCondition[] } {
  const { namespace = '', name } = exp.metadata;
  const svc = services.get(keyOf(namespace, name));
  const invalid = (reason: string, message: string): { conditions: ExportCondition[] } => ({
    conditions: [{ type: EXPORT_CONDITION.valid, status: 'False', reason, message }],
  });
  if (!svc) return invalid(EXPORT_REASON.noService, `no Service ${namespace}/${name} in cluster ${cluster}`);
  const spec = (svc['spec'] ?? {}) as Obj;
  if (spec['type'] === 'ExternalName') return invalid(EXPORT_REASON.invalidServiceType, `Service ${namespace}/${name} is of type ExternalName, which the MCS API does not export`);
  const headless = spec['clusterIP'] === 'None';
  return {
    valid: { cluster, namespace, name, created: exp.metadata.creationTimestamp ? String(exp.metadata.creationTimestamp) : '', type: headless ? 'Headless' : 'ClusterSetIP', ports: portsOf(spec), clusterIPs: headless ? [] : clusterIPsOf(spec) },
  };
}

/** Every ServiceImport and export condition the snapshots call for. Clusters are given in registry order. */
export function mcsState(snapshots: readonly ClusterSnapshot[]): McsState {
  const groups = new Map<string, Export[]>();
  const exports: ExportStatus[] = [];
  const conditionsOf = new Map<Export, ExportStatus>();
  for (const s of snapshots) {
    const services = new Map(s.services.map((o) => [keyOf(o.metadata.namespace ?? '', o.metadata.name), o]));
    const sorted = [...(s.serviceExports ?? [])].sort((a, b) => compare(keyOf(a.metadata.namespace ?? '', a.metadata.name), keyOf(b.metadata.namespace ?? '', b.metadata.name)));
    for (const exp of sorted) {
      const r = readExport(s.clusterId, exp, services);
      const status: ExportStatus = { cluster: s.clusterId, namespace: exp.metadata.namespace ?? '', name: exp.metadata.name, conditions: r.conditions ?? [] };
      exports.push(status);
      if (!r.valid) continue;
      status.conditions.push({ type: EXPORT_CONDITION.valid, status: 'True', reason: EXPORT_REASON.valid, message: 'the Service exists and can be exported' });
      conditionsOf.set(r.valid, status);
      const key = keyOf(r.valid.namespace, r.valid.name);
      const g = groups.get(key);
      if (g) g.push(r.valid);
      else groups.set(key, [r.valid]);
    }
  }
  const clusterIds = snapshots.map((s) => s.clusterId);
  const imports: ServiceImportPlan[] = [];
  for (const key of [...groups.keys()].sort(compare)) {
    // Oldest first; ties by cluster name: the order that resolves every conflict.
    const group = groups.get(key)!.sort((a, b) => compare(a.created, b.created) || compare(a.cluster, b.cluster));
    const winner = group[0]!;
    const conflicts = new Map<Export, { reason: string; messages: string[] }>();
    const conflict = (e: Export, reason: string, message: string) => {
      const c = conflicts.get(e);
      if (c) c.messages.push(message);
      else conflicts.set(e, { reason, messages: [message] });
    };
    for (const e of group.slice(1))
      if (e.type !== winner.type) {
        const message = `type ${e.type} in ${e.cluster} differs from ${winner.type} in ${winner.cluster}, the oldest export; the import is ${winner.type}`;
        conflict(e, EXPORT_REASON.typeConflict, message);
        conflict(winner, EXPORT_REASON.typeConflict, message);
      }
    // Ports: the union by name; a name defined differently keeps the oldest export's definition.
    const ports = new Map<string, { port: McsPort; from: Export }>();
    for (const e of group)
      for (const p of e.ports) {
        const had = ports.get(portKey(p));
        if (!had) ports.set(portKey(p), { port: p, from: e });
        else if (!samePort(had.port, p)) {
          const message = `port ${p.name ?? p.port} is ${p.port}/${p.protocol} in ${e.cluster} but ${had.port.port}/${had.port.protocol} in ${had.from.cluster}, the oldest export; the import keeps ${had.port.port}/${had.port.protocol}`;
          conflict(e, EXPORT_REASON.portConflict, message);
          conflict(had.from, EXPORT_REASON.portConflict, message);
        }
      }
    for (const e of group) {
      const c = conflicts.get(e);
      conditionsOf.get(e)!.conditions.push(
        c ? { type: EXPORT_CONDITION.conflict, status: 'True', reason: c.reason, message: c.messages.join('; ') } : { type: EXPORT_CONDITION.conflict, status: 'False', reason: EXPORT_REASON.noConflicts, message: 'no conflicts with the other exports of this service' },
      );
    }
    const ips: Record<string, string[]> = {};
    for (const id of clusterIds) ips[id] = winner.type === 'Headless' ? [] : [...(group.find((e) => e.cluster === id) ?? winner).clusterIPs];
    imports.push({
      namespace: winner.namespace,
      name: winner.name,
      type: winner.type,
      ports: [...ports.values()].map((p) => p.port),
      clusters: [...new Set(group.map((e) => e.cluster))].sort(compare),
      ips,
    });
  }
  return { imports, exports };
}

/**
 * A clusterset.local service as istiod's registry holds it (ENABLE_MCS_HOST,
 * pilot/pkg/serviceregistry/kube/controller/serviceimportcache.go): each cluster's registry
 * makes one from that cluster's ServiceImport when the import has IPs, with those IPs as the
 * cluster's VIPs, and the aggregate merges them. A headless import has no IPs, so istiod makes
 * none for it (its name is answered by `meshfed dns` alone).
 */
export interface ClustersetService {
  hostname: string;
  namespace: string;
  name: string;
  /** Cluster → the VIPs of the import written there (sorted, as istiod sorts them). */
  vips: Record<string, string[]>;
}

export function clustersetServices(state: McsState): ClustersetService[] {
  const out: ClustersetService[] = [];
  for (const imp of state.imports) {
    const vips = Object.fromEntries(
      Object.entries(imp.ips)
        .filter(([, ips]) => ips.length > 0)
        .map(([c, ips]) => [c, [...ips].sort()]),
    );
    if (Object.keys(vips).length) out.push({ hostname: clustersetHostname(imp.name, imp.namespace), namespace: imp.namespace, name: imp.name, vips });
  }
  return out;
}

/** A cluster where an import is not (yet) as it should be, and why. */
export interface ImportPending {
  cluster: string;
  why: string;
}

/**
 * An export's conditions with Ready (mcs-api v0.5.0) after Valid: False/Failed when the export
 * is not valid; False/Pending while a cluster does not hold its ServiceImport as planned (a
 * write failed, or meshfed has no credentials for that cluster); True/Exported once every
 * cluster does. Only the shell knows which writes succeeded, so it passes them in.
 */
export function withReady(status: ExportStatus, pending: readonly ImportPending[], clusters: readonly string[]): ExportCondition[] {
  const valid = status.conditions.find((c) => c.type === EXPORT_CONDITION.valid);
  const ready: ExportCondition =
    valid?.status !== 'True'
      ? { type: EXPORT_CONDITION.ready, status: 'False', reason: EXPORT_REASON.failed, message: `not exported: ${valid?.message ?? 'not valid'}` }
      : pending.length
        ? { type: EXPORT_CONDITION.ready, status: 'False', reason: EXPORT_REASON.pending, message: `the ServiceImport is not yet in ${pending.map((p) => `${p.cluster} (${p.why})`).join(', ')}` }
        : { type: EXPORT_CONDITION.ready, status: 'True', reason: EXPORT_REASON.exported, message: `imported into every cluster of the mesh: ${clusters.join(', ')}` };
  const out = status.conditions.filter((c) => c.type !== EXPORT_CONDITION.ready);
  const at = out.findIndex((c) => c.type === EXPORT_CONDITION.valid) + 1;
  out.splice(at, 0, ready);
  return out;
}

/** The ServiceImport object meshfed writes into `cluster` (spec; status goes through its subresource). */
export function serviceImportObject(plan: ServiceImportPlan, cluster: string): KubeObject {
  return {
    apiVersion: SERVICE_IMPORT.apiVersion,
    kind: SERVICE_IMPORT.kind,
    metadata: { name: plan.name, namespace: plan.namespace, labels: { ...IMPORT_LABELS } },
    spec: { type: plan.type, ports: plan.ports, ...(plan.ips[cluster]?.length ? { ips: plan.ips[cluster] } : {}) },
  };
}

/** status.clusters of a ServiceImport. */
export const importStatus = (plan: ServiceImportPlan): { clusters: { cluster: string }[] } => ({ clusters: plan.clusters.map((cluster) => ({ cluster })) });
