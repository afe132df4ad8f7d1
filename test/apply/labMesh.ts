import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { kubeClients, type KubeClients } from '../../src/kube/index.js';
import { ensureLabBinaries, labDown, labUp, type LabState } from '../../src/lab/index.js';
import { validateMeshFile, type MeshFile } from '../../src/topology/index.js';
import { runCli } from '../cli/run.js';
import { labVariant } from './labVariant.js';

export { labVariant };

/** A lab started for a lab variant of an example, with its certificates, for one test file. */
export interface LabMesh {
  dir: string;
  meshPath: string;
  mesh: MeshFile;
  lab: LabState;
  /** One client per cluster of the first mesh file, by cluster name. */
  clients: Map<string, KubeClients>;
  /** The trust folder's root certificate. */
  root: string;
  /** Rewrites the mesh file as the lab variant of another example (same lab) and reloads it. */
  use(example: string, opts?: LabVariantOptions): Promise<MeshFile>;
  down(): Promise<void>;
}

type LabVariantOptions = NonNullable<Parameters<typeof labVariant>[2]>;

export async function startLabMesh(name: string, example: string, ips: readonly string[], opts: LabVariantOptions = {}): Promise<LabMesh> {
  await ensureLabBinaries({});
  const dir = await mkdtemp(join(tmpdir(), `meshfed-${name}-`));
  const meshPath = join(dir, 'mesh.yaml');
  const use = async (ex: string, o: LabVariantOptions = {}) => {
    await writeFile(meshPath, await labVariant(ex, ips, o));
    const v = await validateMeshFile(meshPath);
    expect(v.ok, JSON.stringify(v.diagnostics.filter((d) => d.severity === 'error'))).toBe(true);
    state.mesh = v.mesh!;
    return v.mesh!;
  };
  const state = { dir, meshPath } as LabMesh;
  await use(example, opts);
  state.use = use;
  try {
    state.lab = await labUp({ mesh: state.mesh, meshPath });
  } catch (e) {
    // A lab up that fails half-way leaves processes on this file's loopback addresses and
    // namespaces behind; the file's afterAll never sees a lab to take down, so do it here.
    await labDown({ mesh: state.mesh, meshPath }).catch(() => undefined);
    throw e;
  }
  state.clients = new Map(state.mesh.spec.clusters.map((c) => [c.name, kubeClients(state.lab.kubeconfig, c.context)]));
  state.down = async () => {
    await labDown({ mesh: state.mesh, meshPath }).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  };
  const certs = await runCli('certs', '-f', meshPath);
  expect(certs.code, certs.stderr).toBe(0);
  state.root = await readFile(join(dir, 'certs', 'root-cert.pem'), 'utf8');
  return state;
}
