import { Ajv, type ErrorObject } from 'ajv';
import { meshSchema } from './schema.js';
import type { SourceDocument } from './source.js';
import type { Diagnostic } from './types.js';

let compiled: ReturnType<Ajv['compile']> | undefined;
function validator() {
  // Compiled on first use, not at import time.
  compiled ??= new Ajv({ allErrors: true, strict: false }).compile(meshSchema);
  return compiled;
}

function closest(word: string, candidates: string[]): string | undefined {
  const distance = (a: string, b: string): number => {
    const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
    for (let j = 1; j <= b.length; j++) d[0]![j] = j;
    for (let i = 1; i <= a.length; i++)
      for (let j = 1; j <= b.length; j++)
        d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    return d[a.length]![b.length]!;
  };
  let best: { c: string; d: number } | undefined;
  for (const c of candidates) {
    const d = distance(word.toLowerCase(), c.toLowerCase());
    if (!best || d < best.d) best = { c, d };
  }
  return best && best.d <= Math.max(2, Math.floor(word.length / 3)) ? best.c : undefined;
}

function schemaAt(pointer: string): Record<string, unknown> | undefined {
  let node: Record<string, unknown> | undefined = meshSchema as unknown as Record<string, unknown>;
  for (const token of pointer.split('/').slice(1)) {
    if (!node) return undefined;
    const props = node['properties'] as Record<string, Record<string, unknown>> | undefined;
    if (props && props[token]) node = props[token];
    else if (node['items']) node = node['items'] as Record<string, unknown>;
    else return undefined;
  }
  return node;
}

function toDiagnostic(e: ErrorObject, doc: SourceDocument): Diagnostic {
  const field = e.instancePath || '/';
  const base = { severity: 'error' as const, file: doc.file, path: field };
  const at = (pointer: string, where: 'key' | 'value' = 'value') => doc.locate(pointer, where);
  switch (e.keyword) {
    case 'required': {
      const missing = (e.params as { missingProperty: string }).missingProperty;
      return { ...base, code: 'MF2001', ...at(field), message: `missing required field "${missing}" in ${field}`, hint: `add "${missing}:" here` };
    }
    case 'additionalProperties': {
      const extra = (e.params as { additionalProperty: string }).additionalProperty;
      const allowed = Object.keys((schemaAt(e.instancePath)?.['properties'] as object | undefined) ?? {});
      const guess = closest(extra, allowed);
      const pointer = `${e.instancePath}/${extra.replace(/~/g, '~0').replace(/\//g, '~1')}`;
      return {
        ...base,
        path: pointer,
        code: 'MF2002',
        ...at(pointer, 'key'),
        message: `unknown field "${extra}" in ${field}`,
        hint: guess ? `did you mean "${guess}"?` : `allowed fields here: ${allowed.join(', ')}`,
      };
    }
    case 'type':
      return { ...base, code: 'MF2003', ...at(field), message: `${field} must be ${(e.params as { type: string }).type}`, hint: `write ${/^[aeiou]/.test((e.params as { type: string }).type) ? 'an' : 'a'} ${(e.params as { type: string }).type} here` };
    case 'enum':
    case 'const': {
      const allowed = e.keyword === 'enum' ? (e.params as { allowedValues: unknown[] }).allowedValues : [(e.params as { allowedValue: unknown }).allowedValue];
      return { ...base, code: 'MF2004', ...at(field), message: `${field} must be one of ${allowed.map((v) => JSON.stringify(v)).join(', ')}`, hint: `use ${allowed.map((v) => JSON.stringify(v)).join(' or ')}` };
    }
    default:
      return { ...base, code: 'MF2005', ...at(field), message: `${field} ${e.message ?? 'is not valid'}`, hint: 'see `meshfed schema` for what this field accepts' };
  }
}

/** Schema problems of a parsed mesh file, each pointing at the offending value or key. */
export function checkSchema(doc: SourceDocument): Diagnostic[] {
  const validate = validator();
  if (validate(doc.value)) return [];
  const errors = validate.errors ?? [];
  // A `const`/`enum` mismatch also reports the sibling `if` noise of no interest; keep one per path+keyword.
  const seen = new Set<string>();
  const out: Diagnostic[] = [];
  for (const e of errors) {
    const key = `${e.instancePath}|${e.keyword}|${JSON.stringify(e.params)}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(toDiagnostic(e, doc));
  }
  return out;
}
