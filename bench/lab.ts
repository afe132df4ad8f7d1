/**
 * Lab figures, printed as plain lines with their targets:
 *   cold build time (from the build's timing file, or measured when nothing is cached),
 *   warm `lab up` of 3 clusters, and total RSS of the running 3-cluster lab.
 * Run: node --import tsx bench/lab.ts   (uses loopback 127.0.9.x; `npm run build` first)
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LAB_VERSIONS, ensureLabBinaries, labBinaryPaths, labCacheDir, labDown, labUp } from '../src/lab/index.js';
import { validateMeshFile } from '../src/topology/index.js';
import { rssBytes } from './labTools.js';

const UP_TARGET_S = 60;
const RSS_TARGET_GIB = 3;
const PARTS = [
  ['etcd', LAB_VERSIONS.etcd],
  ['kwok', LAB_VERSIONS.kwok],
  ['kube', LAB_VERSIONS.kubernetes],
  ['istio', LAB_VERSIONS.istio],
  ['helm', LAB_VERSIONS.helm],
] as const;

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const verdict = (ok: boolean) => (ok ? 'OK' : 'OVER TARGET');

/**
 * Latest recorded build time of each part at the current versions, and the parts with none.
 * A "partial:" row (only binaries missing from the cache were built, e.g. ones added since)
 * adds to the part's last full build instead of replacing it.
 */
function recordedBuild(cacheDir: string): { total: number; detail: string; missing: string[] } | undefined {
  const file = join(cacheDir, 'build-times.tsv');
  if (!existsSync(file)) return undefined;
  const latest = new Map<string, number>();
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim() || line.startsWith('#')) continue;
    const [part, secs, , version, partial] = line.split('\t');
    if (!PARTS.some(([p, v]) => p === part && v === version)) continue;
    latest.set(part!, (partial?.startsWith('partial:') ? (latest.get(part!) ?? 0) : 0) + Number(secs));
  }
  if (latest.size === 0) return undefined;
  const total = PARTS.reduce((s, [p]) => s + (latest.get(p) ?? 0), 0);
  const missing = PARTS.filter(([p]) => !latest.has(p)).map(([p]) => p);
  return { total, detail: PARTS.filter(([p]) => latest.has(p)).map(([p]) => `${p} ${latest.get(p)} s`).join(', '), missing };
}

const meshYaml = `apiVersion: meshfed.io/v1alpha1
kind: Mesh
metadata: { name: bench }
spec:
  lab: { nodes: 2 }
  clusters:
${[1, 2, 3]
  .map(
    (i) => `  - name: cluster0${i}
    apiServer: https://127.0.9.${i}:6443
    network: network${i}
    podCIDRs: [10.${i}0.0.0/16]
    serviceCIDRs: [10.${i}1.0.0/16]
    loadBalancerPool: 172.18.1${i}.0/24`,
  )
  .join('\n')}
`;

async function main(): Promise<void> {
  const cacheDir = labCacheDir();
  const before = labBinaryPaths(cacheDir);
  const allCached = [before.etcd, before.kubeApiserver, before.kwok, before.istioctl].every((f) => existsSync(f));
  const recorded = recordedBuild(cacheDir);
  if (recorded) {
    const partial = recorded.missing.length ? `; no record for ${recorded.missing.join(', ')}, so the total leaves it out` : '';
    console.log(`cold build: ${recorded.total} s (${recorded.detail}${partial}; recorded in ${join(cacheDir, 'build-times.tsv')})`);
  } else if (!allCached) {
    const t0 = Date.now();
    await ensureLabBinaries({ onProgress: (l) => console.error(l) });
    console.log(`cold build: ${seconds(Date.now() - t0)} (measured now)`);
  } else {
    console.log(`cold build: not recorded (binaries were built before ${join(cacheDir, 'build-times.tsv')} existed)`);
  }
  await ensureLabBinaries({ parts: ['etcd', 'kwok', 'kube'] });

  const dir = await mkdtemp(join(tmpdir(), 'meshfed-bench-'));
  const meshPath = join(dir, 'mesh.yaml');
  await writeFile(meshPath, meshYaml);
  const mesh = (await validateMeshFile(meshPath)).mesh!;
  try {
    const t0 = Date.now();
    const lab = await labUp({ mesh, meshPath });
    const upMs = Date.now() - t0;
    console.log(`warm lab up, 3 clusters: ${seconds(upMs)} (target < ${UP_TARGET_S} s) ${verdict(upMs < UP_TARGET_S * 1000)}`);

    const t1 = Date.now();
    await labUp({ mesh, meshPath });
    console.log(`lab up again on the healthy lab (restarts nothing): ${seconds(Date.now() - t1)}`);

    // RSS grows for a while after start (caches, informers); take the highest of a few samples.
    let peak = 0;
    for (let i = 0; i < 6; i++) {
      peak = Math.max(peak, lab.processes.reduce((s, p) => s + rssBytes(p.pid), 0));
      await new Promise((r) => setTimeout(r, 5_000));
    }
    const gib = peak / 2 ** 30;
    console.log(`total RSS, 3-cluster lab: ${gib.toFixed(2)} GiB over ${lab.processes.length} processes, peak of 30 s idle (target < ${RSS_TARGET_GIB} GiB) ${verdict(gib < RSS_TARGET_GIB)}`);
    const byComponent = new Map<string, number>();
    for (const p of lab.processes) byComponent.set(p.component, (byComponent.get(p.component) ?? 0) + rssBytes(p.pid));
    console.log(`  by component: ${[...byComponent].map(([c, b]) => `${c} ${(b / 2 ** 20).toFixed(0)} MiB`).join(', ')}`);
  } finally {
    const t2 = Date.now();
    const { stopped } = await labDown({ mesh, meshPath });
    console.log(`lab down: ${seconds(Date.now() - t2)} (${stopped} processes stopped)`);
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? `${e.message}${'hint' in e ? `\n  hint: ${String((e as { hint: unknown }).hint)}` : ''}` : String(e));
  process.exitCode = 1;
});
