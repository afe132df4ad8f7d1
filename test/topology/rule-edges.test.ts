import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateMeshText } from '../../src/topology/index.js';
import { GOOD_DIR, brief } from './helpers.js';

const read = (name: string) => readFileSync(join(GOOD_DIR, name), 'utf8');

/** Replaces exactly one occurrence, so a test cannot silently stop changing the file. */
function edit(text: string, from: string, to: string): string {
  expect(text.split(from).length - 1, `"${from}" occurs once`).toBe(1);
  return text.replace(from, to);
}

describe('MF3010 only within one flat network', () => {
  it('allows the same ranges on different networks', () => {
    const v = validateMeshText(read('same-ranges-other-networks.yaml'), 'f.yaml');
    expect(v.diagnostics).toEqual([]);
    expect(v.ok).toBe(true);
  });

  it('reports the same ranges once both clusters share a network', () => {
    // c2 (line 13) moves to network n1; its pod (16) and service (17) ranges now clash,
    // and both clusters of the flat network lack a node address.
    const text = edit(read('same-ranges-other-networks.yaml'), 'network: n2', 'network: n1');
    expect(validateMeshText(text, 'f.yaml').diagnostics.map(brief)).toEqual([
      ['MF3024', 'warning', 8, 7],
      ['MF3024', 'warning', 13, 7],
      ['MF3010', 'error', 16, 18],
      ['MF3010', 'error', 17, 22],
    ]);
  });
});

describe('MF3020 and the lab', () => {
  it('accepts loopback API servers (and needs no node addresses) in a lab mesh', () => {
    const v = validateMeshText(read('lab-loopback.yaml'), 'f.yaml');
    expect(v.diagnostics).toEqual([]);
    expect(v.ok).toBe(true);
  });

  it('reports the same file without spec.lab', () => {
    // Dropping the two lab lines moves c1 to line 8 and c2 to line 12.
    const text = edit(read('lab-loopback.yaml'), '  lab:\n    nodes: 1\n', '');
    expect(validateMeshText(text, 'f.yaml').diagnostics.map(brief)).toEqual([
      ['MF3024', 'warning', 8, 7],
      ['MF3020', 'error', 9, 18],
      ['MF3024', 'warning', 12, 7],
      ['MF3020', 'error', 13, 18],
    ]);
  });
});

describe('MF3042 points at what the user wrote', () => {
  const mesh = (c2: string[]) =>
    [
      'apiVersion: meshfed.io/v1alpha1',
      'kind: Mesh',
      'metadata:',
      '  name: mesh1',
      'spec:',
      '  clusters:',
      '    - name: c1',
      '      context: c2',
      '      apiServer: https://10.0.0.1:6443',
      '      network: n1',
      '    - name: c2',
      ...c2,
      '      apiServer: https://10.0.0.2:6443',
      '      network: n2',
      '',
    ].join('\n');

  it('at the name when the context defaults to it', () => {
    expect(validateMeshText(mesh([]), 'f.yaml').diagnostics.map(brief)).toEqual([['MF3042', 'error', 11, 13]]);
  });

  it('at the context when written, even if it equals the name', () => {
    expect(validateMeshText(mesh(['      context: c2']), 'f.yaml').diagnostics.map(brief)).toEqual([['MF3042', 'error', 12, 16]]);
  });
});

describe('checks that depend on the mesh size', () => {
  it('does not ask a single-cluster mesh for an API server', () => {
    const text = ['apiVersion: meshfed.io/v1alpha1', 'kind: Mesh', 'metadata:', '  name: mesh1', 'spec:', '  clusters:', '    - name: c1', ''].join('\n');
    const v = validateMeshText(text, 'f.yaml');
    expect(v.diagnostics).toEqual([]);
    expect(v.mesh?.spec.clusters[0]).toMatchObject({ name: 'c1', context: 'c1', controlPlane: 'self' });
  });
});
