import {
  DEFAULT_ISTIO_VERSION,
  DEFAULT_KEY_ALGORITHM,
  DEFAULT_LAB_NODES,
  DEFAULT_ROOT_DIR,
  DEFAULT_TRUST_DOMAIN,
  DEFAULT_VALIDITY_DAYS,
} from './defaults.js';
import type { ClusterSpec, KeyAlgorithm, MeshFile } from './types.js';

type Raw = Record<string, unknown>;
const obj = (v: unknown): Raw => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Raw) : {});
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const strs = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

/** Fills the defaults of a schema-valid mesh file; the result is what every other layer reads. */
export function normalizeMesh(value: unknown): MeshFile {
  const root = obj(value);
  const spec = obj(root['spec']);
  const istio = obj(spec['istio']);
  const trust = obj(spec['trust']);
  const lab = spec['lab'] === undefined ? undefined : obj(spec['lab']);
  const clusters: ClusterSpec[] = (Array.isArray(spec['clusters']) ? spec['clusters'] : []).map((c) => {
    const r = obj(c);
    const name = str(r['name']) ?? '';
    const cluster: ClusterSpec = {
      name,
      context: str(r['context']) ?? name,
      controlPlane: str(r['controlPlane']) ?? 'self',
      podCIDRs: strs(r['podCIDRs']),
      serviceCIDRs: strs(r['serviceCIDRs']),
    };
    for (const k of ['apiServer', 'network', 'loadBalancerPool', 'eastWestGatewayAddress', 'nodeAddress'] as const) {
      const v = str(r[k]);
      if (v !== undefined) cluster[k] = v;
    }
    return cluster;
  });
  return {
    apiVersion: 'meshfed.io/v1alpha1',
    kind: 'Mesh',
    metadata: { name: str(obj(root['metadata'])['name']) ?? '' },
    spec: {
      istio: {
        version: str(istio['version']) ?? DEFAULT_ISTIO_VERSION,
        installer: istio['installer'] === 'helm' ? 'helm' : 'istioctl',
        ...(str(istio['revision']) !== undefined ? { revision: str(istio['revision'])! } : {}),
        ...(istio['meshConfig'] !== undefined ? { meshConfig: obj(istio['meshConfig']) } : {}),
        ...(istio['values'] !== undefined ? { values: obj(istio['values']) } : {}),
      },
      trust: {
        trustDomain: str(trust['trustDomain']) ?? DEFAULT_TRUST_DOMAIN,
        rootDir: str(trust['rootDir']) ?? DEFAULT_ROOT_DIR,
        keyAlgorithm: (str(trust['keyAlgorithm']) ?? DEFAULT_KEY_ALGORITHM) as KeyAlgorithm,
        rootValidityDays: typeof trust['rootValidityDays'] === 'number' ? trust['rootValidityDays'] : DEFAULT_VALIDITY_DAYS,
        intermediateValidityDays:
          typeof trust['intermediateValidityDays'] === 'number' ? trust['intermediateValidityDays'] : DEFAULT_VALIDITY_DAYS,
      },
      clusters,
      ...(lab ? { lab: { nodes: typeof lab['nodes'] === 'number' ? lab['nodes'] : DEFAULT_LAB_NODES } } : {}),
    },
  };
}
