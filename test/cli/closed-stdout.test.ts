import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runMeshfedProcess } from './process.js';

describe('a closed stdout', () => {
  let dir: string;
  let mesh: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'meshfed-epipe-'));
    mesh = join(dir, 'mesh.yaml');
    // 60 primaries: a plan of megabytes, far more than a pipe holds.
    const clusters = Array.from({ length: 60 }, (_, i) => `    - {name: c${i}}`).join('\n');
    await writeFile(mesh, `apiVersion: meshfed.io/v1alpha1\nkind: Mesh\nmetadata: {name: m}\nspec:\n  lab: {}\n  clusters:\n${clusters}\n`);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('ends `plan -o json | head -c1` quietly with exit 0', async () => {
    const r = await runMeshfedProcess(['plan', '-f', mesh, '-o', 'json'], { closeStdoutAfterFirstChunk: true });
    expect(r.stdout.startsWith('{')).toBe(true);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  });
});
