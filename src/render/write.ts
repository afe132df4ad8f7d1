import { chmod, mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { RenderedFile } from './render.js';

/**
 * Writes rendered files under `outDir`, replacing the cluster folders it renders so a file
 * that left the mesh (a cluster or gateway removed) does not linger for GitOps to apply.
 */
export async function writeRendered(outDir: string, files: RenderedFile[]): Promise<string[]> {
  const folders = new Set(files.filter((f) => f.path.includes('/')).map((f) => f.path.split('/')[0]!));
  await mkdir(outDir, { recursive: true });
  for (const entry of await readdir(outDir, { withFileTypes: true })) {
    // Only folders meshfed wrote (they hold a 00-namespace.yaml) are pruned.
    if (entry.isDirectory() && !folders.has(entry.name)) {
      const inside = await readdir(join(outDir, entry.name));
      if (inside.includes('00-namespace.yaml')) await rm(join(outDir, entry.name), { recursive: true });
    }
  }
  for (const folder of folders) await rm(join(outDir, folder), { recursive: true, force: true });
  const written: string[] = [];
  for (const f of files) {
    const path = join(outDir, f.path);
    await mkdir(dirname(path), { recursive: true, mode: 0o755 });
    await writeFile(path, f.content, { mode: f.mode });
    await chmod(path, f.mode);
    written.push(path);
  }
  return written;
}
