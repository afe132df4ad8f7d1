import type { KubeObject } from '../kube/index.js';

type Obj = Record<string, unknown>;

/**
 * What istiod's informers keep of an object (pkg/kube/util.go StripUnusedFields and
 * StripPodUnusedFields): never managedFields, and of a pod's spec only the fields discovery
 * can use, with containers reduced to their ports. The registry reads nothing else, and the
 * rest is most of the memory a large cluster costs.
 */
export function slim(o: KubeObject): KubeObject {
  const { managedFields: _dropped, ...metadata } = o.metadata;
  if (o.kind !== 'Pod') return { ...o, metadata };
  const spec = (o['spec'] ?? {}) as Obj;
  const containers = ((spec['containers'] ?? []) as Obj[]).filter((c) => Array.isArray(c['ports']) && (c['ports'] as unknown[]).length > 0).map((c) => ({ ports: c['ports'] }));
  const kept: Obj = { containers };
  for (const f of ['serviceAccountName', 'nodeName', 'hostNetwork', 'hostname', 'subdomain']) if (spec[f] !== undefined) kept[f] = spec[f];
  return { ...o, metadata, spec: kept };
}
