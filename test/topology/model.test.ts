import { readFileSync } from 'node:fs';
import { describe, expect, expectTypeOf, it } from 'vitest';
import * as pki from '../../src/pki/index.js';
import * as topology from '../../src/topology/index.js';
import { normalizeMesh } from '../../src/topology/normalize.js';
import * as trust from '../../src/trust/algorithms.js';

type Node = { properties?: Record<string, Node>; items?: Node; default?: unknown; enum?: unknown[] };

/** Every `default` the schema names, by the JSON pointer it sits at (array items as `0`). */
function schemaDefaults(node: Node, at = ''): Map<string, unknown> {
  const out = new Map<string, unknown>();
  if (node.default !== undefined) out.set(at, node.default);
  for (const [key, field] of Object.entries(node.properties ?? {})) for (const [p, v] of schemaDefaults(field, `${at}/${key}`)) out.set(p, v);
  if (node.items) for (const [p, v] of schemaDefaults(node.items, `${at}/0`)) out.set(p, v);
  return out;
}

/** Every leaf of a value, by JSON pointer. */
function leaves(value: unknown, at = ''): Map<string, unknown> {
  if (typeof value !== 'object' || value === null || (Array.isArray(value) && value.length === 0)) return new Map([[at, value]]);
  const out = new Map<string, unknown>();
  for (const [key, v] of Object.entries(value)) for (const [p, leaf] of leaves(v, `${at}/${key}`)) out.set(p, leaf);
  return out;
}

// The smallest valid mesh file with a lab section: everything else is left to the defaults.
const minimal = { apiVersion: 'meshfed.io/v1alpha1', kind: 'Mesh', metadata: { name: 'm' }, spec: { lab: {}, services: {}, clusters: [{ name: 'c1' }] } };
// What the normalizer fills that JSON Schema cannot hold as a literal (context is the cluster's
// name) or that the schema never listed (the Istio version is the one the lab builds).
const derived = new Map<string, unknown>([
  ['/spec/istio/version', topology.DEFAULT_ISTIO_VERSION],
  ['/spec/clusters/0/context', 'c1'],
  ['/spec/clusters/0/podCIDRs', []],
  ['/spec/clusters/0/serviceCIDRs', []],
]);

describe('the mesh model has one definition', () => {
  it('prints the same JSON Schema as before the model moved to TypeBox', () => {
    const before: unknown = JSON.parse(readFileSync(new URL('./mesh-schema.v1alpha1.json', import.meta.url), 'utf8'));
    expect(JSON.parse(JSON.stringify(topology.meshSchema))).toStrictEqual(before);
  });

  it('fills exactly the schema defaults, plus the derived ones, into a file that leaves everything out', () => {
    const defaults = schemaDefaults(topology.meshSchema as Node);
    expect([...defaults.keys()].sort()).toEqual(
      ['/spec/clusters/0/controlPlane', '/spec/istio/installer', '/spec/lab/nodes', '/spec/services/discovery', '/spec/services/dnsProxy', ...['trustDomain', 'rootDir', 'keyAlgorithm', 'rootValidityDays', 'intermediateValidityDays'].map((k) => `/spec/trust/${k}`)].sort(),
    );
    const filled = leaves(normalizeMesh(structuredClone(minimal)));
    const given = leaves(minimal);
    for (const [path, value] of filled) {
      if (given.has(path)) continue;
      expect(defaults.has(path) || derived.has(path), `${path} was filled but the schema names no default for it`).toBe(true);
      expect(value, path).toEqual(defaults.has(path) ? defaults.get(path) : derived.get(path));
    }
    for (const path of [...defaults.keys(), ...derived.keys()]) expect(filled.has(path), `${path} was not filled`).toBe(true);
  });

  it('keeps what the file gives over the defaults', () => {
    const file = structuredClone(minimal) as typeof minimal & { spec: Record<string, unknown> };
    file.spec['trust'] = { keyAlgorithm: 'ecdsa-p256', rootValidityDays: 30 };
    file.spec.clusters = [{ name: 'c1', context: 'kind-c1', controlPlane: 'c0' } as { name: string }];
    const mesh = normalizeMesh(file);
    expect(mesh.spec.trust).toEqual({ ...pki.DEFAULT_TRUST_OPTIONS, trustDomain: 'cluster.local', rootDir: './certs', keyAlgorithm: 'ecdsa-p256', rootValidityDays: 30 });
    expect(mesh.spec.clusters[0]).toMatchObject({ context: 'kind-c1', controlPlane: 'c0' });
  });

  it('leaves out a lab section the file does not have', () => {
    const { lab: _lab, ...spec } = minimal.spec;
    expect(normalizeMesh({ ...minimal, spec }).spec.lab).toBeUndefined();
  });

  it('leaves out a services section the file does not have (plans and renders stay as they were), and fills one it has', () => {
    const { services: _services, ...spec } = minimal.spec;
    expect(normalizeMesh({ ...minimal, spec }).spec.services).toBeUndefined();
    expect(normalizeMesh(structuredClone(minimal)).spec.services).toEqual({ discovery: 'istio', dnsProxy: false });
  });
});

describe('KeyAlgorithm has one definition (src/trust), used by pki and by the mesh schema', () => {
  it('pki and the schema list the same algorithms from the same array', () => {
    expect(pki.KEY_ALGORITHMS).toBe(trust.KEY_ALGORITHMS);
    const keyAlgorithm = (topology.meshSchema as Node).properties!['spec']!.properties!['trust']!.properties!['keyAlgorithm']!;
    expect(keyAlgorithm.enum).toEqual([...trust.KEY_ALGORITHMS]);
    expectTypeOf<topology.KeyAlgorithm>().toEqualTypeOf<pki.KeyAlgorithm>();
    expectTypeOf<topology.TrustSpec['keyAlgorithm']>().toEqualTypeOf<trust.KeyAlgorithm>();
  });

  it('pki\'s trust defaults are the schema\'s', () => {
    const defaults = schemaDefaults(topology.meshSchema as Node);
    expect(pki.DEFAULT_TRUST_OPTIONS).toBe(trust.TRUST_DEFAULTS);
    for (const [k, v] of Object.entries(pki.DEFAULT_TRUST_OPTIONS)) expect(defaults.get(`/spec/trust/${k}`), k).toEqual(v);
  });
});
