/**
 * The README's main job, `meshfed lab demo`, on a copy of the bundled lab mesh: lab up, certs,
 * apply and seed 000's HelloWorld/sleep layout, then again (changes nothing).
 * Loopback addresses 127.0.6.x belong to this file.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubeClients, listObjects } from '../../src/kube/index.js';
import { ensureLabBinaries, labDown } from '../../src/lab/index.js';
import { validateMeshFile, type MeshFile } from '../../src/topology/index.js';
import { runCli } from './run.js';

let dir: string;
let meshPath: string;
let mesh: MeshFile | undefined;

beforeAll(async () => {
  await ensureLabBinaries({});
  dir = await mkdtemp(join(tmpdir(), 'meshfed-demo-'));
  meshPath = join(dir, 'mesh.yaml');
  await writeFile(meshPath, (await readFile('examples/lab/mesh.yaml', 'utf8')).replaceAll('127.0.10.', '127.0.6.'));
  mesh = (await validateMeshFile(meshPath)).mesh;
});

afterAll(async () => {
  if (mesh) await labDown({ mesh, meshPath }).catch(() => undefined);
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('meshfed lab demo', () => {
  it('brings up the lab mesh with HelloWorld v1 in cluster01, v2 in cluster02 and sleep in both, and proves traffic crosses with verify', async () => {
    const run = await runCli('lab', 'demo', '-f', meshPath);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/Apply: \d+ steps, [1-9]\d* changed, \d+ unchanged, 0 failed/);
    expect(run.stdout).toContain('cluster01 helloworld v1 + sleep, cluster02 helloworld v2 + sleep');
    // verify's table, observed: both sources answered by both clusters' pods
    expect(run.stdout).toMatch(/✓ from cluster01: \d+ of 20 answered/);
    expect(run.stdout).toMatch(/✓ from cluster02: \d+ of 20 answered/);
    expect(run.stdout).toMatch(/helloworld-v1-\S+ {2}\d+/);
    expect(run.stdout).toMatch(/helloworld-v2-\S+ {2}\d+/);
    expect(run.stdout).toContain('Verify: pass');
    expect(run.stdout).toContain(`export KUBECONFIG=${join(dir, '.meshfed', 'lab', 'mesh1', 'kubeconfig')}`);
    for (const [context, version] of [['lab-cluster01', 'v1'], ['lab-cluster02', 'v2']] as const) {
      const k = kubeClients(join(dir, '.meshfed', 'lab', 'mesh1', 'kubeconfig'), context);
      const pods = await listObjects(k, 'v1', 'Pod', { namespace: 'sample' });
      expect(pods.map((p) => `${p.metadata.labels?.['app']}:${p.metadata.labels?.['version'] ?? ''}`).sort()).toEqual([`helloworld:${version}`, 'sleep:']);
      const secrets = await listObjects(k, 'v1', 'Secret', { namespace: 'istio-system', labelSelector: 'istio/multiCluster=true' });
      expect(secrets.map((s) => s.metadata.name)).toEqual(context === 'lab-cluster01' ? ['istio-remote-secret-cluster02'] : []);
    }
    const again = await runCli('lab', 'demo', '-f', meshPath);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toContain('is already up and healthy');
    expect(again.stderr).toContain('No changes: the clusters already match the mesh file.');
  });
});
