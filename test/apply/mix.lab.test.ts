/**
 * The larger mix (examples/mix: 2 primaries, 4 remotes, 3 networks) on a six-cluster lab:
 * apply brings every cluster to the plan, re-apply changes nothing, destroy restores them.
 * Loopback addresses 127.0.7.x belong to this file.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubeClients, type KubeClients } from '../../src/kube/index.js';
import { ensureLabBinaries, labDown, labUp } from '../../src/lab/index.js';
import { planMesh } from '../../src/plan/index.js';
import { validateMeshFile, type MeshFile } from '../../src/topology/index.js';
import { runCli } from '../cli/run.js';
import { labVariant } from './labMesh.js';
import { expectClustersMatchPlan, snapshot } from './live.js';

const IPS = ['127.0.7.1', '127.0.7.2', '127.0.7.3', '127.0.7.4', '127.0.7.5', '127.0.7.6'];
// east-2 has no pool in the example (a cloud load balancer would serve it); west-1 pins
// 192.168.20.5, which the lab's load balancer gives only from a pool holding it.
const POOLS = { 'east-2': '192.168.11.0/28', 'west-1': '192.168.20.0/28' };

let dir: string;
let meshPath: string;
let mesh: MeshFile | undefined;
let clients: Map<string, KubeClients>;

beforeAll(async () => {
  await ensureLabBinaries({});
  dir = await mkdtemp(join(tmpdir(), 'meshfed-apply-mix-'));
  meshPath = join(dir, 'mesh.yaml');
  await writeFile(meshPath, await labVariant('examples/mix/mesh.yaml', IPS, { pools: POOLS }));
  const v = await validateMeshFile(meshPath);
  expect(v.ok, JSON.stringify(v.diagnostics.filter((d) => d.severity === 'error'))).toBe(true);
  mesh = v.mesh!;
  const lab = await labUp({ mesh, meshPath });
  clients = new Map(mesh.spec.clusters.map((c) => [c.name, kubeClients(lab.kubeconfig, c.context)]));
  const certs = await runCli('certs', '-f', meshPath);
  expect(certs.code, certs.stderr).toBe(0);
});

afterAll(async () => {
  if (mesh) await labDown({ mesh, meshPath }).catch(() => undefined);
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('examples/mix on a six-cluster lab', () => {
  it('apply makes all six clusters what the plan says; re-apply changes nothing; destroy restores them', async () => {
    const plan = planMesh(mesh!);
    const before = new Map<string, Record<string, string[]>>();
    for (const [name, k] of clients) before.set(name, await snapshot(k));
    try {
      const first = await runCli('apply', '-f', meshPath);
      expect(first.code, first.stderr).toBe(0);
      expect(first.stderr).toMatch(/Apply: \d+ steps, [1-9]\d* changed, \d+ unchanged, 0 failed, 0 not started/);
      await expectClustersMatchPlan(plan, clients, await readFile(join(dir, 'certs', 'root-cert.pem'), 'utf8'));
      // Two primaries, each watching the five other clusters.
      expect(plan.remoteSecrets).toHaveLength(10);

      const again = await runCli('apply', '-f', meshPath);
      expect(again.code, again.stderr).toBe(0);
      expect(again.stderr).toContain('No changes: the clusters already match the mesh file.');
    } finally {
      const destroyed = await runCli('destroy', '-f', meshPath);
      expect(destroyed.code, destroyed.stderr).toBe(0);
    }
    for (const [name, k] of clients) expect(await snapshot(k), `${name} after destroy`).toEqual(before.get(name));
  });
});
