/**
 * The four seed models, and one of them with Helm, one after another on one two-cluster lab
 * (they share the mesh and cluster names): apply brings the live clusters to the plan, a second apply changes nothing,
 * and destroy leaves the clusters as they were. Loopback addresses 127.0.3.x belong to this file.
 */
import { readFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubeClients, type KubeClients } from '../../src/kube/index.js';
import { ensureLabBinaries, labDown, labUp, type LabState } from '../../src/lab/index.js';
import { planMesh } from '../../src/plan/index.js';
import { validateMeshFile, type MeshFile } from '../../src/topology/index.js';
import { runCli } from '../cli/run.js';
import { labVariant } from './labMesh.js';
import { expectClustersMatchPlan, snapshot } from './live.js';

const IPS = ['127.0.3.1', '127.0.3.2'];
const MODELS = ['primary-remote', 'multi-primary', 'primary-remote-multi-network', 'multi-primary-multi-network'].map((m) => `examples/${m}/mesh.yaml`);
// The same multi-network primary-remote model installed with Helm (istio/base, istiod, gateway).
const HELM = 'test/render/fixtures/primary-remote-multi-network-helm/mesh.yaml';

let dir: string;
let meshPath: string;
let mesh: MeshFile;
let lab: LabState;
let clients: Map<string, KubeClients>;

async function load(): Promise<MeshFile> {
  const v = await validateMeshFile(meshPath);
  expect(v.ok, JSON.stringify(v.diagnostics.filter((d) => d.severity === 'error'))).toBe(true);
  return v.mesh!;
}

beforeAll(async () => {
  await ensureLabBinaries({});
  dir = await mkdtemp(join(tmpdir(), 'meshfed-apply-models-'));
  meshPath = join(dir, 'mesh.yaml');
  await writeFile(meshPath, await labVariant(MODELS[0]!, IPS));
  mesh = await load();
  lab = await labUp({ mesh, meshPath });
  clients = new Map(mesh.spec.clusters.map((c) => [c.name, kubeClients(lab.kubeconfig, c.context)]));
  const certs = await runCli('certs', '-f', meshPath);
  expect(certs.code, certs.stderr).toBe(0);
});

afterAll(async () => {
  if (mesh) await labDown({ mesh, meshPath }).catch(() => undefined);
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe.each([...MODELS, HELM])('%s on the lab', (model) => {
  it('apply makes the live clusters what the plan says; re-apply changes nothing; destroy restores them', async () => {
    await writeFile(meshPath, await labVariant(model, IPS));
    mesh = await load();
    const plan = planMesh(mesh);
    const before = new Map<string, Record<string, string[]>>();
    for (const [name, k] of clients) before.set(name, await snapshot(k));
    const rootAtStart = await readFile(join(dir, 'certs', 'root-cert.pem'), 'utf8');

    try {
      const first = await runCli('apply', '-f', meshPath);
      expect(first.code, first.stderr).toBe(0);
      expect(first.stderr).toMatch(/Apply: \d+ steps, [1-9]\d* changed, \d+ unchanged, 0 failed, 0 not started/);

      const root = await readFile(join(dir, 'certs', 'root-cert.pem'), 'utf8');
      await expectClustersMatchPlan(plan, clients, root);

      const again = await runCli('apply', '-f', meshPath);
      expect(again.code, again.stderr).toBe(0);
      expect(again.stderr).toMatch(/Apply: \d+ steps, 0 changed/);
      expect(again.stderr).toContain('No changes: the clusters already match the mesh file.');
    } finally {
      // Even after a failed check, so the next model starts from clean clusters.
      const destroyed = await runCli('destroy', '-f', meshPath);
      expect(destroyed.code, destroyed.stderr).toBe(0);
    }
    for (const [name, k] of clients) expect(await snapshot(k), `${name} after destroy`).toEqual(before.get(name));
    // The trust folder is kept.
    expect(await readFile(join(dir, 'certs', 'root-cert.pem'), 'utf8')).toBe(rootAtStart);
  });
});
