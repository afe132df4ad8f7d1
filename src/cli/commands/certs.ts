import { ensureTrust } from '../../pki/index.js';
import type { Io } from '../io.js';
import { loadMesh } from '../mesh.js';

export async function certsCommand(opts: { file: string; rotate: string[]; output: string }, io: Io): Promise<void> {
  const { mesh, rootDir } = await loadMesh(opts.file, io);
  const t = mesh.spec.trust;
  const report = await ensureTrust({
    rootDir,
    clusters: mesh.spec.clusters.map((c) => c.name),
    options: { keyAlgorithm: t.keyAlgorithm, rootValidityDays: t.rootValidityDays, intermediateValidityDays: t.intermediateValidityDays },
    rotate: opts.rotate,
  });
  if (opts.output === 'json') {
    io.out(JSON.stringify(report, null, 2) + '\n');
    return;
  }
  const lines = [`Trust folder ${report.rootDir} (the root key stays here; never copy it to a cluster)`];
  lines.push(`  root CA            ${report.root.action}`);
  for (const c of report.clusters) lines.push(`  ${c.cluster.padEnd(18)} ${c.action}`);
  lines.push('Expiry');
  for (const e of report.expiry) lines.push(`  ${e.name.padEnd(18)} ${e.notAfter.toISOString().slice(0, 10)}  ${String(e.daysLeft).padStart(5)} days  ${e.status}`);
  for (const w of report.warnings) lines.push(`warning: ${w}`);
  io.out(lines.join('\n') + '\n');
}
