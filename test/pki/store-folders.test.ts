import { chmod, mkdir, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ensureTrust } from '../../src/pki/index.js';
import { runCli } from '../cli/run.js';
import { removeTempDirs, tempDir } from './helpers.js';

afterAll(removeTempDirs);

const mode = async (p: string) => (await stat(p)).mode & 0o777;
const FAST = { keyAlgorithm: 'ecdsa-p256' } as const;

describe('the trust folder changes the mode only of folders it creates', () => {
  it('`rootDir: .` leaves the project folder as it was (certs through the CLI)', async () => {
    const project = await tempDir('project');
    await chmod(project, 0o755);
    const meshFile = join(project, 'mesh.yaml');
    await writeFile(meshFile, 'apiVersion: meshfed.io/v1alpha1\nkind: Mesh\nmetadata: {name: m}\nspec:\n  lab: {}\n  trust: {rootDir: ., keyAlgorithm: ecdsa-p256}\n  clusters:\n    - name: c1\n');
    const run = await runCli('certs', '-f', meshFile);
    expect(run.code, run.stderr).toBe(0);
    expect(await mode(project)).toBe(0o755);
    expect(await mode(join(project, 'c1'))).toBe(0o700);
    expect(await mode(join(project, 'root-key.pem'))).toBe(0o600);
  });

  it('sets 0700 on every folder it creates, parents included', async () => {
    const base = await tempDir('nested');
    await chmod(base, 0o755);
    const rootDir = join(base, 'a', 'b', 'certs');
    await ensureTrust({ rootDir, clusters: ['c1'], options: FAST });
    expect(await mode(base)).toBe(0o755);
    for (const dir of [join(base, 'a'), join(base, 'a', 'b'), rootDir, join(rootDir, 'c1')]) expect(await mode(dir), dir).toBe(0o700);
  });

  it('does not chmod through a symlinked trust folder', async () => {
    const base = await tempDir('linked');
    const target = join(base, 'real');
    await mkdir(target);
    await chmod(target, 0o750);
    await symlink(target, join(base, 'certs'));
    await ensureTrust({ rootDir: join(base, 'certs'), clusters: ['c1'], options: FAST });
    expect(await mode(target)).toBe(0o750);
  });
});
