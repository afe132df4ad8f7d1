import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateMeshFile } from '../../src/topology/index.js';
import { GOOD_DIR, brief } from './helpers.js';

describe('MF1003: the mesh file cannot be read', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'meshfed-topology-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reports a missing file at 1:1 of that path', async () => {
    const path = join(dir, 'no-such-mesh.yaml');
    const v = await validateMeshFile(path);
    expect(v.ok).toBe(false);
    expect(v.mesh).toBeUndefined();
    expect(v.diagnostics.map(brief)).toEqual([['MF1003', 'error', 1, 1]]);
    const [d] = v.diagnostics;
    expect(d!.file).toBe(path);
    expect(d!.message).toContain('no such file');
    expect(d!.hint.trim()).not.toBe('');
  });

  it('reports a directory given as the mesh file as no regular file (MF1010)', async () => {
    const v = await validateMeshFile(dir);
    expect(v.diagnostics.map(brief)).toEqual([['MF1010', 'error', 1, 1]]);
    expect(v.diagnostics[0]!.file).toBe(dir);
  });

  it('reads and validates a file that exists, naming it in diagnostics', async () => {
    const path = join(GOOD_DIR, 'same-ranges-other-networks.yaml');
    const v = await validateMeshFile(path);
    expect(v.diagnostics).toEqual([]);
    expect(v.ok).toBe(true);
    expect(v.mesh?.spec.clusters.map((c) => c.name)).toEqual(['c1', 'c2']);
  });
});
