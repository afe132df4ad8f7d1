import { randomBytes } from 'node:crypto';
import { lstat, mkdir, open, readdir, readFile, rename, rmdir, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { RenderError } from './errors.js';
import type { RenderedFile } from './render.js';

/** Lists the files the last render wrote, so the next one deletes those and nothing else. */
export const MANIFEST_FILE = '.meshfed-rendered.json';

interface Manifest {
  renderedBy: 'meshfed';
  files: string[];
}

const errno = (e: unknown): string | undefined => (e as NodeJS.ErrnoException | undefined)?.code;

async function lstatOrUndefined(path: string) {
  try {
    return await lstat(path);
  } catch (e) {
    if (errno(e) === 'ENOENT') return undefined;
    throw new RenderError({ code: 'MF3805', message: `cannot read ${path}: ${errno(e) ?? 'I/O error'}`, hint: 'check that you may read the output folder', path: path });
  }
}

/** A relative path of the manifest that stays inside the folder. */
const safeRelative = (p: unknown): p is string =>
  typeof p === 'string' && p !== '' && !p.startsWith('/') && !p.includes('\\') && p.split('/').every((s) => s !== '' && s !== '.' && s !== '..');

/** What a previous render wrote into `outDir`; undefined when it did not (an empty or new folder). */
async function previousFiles(outDir: string): Promise<Set<string>> {
  const info = await lstatOrUndefined(outDir);
  if (!info) return new Set();
  if (info.isSymbolicLink() || !info.isDirectory())
    throw new RenderError({ code: 'MF3802', message: `${outDir} is ${info.isSymbolicLink() ? 'a symlink' : 'not a folder'}`, hint: 'render into a folder of its own (meshfed follows no symlinks)', path: outDir });
  const manifestPath = join(outDir, MANIFEST_FILE);
  const m = await lstatOrUndefined(manifestPath);
  if (!m) {
    if ((await readdir(outDir)).length > 0)
      throw new RenderError({ code: 'MF3801', message: `${outDir} holds files that meshfed did not render`, hint: 'render into an empty or new folder (e.g. -o out/); meshfed replaces only what it rendered there before', path: outDir });
    return new Set();
  }
  const hint = `remove ${manifestPath} and everything meshfed rendered, or render into a new folder`;
  if (!m.isFile()) throw new RenderError({ code: 'MF3802', message: `${manifestPath} is not a regular file`, hint: hint, path: manifestPath });
  try {
    const parsed = JSON.parse(await readFile(manifestPath, 'utf8')) as Partial<Manifest>;
    if (parsed.renderedBy !== 'meshfed' || !Array.isArray(parsed.files) || !parsed.files.every(safeRelative)) throw new Error('not a manifest');
    return new Set(parsed.files);
  } catch {
    throw new RenderError({ code: 'MF3804', message: `${manifestPath} is not a manifest meshfed wrote`, hint: hint, path: manifestPath });
  }
}

/**
 * A file written whole or not at all: a temp file created exclusively (O_EXCL never follows a
 * symlink), then renamed over the path, so a symlink or hard link there is replaced, not written through.
 * (pki/files.ts has the trust folder's own copy: the layers share no code.)
 */
async function writeWhole(path: string, content: string, mode: number): Promise<void> {
  const tmp = join(dirname(path), `.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const handle = await open(tmp, 'wx', mode);
    try {
      await handle.chmod(mode); // the umask may have removed bits (0755 scripts)
      await handle.writeFile(content, 'utf8');
    } finally {
      await handle.close();
    }
    await rename(tmp, path);
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw new RenderError({ code: 'MF3805', message: `cannot write ${path}: ${errno(e) ?? 'I/O error'}`, hint: 'check that you may write the output folder', path: path });
  }
}

const manifestText = (files: Iterable<string>): string => JSON.stringify({ renderedBy: 'meshfed', files: [...files].sort() } satisfies Manifest, null, 2) + '\n';

/**
 * Writes rendered files under `outDir` without losing anything that is not meshfed's: into a
 * new or empty folder, or one holding a previous render's manifest. Every path is checked
 * before the first write (no symlink is followed, no foreign file replaced); files the previous
 * render wrote and this one does not (a cluster or gateway removed) are deleted, so nothing
 * lingers for GitOps to apply; everything else in the folder stays as it was, modes included.
 */
export async function writeRendered(outDir: string, files: RenderedFile[]): Promise<string[]> {
  const previous = await previousFiles(outDir);
  const next = new Set(files.map((f) => f.path));
  const checkedDirs = new Set<string>();
  for (const f of files) {
    if (!safeRelative(f.path) || f.path === MANIFEST_FILE) throw new RenderError({ code: 'MF3805', message: `refusing to write ${f.path} outside ${outDir}`, hint: 'this is a bug in meshfed: please report the mesh file', path: outDir });
    const segments = f.path.split('/');
    for (let i = 1; i < segments.length; i++) {
      const rel = segments.slice(0, i).join('/');
      if (checkedDirs.has(rel)) continue;
      checkedDirs.add(rel);
      const info = await lstatOrUndefined(join(outDir, rel));
      if (info && (info.isSymbolicLink() || !info.isDirectory()))
        throw new RenderError({ code: 'MF3802', message: `${join(outDir, rel)} is ${info.isSymbolicLink() ? 'a symlink' : 'not a folder'}; meshfed would write ${f.path} through it`, hint: `move ${join(outDir, rel)} away, or render into a new folder`, path: join(outDir, rel) });
    }
    const path = join(outDir, f.path);
    const info = await lstatOrUndefined(path);
    if (!info) continue;
    if (info.isSymbolicLink() || !info.isFile())
      throw new RenderError({ code: 'MF3802', message: `${path} is ${info.isSymbolicLink() ? 'a symlink' : 'not a regular file'}; meshfed writes no file through a link`, hint: `move ${path} away (its target stays as it is), or render into a new folder`, path: path });
    if (!previous.has(f.path))
      throw new RenderError({ code: 'MF3803', message: `${path} exists and was not rendered by meshfed`, hint: `move ${path} away, or render into a new folder`, path: path });
  }

  await mkdir(outDir, { recursive: true, mode: 0o755 });
  // Everything this run may leave behind is listed before it is written: an interrupted run
  // leaves a folder the next run still owns.
  await writeWhole(join(outDir, MANIFEST_FILE), manifestText(new Set([...previous, ...next])), 0o644);
  const written: string[] = [];
  for (const f of files) {
    const path = join(outDir, f.path);
    await mkdir(dirname(path), { recursive: true, mode: 0o755 });
    await writeWhole(path, f.content, f.mode);
    written.push(path);
  }
  const stale = [...previous].filter((p) => !next.has(p));
  for (const rel of stale) {
    const path = join(outDir, rel);
    const info = await lstatOrUndefined(path);
    // Only the regular file meshfed wrote; a link or folder put there since is not ours.
    if (info?.isFile()) await unlink(path);
  }
  // Folders left empty by the deletions go too (deepest first); a folder holding anything stays.
  const folders = [...new Set(stale.flatMap((p) => p.split('/').slice(0, -1).map((_, i, s) => s.slice(0, i + 1).join('/'))))].sort((a, b) => b.length - a.length);
  for (const rel of folders) if (!next.has(rel)) await rmdir(join(outDir, rel)).catch(() => undefined);
  await writeWhole(join(outDir, MANIFEST_FILE), manifestText(next), 0o644);
  return written;
}
