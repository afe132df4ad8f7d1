import { describe, expect, it } from 'vitest';
import { validateMeshText } from '../../src/topology/index.js';
import { BAD_DIR, brief, validateFixture } from './helpers.js';

const head = (clusterLines: string[]) =>
  ['apiVersion: meshfed.io/v1alpha1', 'kind: Mesh', 'metadata:', '  name: mesh1', 'spec:', '  clusters:', ...clusterLines, ''].join('\n');

describe('MF2002: unknown fields', () => {
  it('suggests the field a typo was meant to be', () => {
    const v = validateFixture(BAD_DIR, 'mf2002-unknown-fields.yaml');
    const typo = v.diagnostics.find((d) => d.path === '/spec/clusters/0/netwrok');
    expect(typo?.hint).toBe('did you mean "network"?');
    expect(typo?.message).toContain('"netwrok"');
  });

  it('lists the allowed fields when nothing is close', () => {
    const v = validateFixture(BAD_DIR, 'mf2002-unknown-fields.yaml');
    const odd = v.diagnostics.find((d) => d.path === '/spec/trust/rotation');
    expect(odd?.hint).toMatch(/^allowed fields here: /);
    expect(odd?.hint).toContain('trustDomain');
    expect(odd?.hint).not.toContain('did you mean');
  });

  it('matches a suggestion regardless of case', () => {
    const v = validateFixture(BAD_DIR, 'several-schema-problems.yaml');
    expect(v.diagnostics.find((d) => d.code === 'MF2002')?.hint).toBe('did you mean "apiServer"?');
  });

  it('points at the key even when it holds a slash', () => {
    // Line 8 holds the unknown key "a/b"; the cluster itself starts on line 7.
    const v = validateMeshText(head(['    - name: c1', '      a/b: 1']), 'f.yaml');
    expect(v.diagnostics.map(brief)).toEqual([['MF2002', 'error', 8, 7]]);
    expect(v.diagnostics[0]!.path).toBe('/spec/clusters/0/a~1b');
  });
});

describe('schema problems come before rules', () => {
  it('reports only the schema problem and no mesh when both kinds exist', () => {
    // Line 7: "Bad_Name" breaks MF3001, line 8 an unknown field breaks the schema.
    const v = validateMeshText(head(['    - name: Bad_Name', '      colour: blue']), 'f.yaml');
    expect(v.diagnostics.map(brief)).toEqual([['MF2002', 'error', 8, 7]]);
    expect(v.mesh).toBeUndefined();
    expect(v.ok).toBe(false);
  });

  it('reports a non-object document as the wrong type at 1:1', () => {
    expect(validateMeshText('just a string\n', 'f.yaml').diagnostics.map(brief)).toEqual([['MF2003', 'error', 1, 1]]);
  });
});
