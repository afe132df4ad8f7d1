import { dirname, isAbsolute, resolve } from 'node:path';
import { formatDiagnostic, validateMeshFile, type MeshFile } from '../topology/index.js';
import { CommandExit, EXIT } from './exit.js';
import type { Io } from './io.js';

export interface LoadedMesh {
  mesh: MeshFile;
  path: string;
  /** The trust folder, resolved against the mesh file's folder. */
  rootDir: string;
}

/** Loads and validates the mesh file; prints every diagnostic and stops on errors (exit 65). */
export async function loadMesh(file: string, io: Io): Promise<LoadedMesh> {
  const path = resolve(file);
  const v = await validateMeshFile(path);
  for (const d of v.diagnostics) if (d.severity === 'error' || !io.quiet) io.err(formatDiagnostic({ ...d, file }) + '\n');
  if (!v.ok || !v.mesh) {
    const errors = v.diagnostics.filter((d) => d.severity === 'error').length;
    io.err(`${file}: ${errors} error${errors === 1 ? '' : 's'}; nothing was done\n`);
    throw new CommandExit(EXIT.invalidMesh);
  }
  const rootDir = isAbsolute(v.mesh.spec.trust.rootDir) ? v.mesh.spec.trust.rootDir : resolve(dirname(path), v.mesh.spec.trust.rootDir);
  return { mesh: v.mesh, path, rootDir };
}
