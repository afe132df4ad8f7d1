/**
 * Core figures, printed as plain lines with their targets:
 *   validate + plan + render of a 200-cluster, 10-network mesh (target under 1 s),
 *   validate + plan (and the plan summary) of 2,000 clusters on 50 networks: 100 primaries,
 *   1,900 remotes, 199,900 remote secrets, 156,000 routes (target under 2 s), and render of it,
 *   issuing 200 intermediate CAs under one root (reported; key generation runs on every core).
 * Run: node --import tsx bench/plan-render.ts [--clusters N] [--networks M] [--large-clusters N] [--large-networks M] [--key rsa-4096|rsa-2048|ecdsa-p256]
 */
import { availableParallelism, loadavg } from 'node:os';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { planAsData, planMesh, summarizePlan } from '../src/plan/index.js';
import { ensureTrust, type KeyAlgorithm } from '../src/pki/index.js';
import { renderMesh } from '../src/render/index.js';
import { validateMeshText } from '../src/topology/index.js';

const PLAN_RENDER_TARGET_MS = 1000;
const LARGE_PLAN_TARGET_MS = 2000;

const { values } = parseArgs({
  options: {
    clusters: { type: 'string', default: '200' },
    networks: { type: 'string', default: '10' },
    key: { type: 'string', default: 'rsa-4096' },
    runs: { type: 'string', default: '5' },
    'large-clusters': { type: 'string', default: '2000' },
    'large-networks': { type: 'string', default: '50' },
  },
});
const clusters = Number(values.clusters);
const networks = Number(values.networks);
const runs = Number(values.runs);

/** Two primaries per network, every other cluster a remote of one of them; disjoint ranges. */
function meshText(n: number, m: number): string {
  const lines = [
    'apiVersion: meshfed.io/v1alpha1',
    'kind: Mesh',
    'metadata: { name: bench }',
    'spec:',
    '  istio: { version: "1.31.0", installer: istioctl }',
    '  trust: { trustDomain: cluster.local, rootDir: ./certs }',
    '  clusters:',
  ];
  for (let i = 0; i < n; i++) {
    const net = i % m;
    const slot = Math.floor(i / m); // 0 and 1 are the network's primaries
    const primary = slot < 2 ? 'self' : `c${(slot % 2) * m + net}`;
    lines.push(
      `    - name: c${i}`,
      `      apiServer: https://192.0.${Math.floor(i / 250)}.${(i % 250) + 1}:6443`,
      `      nodeAddress: 192.0.${Math.floor(i / 250)}.${(i % 250) + 1}`,
      `      network: net${net}`,
      `      controlPlane: ${primary}`,
      // Two /24s per cluster, side by side: disjoint for up to 32,768 clusters.
      `      podCIDRs: [10.${(i * 2) >> 8}.${(i * 2) & 255}.0/24]`,
      `      serviceCIDRs: [10.${(i * 2 + 1) >> 8}.${(i * 2 + 1) & 255}.0/24]`,
      `      loadBalancerPool: 172.${16 + Math.floor(i / 256)}.${i % 256}.0/24`,
    );
  }
  return lines.join('\n') + '\n';
}

console.log(`on ${availableParallelism()} cores, load average ${loadavg().map((l) => l.toFixed(1)).join(' ')} (figures scale with it)`);
const text = meshText(clusters, networks);
const times: number[] = [];
let fileCount = 0;
for (let r = 0; r < runs; r++) {
  const t0 = performance.now();
  const v = validateMeshText(text, 'bench-mesh.yaml');
  if (!v.ok || !v.mesh) throw new Error(`generated mesh is invalid: ${v.diagnostics.filter((d) => d.severity === 'error').slice(0, 3).map((d) => `${d.code} ${d.message}`).join('; ')}`);
  const plan = planMesh(v.mesh);
  fileCount = renderMesh(plan).files.length;
  times.push(performance.now() - t0);
}
times.sort((a, b) => a - b);
const median = times[Math.floor(times.length / 2)]!;
console.log(
  `validate+plan+render ${clusters} clusters / ${networks} networks (${fileCount} files): median ${median.toFixed(0)} ms over ${runs} runs ` +
    `(worst ${Math.max(...times).toFixed(0)} ms) — target < ${PLAN_RENDER_TARGET_MS} ms: ${median < PLAN_RENDER_TARGET_MS ? 'OK' : 'OVER TARGET'}`,
);

{
  const n = Number(values['large-clusters']);
  const m = Number(values['large-networks']);
  const large = meshText(n, m);
  const t0 = performance.now();
  const v = validateMeshText(large, 'bench-large.yaml');
  if (!v.ok || !v.mesh) throw new Error(`generated large mesh is invalid: ${v.diagnostics.filter((d) => d.severity === 'error').slice(0, 3).map((d) => `${d.code} ${d.message}`).join('; ')}`);
  const t1 = performance.now();
  const plan = planMesh(v.mesh);
  const summary = summarizePlan(plan);
  const t2 = performance.now();
  const json = JSON.stringify(planAsData(plan));
  const files = renderMesh(plan).files.length;
  const t3 = performance.now();
  console.log(
    `validate+plan+summary ${n} clusters / ${m} networks (${plan.remoteSecrets.length} remote secrets, ${plan.routes.length} routes, ${plan.steps.length} steps; ${(large.length / 1e3).toFixed(0)} kB file, ` +
      `${(summary.length / 1e6).toFixed(1)} MB summary): ${(t2 - t0).toFixed(0)} ms (validate ${(t1 - t0).toFixed(0)}, plan+summary ${(t2 - t1).toFixed(0)}) — target < ${LARGE_PLAN_TARGET_MS} ms: ${t2 - t0 < LARGE_PLAN_TARGET_MS ? 'OK' : 'OVER TARGET'}`,
  );
  console.log(`plan.json + render of it (${files} files, ${(json.length / 1e6).toFixed(1)} MB plan.json): ${(t3 - t2).toFixed(0)} ms — reported, no target; peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
}

const dir = await mkdtemp(join(tmpdir(), 'meshfed-bench-pki-'));
try {
  const names = Array.from({ length: clusters }, (_, i) => `c${i}`);
  const t0 = performance.now();
  const report = await ensureTrust({ rootDir: dir, clusters: names, options: { keyAlgorithm: values.key as KeyAlgorithm } });
  const ms = performance.now() - t0;
  const created = report.clusters.filter((c) => c.action === 'created').length;
  console.log(
    `issue root + ${created} intermediates (${values.key}) on ${availableParallelism()} cores: ${(ms / 1000).toFixed(1)} s ` +
      `(${(ms / Math.max(created, 1)).toFixed(0)} ms per intermediate) — reported, no target`,
  );
} finally {
  await rm(dir, { recursive: true, force: true });
}
