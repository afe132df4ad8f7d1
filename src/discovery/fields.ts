/**
 * Readers for the loosely typed parts of Kubernetes objects (KubeObject leaves them
 * `unknown`): a malformed field reads as absent instead of throwing, as a Go struct
 * decoder would leave it at its zero value.
 */
export type Fields = Record<string, unknown>;

export function record(value: unknown): Fields | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Fields) : undefined;
}

export function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

export function text(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

export function int(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) ? value : undefined;
}

export function bool(value: unknown): boolean | undefined {
  return typeof value === 'boolean' ? value : undefined;
}

export function stringMap(value: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(record(value) ?? {})) if (typeof v === 'string') out[k] = v;
  return out;
}

/** Walks `a.b.c` through nested records. */
export function path(value: unknown, ...keys: string[]): unknown {
  let cur: unknown = value;
  for (const k of keys) cur = record(cur)?.[k];
  return cur;
}

/** Code-unit order, independent of the host's locale. */
export function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Go decodes base64 strictly (StdEncoding, newlines skipped); Buffer.from would accept anything. */
export function isBase64(value: string): boolean {
  const compact = value.replace(/[\r\n]/g, '');
  return compact.length % 4 === 0 && BASE64.test(compact);
}
