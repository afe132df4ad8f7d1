/**
 * The four seed models, and one of them with Helm, one after another on one two-cluster lab
 * (they share the mesh and cluster names): apply brings the live clusters to the plan, a second
 * apply changes nothing, and destroy leaves the clusters as they were. Loopback addresses 127.0.3.x belong to this file.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planMesh } from '../../src/plan/index.js';
import { startLabMesh, type LabMesh } from './labMesh.js';
import { expectApplyRoundTrip } from './live.js';

const IPS = ['127.0.3.1', '127.0.3.2'];
const MODELS = ['primary-remote', 'multi-primary', 'primary-remote-multi-network', 'multi-primary-multi-network'].map((m) => `examples/${m}/mesh.yaml`);
// The same multi-network primary-remote model installed with Helm (istio/base, istiod, gateway).
const HELM = 'test/render/fixtures/primary-remote-multi-network-helm/mesh.yaml';

let t: LabMesh;

beforeAll(async () => {
  t = await startLabMesh('apply-models', MODELS[0]!, IPS);
});

afterAll(async () => {
  await t?.down();
});

describe.each([...MODELS, HELM])('%s on the lab', (model) => {
  it('apply makes the live clusters what the plan says; re-apply changes nothing; destroy restores them', async () => {
    const plan = planMesh(await t.use(model));
    await expectApplyRoundTrip(t.meshPath, plan, t.clients, t.root);
    // The trust folder is kept.
    expect(await readFile(join(t.dir, 'certs', 'root-cert.pem'), 'utf8')).toBe(t.root);
  });
});
