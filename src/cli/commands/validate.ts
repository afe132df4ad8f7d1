import { formatDiagnostic, validateMeshFile } from '../../topology/index.js';
import { CommandExit, EXIT } from '../exit.js';
import type { Io } from '../io.js';

export async function validateCommand(opts: { file: string; output: string }, io: Io): Promise<void> {
  const v = await validateMeshFile(opts.file);
  const errors = v.diagnostics.filter((d) => d.severity === 'error').length;
  const warnings = v.diagnostics.length - errors;
  if (opts.output === 'json') {
    io.out(JSON.stringify({ file: opts.file, ok: v.ok, errors, warnings, diagnostics: v.diagnostics }, null, 2) + '\n');
  } else {
    for (const d of v.diagnostics) io.out(formatDiagnostic(d) + '\n');
    io.out(v.ok ? `${opts.file}: valid${warnings ? ` (${warnings} warning${warnings === 1 ? '' : 's'})` : ''}\n` : `${opts.file}: ${errors} error${errors === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'}\n`);
  }
  if (!v.ok) throw new CommandExit(EXIT.invalidMesh);
}
