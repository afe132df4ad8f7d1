import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { planMesh, summarizePlan } from '../../src/plan/index.js';
import { renderMesh } from '../../src/render/index.js';
import { validateMeshText } from '../../src/topology/index.js';
import { REPO } from './helpers.js';

const example = (name: string) => readFileSync(join(REPO, 'examples', name, 'mesh.yaml'), 'utf8');

function render(text: string) {
  const v = validateMeshText(text, 'mesh.yaml');
  expect(v.ok, JSON.stringify(v.diagnostics)).toBe(true);
  return renderMesh(planMesh(v.mesh!));
}

describe('strings that reach rendered files', () => {
  it('refuses a context with a newline in validate, before anything is rendered (MF3050)', () => {
    const text = example('multi-primary').replace('context: kind-cluster01', 'context: "kind-cluster01\\n---\\napiVersion: rbac.authorization.k8s.io/v1\\nkind: ClusterRoleBinding"');
    expect(text).toContain('ClusterRoleBinding');
    const v = validateMeshText(text, 'mesh.yaml');
    expect(v.ok).toBe(false);
    expect(v.diagnostics.filter((d) => d.severity === 'error').map((d) => [d.code, d.path])).toEqual([['MF3050', '/spec/clusters/0/context']]);
  });

  it('quotes a context with spaces and quotes as one shell word in the command comments', () => {
    const { files } = render(example('multi-primary').replace('context: kind-cluster01', `context: "it's my cluster; rm -rf /"`));
    const ns = files.find((f) => f.path === 'cluster01/00-namespace.yaml')!.content;
    expect(ns).toContain(`# kubectl apply --context='it'\\''s my cluster; rm -rf /' -f 00-namespace.yaml`);
    // Still one document: the comment stays a comment.
    expect(parseAllDocuments(ns)).toHaveLength(1);
  });

  it('keeps values keys named __proto__ and constructor as data, and pollutes no prototype', () => {
    const original = example('multi-primary');
    const block = '    values:\n      global:\n        logAsJson: true\n';
    expect(original).toContain(block);
    const text = original.replace(block, '    values:\n      __proto__: {polluted: yes}\n      constructor: {prototype: {polluted: yes}}\n      global: {__proto__: {x: 1}, logging: {level: debug}}\n');
    const { files } = render(text);
    const op = parseAllDocuments(files.find((f) => f.path === 'cluster01/20-istio.yaml')!.content)[0]!.toJS() as { spec: { values: Record<string, unknown> } };
    const values = op.spec.values;
    expect(Object.prototype.hasOwnProperty.call(values, '__proto__')).toBe(true);
    expect(Object.getOwnPropertyDescriptor(values, '__proto__')?.value).toEqual({ polluted: 'yes' });
    expect(Object.getOwnPropertyDescriptor(values, 'constructor')?.value).toEqual({ prototype: { polluted: 'yes' } });
    const global = values['global'] as Record<string, unknown>;
    expect(Object.getOwnPropertyDescriptor(global, '__proto__')?.value).toEqual({ x: 1 });
    expect(global['logging']).toEqual({ level: 'debug' });
    // meshfed's own global settings are merged beside the user's.
    expect(global['meshID']).toBe('mesh1');
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });
});

describe('the plan summary of a large mesh', () => {
  it('lists the remote secrets per primary instead of a matrix of every cluster', () => {
    const clusters = Array.from({ length: 40 }, (_, i) => `    - {name: c${i}, controlPlane: ${i < 3 ? 'self' : 'c0'}}`).join('\n');
    const v = validateMeshText(`apiVersion: meshfed.io/v1alpha1\nkind: Mesh\nmetadata: {name: m}\nspec:\n  lab: {}\n  clusters:\n${clusters}\n`, 'big.yaml');
    expect(v.ok, JSON.stringify(v.diagnostics)).toBe(true);
    const text = summarizePlan(planMesh(v.mesh!));
    expect(text).toContain('Remote secrets (117; per primary, the clusters it watches)');
    expect(text).toContain('  c0: watches 39 of the 39 other clusters\n');
    expect(text).toContain('  c2: watches 39 of the 39 other clusters\n');
    expect(text).not.toContain('c3: watches');
  });

  it('counts steps and routes by kind once they pass 1,000, instead of a line each', () => {
    // 10 primaries, 190 remotes on one flat network: 1,990 remote secrets, 200 × 199 × 1 routes.
    const clusters = Array.from({ length: 200 }, (_, i) => `    - {name: c${i}, controlPlane: ${i < 10 ? 'self' : `c${i % 10}`}, podCIDRs: [10.0.${i}.0/24]}`).join('\n');
    const v = validateMeshText(`apiVersion: meshfed.io/v1alpha1\nkind: Mesh\nmetadata: {name: m}\nspec:\n  lab: {}\n  clusters:\n${clusters}\n`, 'big.yaml');
    expect(v.ok, JSON.stringify(v.diagnostics.slice(0, 3))).toBe(true);
    const plan = planMesh(v.mesh!);
    const text = summarizePlan(plan);
    expect(text).toContain(`Steps (${plan.steps.length}; each starts when the steps it needs are done)\n  namespace: 200\n`);
    expect(text).toContain(`  remote-secret: 1990\n`);
    expect(text).toContain(`  39800 routes on 200 clusters`);
    expect(text.split('\n').length).toBeLessThan(600);
  });
});
