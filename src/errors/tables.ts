import { ERROR_CATALOGUE, type ErrorCode, type ErrorLayer } from './catalogue.js';

/** One code table of the README: which layers' codes it lists. */
export interface CodeTable {
  id: string;
  layers: readonly ErrorLayer[];
}

/** The README's code tables, each in the section about what raises its codes. */
export const CODE_TABLES: readonly CodeTable[] = [
  { id: 'mesh', layers: ['topology'] },
  { id: 'internal', layers: ['plan'] },
  { id: 'render', layers: ['render'] },
  { id: 'trust', layers: ['pki'] },
  { id: 'apply', layers: ['kube', 'apply'] },
  { id: 'discovery', layers: ['discovery', 'serve', 'dns'] },
  { id: 'lab', layers: ['lab'] },
  { id: 'doctor', layers: ['doctor'] },
];

const begin = (id: string) => `<!-- codes:${id} (generated from src/errors/catalogue.ts by \`npm run docs:codes\`) -->`;
const end = (id: string) => `<!-- /codes:${id} -->`;

/** A table's markdown: one row per code, in code order. */
export function codeTable(table: CodeTable): string {
  const codes = (Object.keys(ERROR_CATALOGUE) as ErrorCode[]).filter((c) => table.layers.includes(ERROR_CATALOGUE[c].layer)).sort();
  return ['| code | meaning |', '| --- | --- |', ...codes.map((c) => `| ${c} | ${ERROR_CATALOGUE[c].meaning.replaceAll('|', '\\|')} |`)].join('\n');
}

export function codeTables(): { id: string; markdown: string }[] {
  return CODE_TABLES.map((t) => ({ id: t.id, markdown: codeTable(t) }));
}

/**
 * The README with every generated table rewritten from the catalogue (pure: the script writes
 * it, the test compares). Throws when a table's markers are missing, so none is forgotten.
 */
export function withCodeTables(readme: string): string {
  let text = readme;
  for (const { id, markdown } of codeTables()) {
    const from = text.indexOf(begin(id));
    const to = text.indexOf(end(id));
    if (from < 0 || to < from) throw new Error(`README has no generated code table "${id}": add the lines\n${begin(id)}\n${end(id)}`);
    text = `${text.slice(0, from)}${begin(id)}\n${markdown}\n${text.slice(to)}`;
  }
  return text;
}
