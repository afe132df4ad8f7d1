// `meshfed render -o DIR` loses nothing that is not its own: it refuses a folder holding files it
// did not render, writes through no symlink, replaces only files its manifest lists, and leaves
// every other file (and mode) as it was.
import { chmod, copyFile, lstat, mkdir, readFile, readlink, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { MANIFEST_FILE } from '../../src/render/index.js';
import { GOLDEN_EXAMPLES, meshfed, readTree, removeTempDirs, renderWithCli, tempDir } from './helpers.js';

afterAll(removeTempDirs);

async function meshCopy(): Promise<{ dir: string; meshFile: string }> {
  const dir = await tempDir('safe');
  const meshFile = join(dir, 'mesh.yaml');
  await copyFile(GOLDEN_EXAMPLES['primary-remote']!, meshFile);
  return { dir, meshFile };
}

/** Every file under dir with content and mode, and what each symlink points at. */
async function snapshot(dir: string) {
  const tree = await readTree(dir);
  return [...tree].map(([p, f]) => [p, f.content, f.mode.toString(8)]);
}

describe('render into a folder it does not own', () => {
  it('refuses a non-empty folder without a manifest, and changes nothing in it (MF3801)', async () => {
    const { dir, meshFile } = await meshCopy();
    const out = join(dir, 'out');
    await mkdir(join(out, 'cluster01'), { recursive: true });
    await writeFile(join(out, 'plan.json'), 'my own plan\n', { mode: 0o600 });
    await writeFile(join(out, 'cluster01', 'mine.yaml'), 'kind: Mine\n', { mode: 0o640 });
    await chmod(join(out, 'plan.json'), 0o600);
    await chmod(join(out, 'cluster01', 'mine.yaml'), 0o640);
    const before = await snapshot(out);
    const run = await meshfed('render', '-f', meshFile, '-o', out);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('error MF3801');
    expect(await snapshot(out)).toEqual(before);
  });
});

describe('render into its own folder', () => {
  it('writes through no symlinked plan.json, and keeps foreign files and their modes (MF3802)', async () => {
    const { dir, meshFile } = await meshCopy();
    const out = join(dir, 'out');
    await renderWithCli(meshFile, { out });
    // The user keeps a file of their own beside the rendered ones, and links plan.json elsewhere.
    const target = join(dir, 'precious.json');
    await writeFile(target, 'precious\n');
    await chmod(target, 0o600);
    await rm(join(out, 'plan.json'));
    await symlink(target, join(out, 'plan.json'));
    await writeFile(join(out, 'cluster01', 'mine.yaml'), 'kind: Mine\n');
    await chmod(join(out, 'cluster01', 'mine.yaml'), 0o640);
    const before = await snapshot(out);

    const run = await meshfed('render', '-f', meshFile, '-o', out);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('error MF3802');
    expect(run.stderr).toContain('plan.json is a symlink');
    expect(await readFile(target, 'utf8')).toBe('precious\n');
    expect((await lstat(target)).mode & 0o777).toBe(0o600);
    expect(await readlink(join(out, 'plan.json'))).toBe(target);
    expect(await snapshot(out)).toEqual(before);

    // Once the link is gone, render writes its files and still keeps the user's.
    await rm(join(out, 'plan.json'));
    await renderWithCli(meshFile, { out });
    expect((await readFile(join(out, 'cluster01', 'mine.yaml'), 'utf8'))).toBe('kind: Mine\n');
    expect((await lstat(join(out, 'cluster01', 'mine.yaml'))).mode & 0o777).toBe(0o640);
    expect((await lstat(join(out, 'plan.json'))).isFile()).toBe(true);
  });

  it('writes through no symlinked cluster folder (MF3802)', async () => {
    const { dir, meshFile } = await meshCopy();
    const out = join(dir, 'out');
    await renderWithCli(meshFile, { out });
    const elsewhere = join(dir, 'elsewhere');
    await mkdir(elsewhere);
    await rm(join(out, 'cluster02'), { recursive: true });
    await symlink(elsewhere, join(out, 'cluster02'));
    const run = await meshfed('render', '-f', meshFile, '-o', out);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('error MF3802');
    expect((await readTree(elsewhere)).size).toBe(0);
  });

  it('refuses to replace a file it did not render before (MF3803)', async () => {
    const { dir, meshFile } = await meshCopy();
    const out = join(dir, 'out');
    // Rendered without cluster02, which the user then fills with a file of their own.
    const mesh = parse(await readFile(meshFile, 'utf8')) as { spec: { clusters: { name: string; controlPlane?: string }[] } };
    const full = stringify(mesh, { lineWidth: 0 });
    mesh.spec.clusters = mesh.spec.clusters.filter((c) => c.name !== 'cluster02');
    await writeFile(meshFile, stringify(mesh, { lineWidth: 0 }));
    await renderWithCli(meshFile, { out });
    await mkdir(join(out, 'cluster02'));
    await writeFile(join(out, 'cluster02', '00-namespace.yaml'), 'mine\n');
    await writeFile(meshFile, full);
    const run = await meshfed('render', '-f', meshFile, '-o', out);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('error MF3803');
    expect(await readFile(join(out, 'cluster02', '00-namespace.yaml'), 'utf8')).toBe('mine\n');
  });

  it('deletes only the files its manifest lists when a cluster leaves the mesh; a foreign file keeps its folder', async () => {
    const { dir, meshFile } = await meshCopy();
    const out = join(dir, 'out');
    await renderWithCli(meshFile, { out });
    await writeFile(join(out, 'cluster02', 'notes.txt'), 'mine\n');
    const mesh = parse(await readFile(meshFile, 'utf8')) as { spec: { clusters: { name: string }[] } };
    mesh.spec.clusters = mesh.spec.clusters.filter((c) => c.name !== 'cluster02');
    await writeFile(meshFile, stringify(mesh, { lineWidth: 0 }));
    await renderWithCli(meshFile, { out });
    const after = await readTree(out);
    expect([...after.keys()].filter((p) => p.startsWith('cluster02/'))).toEqual(['cluster02/notes.txt']);
    const manifest = JSON.parse(after.get(MANIFEST_FILE)!.content) as { files: string[] };
    expect(manifest.files.some((f) => f.startsWith('cluster02/'))).toBe(false);
    expect(manifest.files).toContain('plan.json');
  });
});
