import { describe, expect, it } from 'vitest';
import { BAD_DIR, GOOD_DIR, validateFixture } from './helpers.js';

describe('validation collects every problem', () => {
  it('reports all problems of a file sorted by line, then column', () => {
    const v = validateFixture(BAD_DIR, 'several-rule-problems.yaml');
    expect(v.diagnostics.map((d) => d.code)).toEqual(['MF3021', 'MF3001', 'MF3010', 'MF3023', 'MF3030']);
    const positions = v.diagnostics.map((d) => d.line * 1000 + d.column);
    expect(positions).toEqual([...positions].sort((a, b) => a - b));
  });

  it('still returns the mesh when only rules fail, for tools that show it', () => {
    const v = validateFixture(BAD_DIR, 'several-rule-problems.yaml');
    expect(v.mesh?.spec.clusters.map((c) => c.name)).toEqual(['c1', 'C2', 'c3']);
  });
});

describe('ok', () => {
  it('is false when any diagnostic is an error, even next to warnings', () => {
    const v = validateFixture(BAD_DIR, 'several-rule-problems.yaml');
    expect(v.diagnostics.some((d) => d.severity === 'warning')).toBe(true);
    expect(v.ok).toBe(false);
  });

  it('is true with warnings only', () => {
    for (const name of ['mf3023-missing-api-server.yaml', 'mf3024-missing-node-address.yaml']) {
      const v = validateFixture(BAD_DIR, name);
      expect(v.diagnostics.length).toBeGreaterThan(0);
      expect(v.diagnostics.every((d) => d.severity === 'warning')).toBe(true);
      expect(v.ok).toBe(true);
      expect(v.mesh).toBeDefined();
    }
  });

  it('is true with no diagnostics at all', () => {
    expect(validateFixture(GOOD_DIR, 'lab-loopback.yaml').ok).toBe(true);
  });
});
