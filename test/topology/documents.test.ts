import { describe, expect, it } from 'vitest';
import { validateMeshText } from '../../src/topology/index.js';
import { brief } from './helpers.js';

const MESH = ['apiVersion: meshfed.io/v1alpha1', 'kind: Mesh', 'metadata:', '  name: mesh1', 'spec:', '  clusters:', '    - name: c1', ''].join('\n');

describe('MF1002: exactly one YAML document', () => {
  it('an empty file holds no document', () => {
    expect(validateMeshText('', 'f.yaml').diagnostics.map(brief)).toEqual([['MF1002', 'error', 1, 1]]);
  });

  it('a lone document marker holds no document either', () => {
    expect(validateMeshText('---\n', 'f.yaml').diagnostics.map(brief)).toEqual([['MF1002', 'error', 1, 1]]);
    expect(validateMeshText('---\n---\n', 'f.yaml').diagnostics.map(brief)).toEqual([['MF1002', 'error', 1, 1]]);
  });

  it('accepts a leading or a trailing document marker around the one mesh', () => {
    for (const text of [`---\n${MESH}`, `${MESH}---\n`, `---\n${MESH}---\n# end\n`]) {
      const v = validateMeshText(text, 'f.yaml');
      expect(v.diagnostics, JSON.stringify(text)).toEqual([]);
      expect(v.mesh?.metadata.name).toBe('mesh1');
    }
  });

  it('points at the start of the second document', () => {
    // Lines 1-7 are the mesh; line 8 opens the second document.
    const v = validateMeshText(`${MESH}---\nkind: Other\n`, 'f.yaml');
    expect(v.diagnostics.map(brief)).toEqual([['MF1002', 'error', 8, 1]]);
    expect(v.diagnostics[0]!.message).toContain('2 YAML documents');
  });
});

describe('MF1001: YAML syntax', () => {
  it('stops at syntax errors: no schema or rule diagnostics, no mesh', () => {
    // "Bad_Name" would be MF3001 and the missing spec MF2001 if the file parsed.
    const v = validateMeshText('metadata:\n  name: Bad_Name\n  name: again\n', 'f.yaml');
    expect(v.diagnostics.map(brief)).toEqual([['MF1001', 'error', 3, 3]]);
    expect(v.mesh).toBeUndefined();
    expect(v.ok).toBe(false);
  });
});
