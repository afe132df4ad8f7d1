import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { MESH_FILE_LIMITS } from './limits.js';
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
      code: p.code,
      severity: 'error',
      message: p.message,
      hint: p.hint,
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

const unreadable = (path: string, code: 'MF1003' | 'MF1004' | 'MF1010', message: string, hint: string): MeshValidation => ({
  ok: false,
  diagnostics: [{ code, severity: 'error', message, hint, file: path, path: '', line: 1, column: 1 }],
});

/**
 * Reads a mesh file: a regular file of at most the size limit. It is opened without blocking
 * and checked on the open handle, so a FIFO or device passed to -f is refused, not waited on.
 */
async function readMeshText(path: string): Promise<string | MeshValidation> {
  let handle;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    const reason = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message;
    return unreadable(path, 'MF1003', `cannot read mesh file: ${reason}`, 'pass the mesh file with -f <path>');
  }
  try {
    const info = await handle.stat();
    if (!info.isFile())
      return unreadable(path, 'MF1010', `the mesh file is not a regular file (${info.isDirectory() ? 'a folder' : info.isFIFO() ? 'a pipe' : 'a device or socket'})`, 'pass a mesh.yaml file with -f <path>');
    if (info.size > MESH_FILE_LIMITS.bytes)
      return unreadable(path, 'MF1004', `the file is ${info.size} bytes; a mesh file may be at most ${MESH_FILE_LIMITS.bytes} bytes (1 MiB)`, 'a mesh file describes clusters, not data: move large values out of it');
    // Read one byte past the limit: a file growing while it is read is still caught.
    const buffer = Buffer.alloc(MESH_FILE_LIMITS.bytes + 1);
    let length = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, null);
      if (bytesRead === 0 || (length += bytesRead) >= buffer.length) break;
    }
    return buffer.subarray(0, length).toString('utf8');
  } catch (e) {
    return unreadable(path, 'MF1003', `cannot read mesh file: ${(e as Error).message}`, 'pass the mesh file with -f <path>');
  } finally {
    await handle.close();
  }
}

export async function validateMeshFile(path: string): Promise<MeshValidation> {
  const text = await readMeshText(path);
  return typeof text === 'string' ? validateMeshText(text, path) : text;
}

export function formatDiagnostic(d: Diagnostic): string {
  return `${d.file}:${d.line}:${d.column}: ${d.severity} ${d.code}: ${d.message}\n    hint: ${d.hint}`;
}
