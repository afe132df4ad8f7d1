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

export function comment(lines: string[]): string {
  return lines.map((l) => `# ${l}`.trimEnd()).join('\n') + '\n';
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => !!v && typeof v === 'object' && !Array.isArray(v);

/**
 * Deep merge where `over` wins; arrays are replaced, as Helm and istioctl overlays do.
 * `over`'s keys come first so meshfed's own settings lead each section, as in seed 000's files.
 */
export function deepMerge(base: Obj, over: Obj): Obj {
  const out: Obj = {};
  for (const [k, v] of Object.entries(over)) out[k] = isObj(v) && isObj(base[k]) ? deepMerge(base[k] as Obj, v) : v;
  for (const [k, v] of Object.entries(base)) if (!(k in out)) out[k] = v;
  return out;
}
