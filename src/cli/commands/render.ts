import { relative, resolve } from 'node:path';
import { readIntermediate } from '../../pki/index.js';
import { planMesh } from '../../plan/index.js';
import { renderMesh, writeRendered, type CaCertFiles } from '../../render/index.js';
import type { Io } from '../io.js';
import { loadMesh } from '../mesh.js';

export async function renderCommand(opts: { file: string; out: string; includeSecrets: boolean; allowReadableKeys?: boolean }, io: Io): Promise<void> {
  const { mesh, rootDir } = await loadMesh(opts.file, io);
  const plan = planMesh(mesh);
  let cacerts: Record<string, CaCertFiles> | undefined;
  if (opts.includeSecrets) {
    cacerts = {};
    // Every bundle is checked (dates, chain to the one mesh root, key mode) before a file is written.
    for (const c of plan.clusters) {
      const b = await readIntermediate(rootDir, c.name, { allowReadableKeys: !!opts.allowReadableKeys });
      cacerts[c.name] = { caCert: b.caCertPem, caKey: b.caKeyPem, rootCert: b.rootCertPem, certChain: b.certChainPem };
    }
  }
  const { files, notes } = renderMesh(plan, cacerts ? { cacerts } : {});
  const outDir = resolve(opts.out);
  await writeRendered(outDir, files);
  if (!io.quiet) {
    io.err(`Rendered ${files.length} files for ${plan.clusters.length} clusters into ${relative(process.cwd(), outDir) || '.'}/\n`);
    for (const f of files) io.err(`  ${f.path}${f.mode === 0o600 ? ' (0600, holds a key)' : ''}\n`);
  }
  for (const n of notes) io.err(`note: ${n}\n`);
}
