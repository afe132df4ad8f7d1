import { checkRotationEnd, clientsFor, systemClock } from '../../apply/index.js';
import { advanceRootRotation, describeRootStage, ensureTrust, PKI_ERROR_CODES, PkiError, readRootStage } from '../../pki/index.js';
import { planMesh } from '../../plan/index.js';
import { resolveKubeconfig } from '../environment.js';
import type { Io } from '../io.js';
import { loadMesh, type LoadedMesh } from '../mesh.js';

export interface CertsFlags {
  file: string;
  rotate: string[];
  rotateRoot?: boolean;
  output: string;
  /** Seconds: deadline of each Kubernetes request when the end of a root rotation reads the clusters. */
  timeout: number;
  kubeconfig?: string;
}

/**
 * Before the last `--rotate-root` removes the old root's key: every cluster must have stage
 * drop-old in force and no workload chain to the old root (src/apply/rootRotationEnd.ts).
 */
async function checkClustersForEnd(loaded: LoadedMesh, opts: CertsFlags): Promise<string> {
  const plan = planMesh(loaded.mesh);
  const clients = clientsFor(plan, resolveKubeconfig(opts.kubeconfig, loaded), { requestTimeoutMs: opts.timeout * 1000 });
  return checkRotationEnd({ plan, clients, rootDir: loaded.rootDir, clock: systemClock, meshFile: opts.file });
}

export async function certsCommand(opts: CertsFlags, io: Io): Promise<void> {
  const loaded = await loadMesh(opts.file, io);
  const { mesh, rootDir } = loaded;
  const t = mesh.spec.trust;
  const options = { keyAlgorithm: t.keyAlgorithm, rootValidityDays: t.rootValidityDays, intermediateValidityDays: t.intermediateValidityDays };
  const clusters = mesh.spec.clusters.map((c) => c.name);
  if (opts.rotateRoot) {
    if (opts.rotate.length > 0) throw new PkiError({ code: PKI_ERROR_CODES.rootRotationOrder, message: '--rotate and --rotate-root cannot be given together', hint: 'Rotate the root stage by stage with --rotate-root alone; re-issue one intermediate with --rotate C alone.' });
    const checked = (await readRootStage(rootDir)) === 'drop-old' ? await checkClustersForEnd(loaded, opts) : undefined;
    const r = await advanceRootRotation({ rootDir, clusters, options });
    if (opts.output === 'json') {
      io.out(JSON.stringify({ ...r, ...(checked ? { checked } : {}) }, null, 2) + '\n');
      return;
    }
    const lines = [`Trust folder ${r.rootDir}: root rotation ${r.from ?? '(start)'} -> ${r.to}`, `  ${r.description}`];
    if (checked) lines.push(`  checked: ${checked}`);
    for (const c of r.clusters) lines.push(`  ${c.cluster.padEnd(18)} ${c.action}`);
    if (r.removed.length) lines.push(`  removed ${r.removed.join(', ')}`);
    lines.push(r.to === 'done' ? 'The rotation is over.' : 'Next: meshfed apply (ships this stage to every cluster), then meshfed certs --rotate-root again.');
    io.out(lines.join('\n') + '\n');
    return;
  }
  const report = await ensureTrust({ rootDir, clusters, options, rotate: opts.rotate });
  const stage = await readRootStage(rootDir);
  if (opts.output === 'json') {
    io.out(JSON.stringify({ ...report, ...(stage ? { rootRotation: stage } : {}) }, null, 2) + '\n');
    return;
  }
  const lines = [`Trust folder ${report.rootDir} (the root key stays here; never copy it to a cluster)`];
  lines.push(`  root CA            ${report.root.action}`);
  if (stage) lines.push(`  root rotation      ${describeRootStage(stage)}`);
  for (const c of report.clusters) lines.push(`  ${c.cluster.padEnd(18)} ${c.action}`);
  lines.push('Expiry');
  for (const e of report.expiry) lines.push(`  ${e.name.padEnd(18)} ${e.notAfter.toISOString().slice(0, 10)}  ${String(e.daysLeft).padStart(5)} days  ${e.status}`);
  for (const w of report.warnings) lines.push(`warning: ${w}`);
  io.out(lines.join('\n') + '\n');
}
