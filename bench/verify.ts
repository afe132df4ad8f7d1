/**
 * `meshfed verify`'s wall time on a lab mesh that is already applied (one network, the first
 * cluster a primary, the rest alternating primaries and remotes of it), for 2 and 4 clusters.
 * Target: under 30 s for 2 clusters once the lab is up. Deploying the workloads and removing
 * them again are inside the figure, as a user sees it.
 * Run: node --import tsx bench/verify.ts   (as root; uses loopback 127.0.46.x; `npm run build` first)
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureLabBinaries, labDown, labRoutes, labUp } from '../src/lab/index.js';
import { validateMeshFile } from '../src/topology/index.js';
import { numberedMeshYaml } from '../test/lab/numberedMesh.js';
import { meshfedCli } from './labTools.js';

const TARGET_2_S = 30;

const meshYaml = (n: number) =>
  numberedMeshYaml({ name: `bench-verify-${n}`, octet: 46, clusters: Array.from({ length: n }, (_, k) => ({ controlPlane: k > 0 && k % 2 === 0 ? 'cluster01' : 'self' })) });

async function once(n: number): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'meshfed-bench-verify-'));
  const meshPath = join(dir, 'mesh.yaml');
  await writeFile(meshPath, meshYaml(n));
  const mesh = (await validateMeshFile(meshPath)).mesh!;
  try {
    await labUp({ mesh, meshPath });
    for (const args of [['certs', '-f', meshPath], ['apply', '-f', meshPath], ['render', '-f', meshPath, '-o', join(dir, 'out')]]) {
      const r = meshfedCli(...args);
      if (r.status !== 0) throw new Error(`meshfed ${args[0]} failed: ${r.out}`);
    }
    labRoutes({ mesh, meshPath, renderDir: join(dir, 'out') });
    const t0 = Date.now();
    const r = meshfedCli('verify', '-f', meshPath);
    const s = (Date.now() - t0) / 1000;
    const verdict = r.status === 0 ? 'pass' : `exit ${r.status}`;
    const target = n === 2 ? ` (target < ${TARGET_2_S} s) ${s < TARGET_2_S ? 'OK' : 'OVER TARGET'}` : ' (no target; reported)';
    console.log(`meshfed verify, ${n} clusters: ${s.toFixed(1)} s, ${verdict}${target}`);
  } finally {
    await labDown({ mesh, meshPath }).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  await ensureLabBinaries({});
  await once(2);
  await once(4);
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : String(e));
  process.exitCode = 1;
});
