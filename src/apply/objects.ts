import { applyObject, getObject, type KubeClients, type KubeObject } from '../kube/index.js';

export interface ApplyOutcome {
  changed: boolean;
  object: KubeObject;
}

/** Server-side apply reporting whether anything changed (a new resourceVersion). */
export async function applyTracked(clients: KubeClients, object: KubeObject, dryRun: boolean): Promise<ApplyOutcome> {
  const before = await getObject(clients, { apiVersion: object.apiVersion, kind: object.kind, name: object.metadata.name, ...(object.metadata.namespace ? { namespace: object.metadata.namespace } : {}) });
  const after = await applyObject(clients, object, { dryRun });
  // Compare content, not resourceVersion: a dry run stores nothing, and the server bumps the
  // version for bookkeeping alone (e.g. the managedFields entry it adds when another tool, such
  // as istioctl, left an object with none), which is no change a person would see.
  const changed = !before || JSON.stringify(comparable(before)) !== JSON.stringify(comparable(after));
  return { changed, object: after };
}

export async function applyAll(clients: KubeClients, objects: KubeObject[], dryRun: boolean): Promise<{ changed: string[]; unchanged: string[] }> {
  const changed: string[] = [];
  const unchanged: string[] = [];
  for (const o of objects) {
    const r = await applyTracked(clients, o, dryRun);
    const name = `${o.kind}/${o.metadata.name}`;
    (r.changed ? changed : unchanged).push(name);
  }
  return { changed, unchanged };
}

export function summarize(r: { changed: string[]; unchanged: string[] }, dryRun: boolean): { changed: boolean; detail: string } {
  if (r.changed.length === 0) return { changed: false, detail: `unchanged (${r.unchanged.join(', ')})` };
  return { changed: true, detail: `${dryRun ? 'would change' : 'applied'} ${r.changed.join(', ')}` };
}

function comparable(o: KubeObject): unknown {
  const { managedFields: _m, resourceVersion: _r, generation: _g, creationTimestamp: _c, uid: _u, ...metadata } = o.metadata;
  return sortKeys({ ...o, metadata });
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, x]) => [k, sortKeys(x)]));
  return v;
}
