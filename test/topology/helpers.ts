import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { validateMeshText, type Diagnostic, type MeshValidation } from '../../src/topology/index.js';

export const HERE = dirname(fileURLToPath(import.meta.url));
export const BAD_DIR = join(HERE, 'bad');
export const GOOD_DIR = join(HERE, 'good');
export const EXAMPLES_DIR = join(HERE, '..', '..', 'examples');

/** What a test states about one diagnostic: code, severity and where it points (1-based). */
export type Expected = readonly [code: string, severity: 'error' | 'warning', line: number, column: number];

export function validateFixture(dir: string, name: string): MeshValidation {
  return validateMeshText(readFileSync(join(dir, name), 'utf8'), name);
}

export const brief = (d: Diagnostic): Expected => [d.code, d.severity, d.line, d.column];
