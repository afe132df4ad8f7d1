import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateMeshFile, validateMeshText } from '../../src/topology/index.js';
import { brief } from './helpers.js';

/** A valid one-cluster mesh whose spec.istio.values is `values` (YAML text on one line or a block). */
const withValues = (values: string) => `apiVersion: meshfed.io/v1alpha1\nkind: Mesh\nmetadata: {name: m}\nspec:\n  istio:\n    values: ${values}\n  clusters:\n    - name: c1\n`;

describe('mesh files within the limits of what meshfed reads', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'meshfed-limits-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('refuses a file over 1 MiB, from disk before reading it and as text (MF1004)', async () => {
    const big = withValues(`{pad: "${'x'.repeat(1024 * 1024)}"}`);
    const path = join(dir, 'big.yaml');
    await writeFile(path, big);
    expect((await validateMeshFile(path)).diagnostics.map(brief)).toEqual([['MF1004', 'error', 1, 1]]);
    expect(validateMeshText(big, 'big.yaml').diagnostics.map(brief)).toEqual([['MF1004', 'error', 1, 1]]);
  });

  it('refuses more than 100,000 values before building a tree, pointing at the value past the limit (MF1005)', () => {
    const v = validateMeshText(withValues(`[${'1,'.repeat(150_000)}1]`), 'flow.yaml');
    expect(v.diagnostics.map((d) => [d.code, d.line])).toEqual([['MF1005', 6]]);
    expect(v.diagnostics[0]!.column).toBeGreaterThan(100_000);
  });

  it('reads 30,000 keys under values (a lexer count, a linear duplicate-key check)', () => {
    const keys = Array.from({ length: 30_000 }, (_, i) => `      k${i}: ${i}`).join('\n');
    const v = validateMeshText(withValues(`\n${keys}`), 'keys.yaml');
    expect(v.diagnostics).toEqual([]);
    expect(Object.keys(v.mesh!.spec.istio.values!)).toHaveLength(30_000);
  });

  it('still finds a duplicate key among them, at the second one', () => {
    const keys = Array.from({ length: 5_000 }, (_, i) => `      k${i}: ${i}`);
    keys.push('      k17: again');
    const v = validateMeshText(withValues(`\n${keys.join('\n')}`), 'dup.yaml');
    expect(v.diagnostics.map(brief)).toEqual([['MF1001', 'error', 5007, 7]]);
  });

  it('refuses block nesting past 64 levels as MF1006, not as a syntax error or a stack overflow', () => {
    const deep = Array.from({ length: 300 }, (_, i) => `${' '.repeat(6 + i)}k:`).join('\n');
    const v = validateMeshText(withValues(`\n${deep} 1`), 'deep.yaml');
    expect(v.diagnostics.map((d) => d.code)).toEqual(['MF1006']);
  });

  it('accepts a file with hundreds of aliases of small values (the YAML library alone refuses 100)', () => {
    const v = validateMeshText(withValues(`{${Array.from({ length: 400 }, (_, i) => `k${i}: ${i === 0 ? '&x [a, b]' : '*x'}`).join(', ')}}`), 'aliases.yaml');
    expect(v.diagnostics).toEqual([]);
    expect((v.mesh!.spec.istio.values as Record<string, unknown>)['k399']).toEqual(['a', 'b']);
  });

  it('refuses more than 1,000 aliases (MF1007)', () => {
    const v = validateMeshText(withValues(`{${Array.from({ length: 1_200 }, (_, i) => `k${i}: ${i === 0 ? '&x 1' : '*x'}`).join(', ')}}`), 'aliases.yaml');
    expect(v.diagnostics.map((d) => d.code)).toEqual(['MF1007']);
  });

  it('refuses a FIFO passed as the mesh file without waiting for a writer (MF1010)', async () => {
    const fifo = join(dir, 'mesh.fifo');
    execFileSync('mkfifo', [fifo]);
    const v = await validateMeshFile(fifo);
    expect(v.diagnostics.map(brief)).toEqual([['MF1010', 'error', 1, 1]]);
    expect(v.diagnostics[0]!.message).toContain('a pipe');
  });

  it('refuses a character device (MF1010)', async () => {
    expect((await validateMeshFile('/dev/zero')).diagnostics.map((d) => d.code)).toEqual(['MF1010']);
  });

  it('refuses a mesh whose plan would hold more than 200,000 remote secrets, counted without planning (MF3051)', () => {
    // 450 primaries each watch 449 others: 202,050 remote secrets.
    const clusters = Array.from({ length: 450 }, (_, i) => `    - {name: c${i}}`).join('\n');
    const v = validateMeshText(`apiVersion: meshfed.io/v1alpha1\nkind: Mesh\nmetadata: {name: m}\nspec:\n  lab: {}\n  clusters:\n${clusters}\n`, 'wide.yaml');
    expect(v.diagnostics.map(brief)).toEqual([['MF3051', 'error', 7, 5]]);
    expect(v.diagnostics[0]!.message).toContain('202050 remote secrets');
  });

  it('refuses a flat network whose routes would pass 200,000 (MF3051)', () => {
    // One primary, 320 remotes on one flat network, 2 ranges each: 320 × 321 × 2 = 205,440 routes.
    const clusters = Array.from({ length: 321 }, (_, i) =>
      `    - {name: c${i}, controlPlane: ${i === 0 ? 'self' : 'c0'}, podCIDRs: [10.${i >> 8}.${i & 255}.0/25], serviceCIDRs: [10.${i >> 8}.${i & 255}.128/25]}`,
    ).join('\n');
    const v = validateMeshText(`apiVersion: meshfed.io/v1alpha1\nkind: Mesh\nmetadata: {name: m}\nspec:\n  lab: {}\n  clusters:\n${clusters}\n`, 'flat.yaml');
    expect(v.diagnostics.map((d) => [d.code, d.message.match(/\d+ flat-network routes/)?.[0]])).toEqual([['MF3051', '205440 flat-network routes']]);
  });
});
