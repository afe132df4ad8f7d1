import { stringify } from 'yaml';

/** Deterministic YAML: key order as built, no line folding (long meshConfig strings stay whole). */
export function toYaml(doc: unknown): string {
  // No anchors/aliases: a reader (and GitOps diff) should see every value where it applies.
  return stringify(doc, { lineWidth: 0, minContentWidth: 0, aliasDuplicateObjects: false });
}

export function toYamlDocuments(docs: unknown[], header?: string): string {
  const body = docs.map((d) => toYaml(d)).join('---\n');
  return header ? `${header}${body}` : body;
}

/** Comment lines; a line break inside a line starts another comment line, never a line of YAML. */
export function comment(lines: string[]): string {
  return lines.flatMap((l) => l.split(/\r\n|\r|\n/)).map((l) => `# ${l}`.trimEnd()).join('\n') + '\n';
}

/** A word for a POSIX shell command line: as it is when that is safe, else single-quoted. */
export function shellWord(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => !!v && typeof v === 'object' && !Array.isArray(v);

/** Sets an own property, also for keys such as `__proto__` that plain assignment would not set. */
function define(o: Obj, k: string, v: unknown): void {
  Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
}

/**
 * Deep merge where `over` wins; arrays are replaced, as Helm and istioctl overlays do.
 * `over`'s keys come first so meshfed's own settings lead each section, as in seed 000's files.
 * Only own properties count: user values named `__proto__` or `constructor` are data, kept as
 * such, and never reach a prototype.
 */
export function deepMerge(base: Obj, over: Obj): Obj {
  const out: Obj = {};
  const own = (o: Obj, k: string) => Object.prototype.hasOwnProperty.call(o, k);
  for (const [k, v] of Object.entries(over)) define(out, k, isObj(v) && own(base, k) && isObj(base[k]) ? deepMerge(base[k] as Obj, v) : v);
  for (const [k, v] of Object.entries(base)) if (!own(out, k)) define(out, k, v);
  return out;
}
