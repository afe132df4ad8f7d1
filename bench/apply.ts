/**
 * Apply figures for the 4-cluster multi-primary multi-network mesh in the lab, printed as plain
 * lines with their targets:
 *   apply (steps in parallel as the DAG allows) vs the same steps one after another in the
 *   seed's order (target: apply at most 40% of the sequential time), and re-apply (target < 3 s).
 * Run: node --import tsx bench/apply.ts   (uses loopback 127.0.8.x; `npm run build` and the lab build first)
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyMesh, clientsFor, destroyMesh, installerFor, systemClock } from '../src/apply/index.js';
import { ensureLabBinaries, labBinaryPaths, labDown, labUp } from '../src/lab/index.js';
import { ensureTrust } from '../src/pki/index.js';
import { planMesh, type Plan } from '../src/plan/index.js';
import { validateMeshFile } from '../src/topology/index.js';

const RATIO_TARGET = 0.4;
const REAPPLY_TARGET_S = 3;
const N = 4;

const meshYaml = `apiVersion: meshfed.io/v1alpha1
kind: Mesh
metadata: { name: bench-apply }
spec:
  istio: { version: "1.31.0", installer: istioctl }
  trust: { trustDomain: cluster.local, rootDir: ./certs }
  lab: { nodes: 1 }
  clusters:
${Array.from({ length: N }, (_, j) => j + 1)
  .map(
    (i) => `  - name: cluster0${i}
    apiServer: https://127.0.8.${i}:6443
    network: network${i}
    controlPlane: self
    podCIDRs: [10.${i}0.0.0/16]
    serviceCIDRs: [10.${i}1.0.0/16]
    loadBalancerPool: 172.18.1${i}.0/24`,
  )
  .join('\n')}
`;

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

async function timedApply(plan: Plan, base: Omit<Parameters<typeof applyMesh>[0], 'plan'>, concurrency: number): Promise<number> {
  const t0 = Date.now();
  const r = await applyMesh({ ...base, plan, concurrency });
  const ms = Date.now() - t0;
  if (r.failed > 0 || r.blocked > 0) {
    const bad = [...r.outcomes].filter(([, o]) => o.status !== 'done').map(([id, o]) => `${id}: ${o.detail}`);
    throw new Error(`apply (concurrency ${concurrency}) did not finish:\n  ${bad.join('\n  ')}`);
  }
  return ms;
}

async function main(): Promise<void> {
  await ensureLabBinaries({});
  const dir = await mkdtemp(join(tmpdir(), 'meshfed-bench-apply-'));
  const meshPath = join(dir, 'mesh.yaml');
  await writeFile(meshPath, meshYaml);
  const v = await validateMeshFile(meshPath);
  if (!v.ok || !v.mesh) throw new Error(`bench mesh is invalid: ${JSON.stringify(v.diagnostics)}`);
  const mesh = v.mesh;
  const plan = planMesh(mesh);
  try {
    const lab = await labUp({ mesh, meshPath });
    const rootDir = join(dir, 'certs');
    await ensureTrust({ rootDir, clusters: plan.clusters.map((c) => c.name) });
    const drivers = { clients: clientsFor(plan, lab.kubeconfig), installer: installerFor(plan, { kubeconfig: lab.kubeconfig, istioctl: labBinaryPaths().istioctl }), clock: systemClock };
    const base = { ...drivers, rootDir, waitTimeoutMs: 180_000 };
    const destroy = async () => {
      const out = await destroyMesh({ plan, ...drivers });
      const bad = [...out].filter(([, o]) => o.status !== 'done');
      if (bad.length) throw new Error(`destroy did not finish: ${bad.map(([id, o]) => `${id}: ${o.detail}`).join('; ')}`);
    };

    // Sequential first, so the parallel run is not flattered by a warm page cache.
    const sequential = await timedApply(plan, base, 1);
    await destroy();
    const parallel = await timedApply(plan, base, 6);
    const t0 = Date.now();
    const again = await applyMesh({ ...base, plan });
    const reapply = Date.now() - t0;
    const ratio = parallel / sequential;

    console.log(`${plan.steps.length} steps, ${N} clusters (multi-primary, ${N} networks), lab on 2 cores`);
    console.log(`sequential (one step at a time, seed order): ${seconds(sequential)}`);
    console.log(`apply (parallel DAG): ${seconds(parallel)} = ${(ratio * 100).toFixed(0)}% of sequential (target <= ${RATIO_TARGET * 100}%) ${ratio <= RATIO_TARGET ? 'OK' : 'OVER TARGET'}`);
    console.log(`re-apply (${again.changed} changes): ${seconds(reapply)} (target < ${REAPPLY_TARGET_S} s) ${reapply < REAPPLY_TARGET_S * 1000 && again.changed === 0 ? 'OK' : 'OVER TARGET'}`);
  } finally {
    await labDown({ mesh, meshPath }).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? `${e.message}${'hint' in e ? `\n  hint: ${String((e as { hint: unknown }).hint)}` : ''}` : String(e));
  process.exitCode = 1;
});
