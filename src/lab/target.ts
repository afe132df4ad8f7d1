import type { MeshFile } from '../topology/index.js';
import { defaultLabStateDir } from './layout.js';

/** Which lab: its state dir, or the mesh file it was started from. */
export interface LabTarget {
  stateDir?: string;
  mesh?: MeshFile;
  meshPath?: string;
}

export function stateDirOf(t: LabTarget): string {
  if (t.stateDir) return t.stateDir;
  if (t.meshPath && t.mesh) return defaultLabStateDir(t.meshPath, t.mesh.metadata.name);
  throw new TypeError('lab: pass stateDir, or mesh and meshPath');
}
