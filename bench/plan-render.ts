/**
 * Core figures, printed as plain lines with their targets:
 *   validate + plan + render of a 200-cluster, 10-network mesh (target under 1 s), and
 *   issuing 200 intermediate CAs under one root (reported; key generation runs on every core).
 * Run: node --import tsx bench/plan-render.ts [--clusters N] [--networks M] [--key rsa-4096|rsa-2048|ecdsa-p256]
 */
import { availableParallelism } from 'node:os';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { planMesh } from '../src/plan/index.js';
import { ensureTrust, type KeyAlgorithm } from '../src/pki/index.js';
import { renderMesh } from '../src/render/index.js';
import { validateMeshText } from '../src/topology/index.js';

const PLAN_RENDER_TARGET_MS = 1000;

const { values } = parseArgs({
  options: {
    clusters: { type: 'string', default: '200' },
    networks: { type: 'string', default: '10' },
    key: { type: 'string', default: 'rsa-4096' },
    runs: { type: 'string', default: '5' },
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
      `      podCIDRs: [10.${i}.0.0/17]`,
      `      serviceCIDRs: [10.${i}.128.0/17]`,
      `      loadBalancerPool: 172.${16 + Math.floor(i / 256)}.${i % 256}.0/24`,
    );
  }
  return lines.join('\n') + '\n';
}

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
