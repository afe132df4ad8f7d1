import { readFile } from 'node:fs/promises';
import { normalizeMesh } from './normalize.js';
import { checkRules } from './rules.js';
import { checkSchema } from './schemaCheck.js';
import { parseSource } from './source.js';
import type { Diagnostic, MeshFile } from './types.js';

export interface MeshValidation {
  /** Present when the file parsed and matched the schema (it may still carry rule errors). */
  mesh?: MeshFile;
  diagnostics: Diagnostic[];
  /** True when no diagnostic is an error. */
  ok: boolean;
}

function byPosition(a: Diagnostic, b: Diagnostic): number {
  return a.line - b.line || a.column - b.column || a.code.localeCompare(b.code);
}

/** Parses and validates mesh file text, collecting every problem before reporting. */
export function validateMeshText(text: string, file: string): MeshValidation {
  const { doc, problems } = parseSource(text, file);
  if (!doc) {
    const diagnostics = problems.map((p): Diagnostic => ({
      code: p.kind === 'syntax' ? 'MF1001' : 'MF1002',
      severity: 'error',
      message: p.message,
      hint: p.kind === 'syntax' ? 'fix the YAML at this position (indentation, quotes, duplicate keys)' : 'keep one mesh per file',
      file,
      path: '',
      line: p.position.line,
      column: p.position.column,
    }));
    return { diagnostics, ok: false };
  }
  const schemaProblems = checkSchema(doc);
  if (schemaProblems.length > 0) return { diagnostics: schemaProblems.sort(byPosition), ok: false };
  const mesh = normalizeMesh(doc.value);
  const diagnostics = checkRules(mesh, doc).sort(byPosition);
  return { mesh, diagnostics, ok: !diagnostics.some((d) => d.severity === 'error') };
}

export async function validateMeshFile(path: string): Promise<MeshValidation> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    const reason = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message;
    return {
      ok: false,
      diagnostics: [{ code: 'MF1003', severity: 'error', message: `cannot read mesh file: ${reason}`, hint: 'pass the mesh file with -f <path>', file: path, path: '', line: 1, column: 1 }],
    };
  }
  return validateMeshText(text, path);
}

export function formatDiagnostic(d: Diagnostic): string {
  return `${d.file}:${d.line}:${d.column}: ${d.severity} ${d.code}: ${d.message}\n    hint: ${d.hint}`;
}
