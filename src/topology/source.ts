import {
  Composer,
  CST,
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  Lexer,
  LineCounter,
  Parser,
  type Document,
  type Node,
} from 'yaml';
import type { DiagnosticCode } from './codes.js';
import { MESH_FILE_LIMITS } from './limits.js';
import type { SourcePosition } from './types.js';

/** A parsed YAML document that can say where any value of it sits. */
export interface SourceDocument {
  file: string;
  value: unknown;
  /** Position of the value at a JSON pointer, or of the nearest ancestor that exists. */
  locate(pointer: string, at?: 'value' | 'key'): SourcePosition;
}

/** Why the text is no mesh document at all (MF1xxx), and where. */
export interface SyntaxProblem {
  code: DiagnosticCode;
  message: string;
  hint: string;
  position: SourcePosition;
}

export function pointerTokens(pointer: string): string[] {
  if (pointer === '' || pointer === '/') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
}

const SYNTAX_HINT = 'fix the YAML at this position (indentation, quotes, duplicate keys)';

// Lexer tokens that start a value of the document: what the parser and composer pay for.
const VALUE_TOKENS = new Set(['scalar', 'single-quoted-scalar', 'double-quoted-scalar', 'block-scalar-header', 'alias', 'flow-map-start', 'flow-seq-start', 'seq-item-ind', 'map-value-ind', 'explicit-key-ind']);
// Lexer control tokens that stand for no source text.
const CONTROL_TOKENS = new Set([CST.DOCUMENT, CST.FLOW_END, CST.SCALAR]);

/**
 * Lexes once, counting values, and feeds the parser token by token until the count passes the
 * limit: the parser and composer cost microseconds and hundreds of bytes per value, so they
 * only ever see files within it. Returns the syntax tree, or the offset of the value past the limit.
 */
function parseBounded(text: string, onNewLine: (offset: number) => void): { tokens: CST.Token[] } | { crowded: number } {
  const parser = new Parser(onNewLine);
  onNewLine(0);
  const tokens: CST.Token[] = [];
  let count = 0;
  let offset = 0;
  for (const lexeme of new Lexer().lex(text)) {
    if (VALUE_TOKENS.has(CST.tokenType(lexeme) ?? '') && ++count > MESH_FILE_LIMITS.values) return { crowded: offset };
    for (const t of parser.next(lexeme)) tokens.push(t);
    if (!CONTROL_TOKENS.has(lexeme)) offset += lexeme.length;
  }
  for (const t of parser.end()) tokens.push(t);
  return { tokens };
}

/** Offset of the first collection nested deeper than the limit, walking the syntax tree without recursion. */
function tooDeep(tokens: CST.Token[]): number | undefined {
  const stack: { token: CST.Token | undefined; depth: number }[] = tokens.map((token) => ({ token, depth: 0 }));
  for (let item = stack.pop(); item; item = stack.pop()) {
    const { token, depth } = item;
    if (!token) continue;
    if (token.type === 'document') stack.push({ token: token.value, depth });
    else if (token.type === 'block-map' || token.type === 'block-seq' || token.type === 'flow-collection') {
      if (depth + 1 > MESH_FILE_LIMITS.depth) return token.offset;
      for (const it of token.items) {
        const entry = it as { key?: CST.Token | null; value?: CST.Token };
        if (entry.key) stack.push({ token: entry.key, depth: depth + 1 });
        stack.push({ token: entry.value, depth: depth + 1 });
      }
    }
  }
  return undefined;
}

/**
 * Checks what the YAML library would otherwise pay for dearly, in one pass over the tree in
 * document order: duplicate keys (the library compares each key with every other one),
 * aliases that name no anchor, name an ancestor of themselves (a cycle), are too many, or
 * expand too far (a billion laughs).
 */
function treeProblems(root: Node, pos: (offset: number) => SourcePosition): SyntaxProblem[] {
  const at = (n: Node) => pos(n.range?.[0] ?? 0);
  const anchors = new Map<string, Node>();
  const open = new Set<Node>();
  const sizes = new Map<Node, number>();
  let aliases = 0;
  let expansion = 0;
  const problems: SyntaxProblem[] = [];
  // Each node is visited twice: on entry (children pushed) and on exit (its expanded size summed).
  const stack: { node: Node; exit: boolean }[] = [{ node: root, exit: false }];
  for (let top = stack.pop(); top; top = stack.pop()) {
    const { node } = top;
    if (top.exit) {
      open.delete(node);
      let size = 1;
      if (isMap(node)) for (const p of node.items) size += (p.key ? sizes.get(p.key as Node) ?? 1 : 0) + (p.value ? sizes.get(p.value as Node) ?? 1 : 0);
      else if (isSeq(node)) for (const i of node.items) size += sizes.get(i as Node) ?? 1;
      sizes.set(node, size);
      continue;
    }
    if (isAlias(node)) {
      const target = anchors.get(node.source);
      if (++aliases > MESH_FILE_LIMITS.aliases) return [tooManyAliases(at(node))];
      if (!target) {
        problems.push({ code: 'MF1008', message: `alias *${node.source} names no anchor defined before it`, hint: `define &${node.source} on a value above this line, or write the value here`, position: at(node) });
      } else if (open.has(target)) {
        problems.push({ code: 'MF1009', message: `alias *${node.source} refers to a value that contains it (a cycle)`, hint: 'a value cannot hold itself: copy the part you need instead of the alias', position: at(node) });
      } else {
        const size = sizes.get(target) ?? 1;
        sizes.set(node, size);
        expansion += size;
        if (expansion > MESH_FILE_LIMITS.aliasExpansion)
          return [{ code: 'MF1007', message: `the aliases expand to more than ${MESH_FILE_LIMITS.aliasExpansion} values`, hint: 'aliases of aliases multiply: write the values out, or alias smaller parts', position: at(node) }];
      }
      continue;
    }
    if (isScalar(node) && !isPlainData(node.value))
      problems.push({ code: 'MF2003', message: `the tag ${node.tag ?? ''} makes a value that is not text, a number, true/false or null`, hint: 'remove the tag: a mesh file holds plain YAML data', position: at(node) });
    if ((isMap(node) || isSeq(node)) && node.tag !== undefined && !PLAIN_COLLECTION_TAGS.has(node.tag))
      problems.push({ code: 'MF2003', message: `the tag ${node.tag} makes a collection that is not a plain mapping or list`, hint: 'remove the tag: a mesh file holds plain YAML data', position: at(node) });
    const anchor = (node as { anchor?: string }).anchor;
    if (anchor) {
      // The library looks an alias up among all anchors: both count.
      if (++aliases > MESH_FILE_LIMITS.aliases) return [tooManyAliases(at(node))];
      anchors.set(anchor, node);
    }
    if (!isMap(node) && !isSeq(node)) continue;
    open.add(node);
    stack.push({ node, exit: true });
    const children: Node[] = [];
    if (isMap(node)) {
      const keys = new Set<string>();
      for (const p of node.items) {
        if (isScalar(p.key) && isPlainData(p.key.value)) {
          const k = String(p.key.value);
          if (keys.has(k)) problems.push({ code: 'MF1001', message: 'Map keys must be unique', hint: SYNTAX_HINT, position: at(p.key) });
          keys.add(k);
        } else if (p.key !== null && !isAlias(p.key)) {
          problems.push({ code: 'MF1001', message: 'a mapping key must be a plain value, not a mapping, list or tagged value', hint: 'write the key as text', position: at(p.key as Node) });
        }
        if (p.key) children.push(p.key as Node);
        if (p.value) children.push(p.value as Node);
      }
    } else {
      for (const i of node.items) children.push(i as Node);
    }
    // Reversed, so the stack pops them in document order (anchors come before their aliases).
    for (let i = children.length - 1; i >= 0; i--) stack.push({ node: children[i]!, exit: false });
  }
  return problems;
}

/** What JSON can hold: binary, dates, sets and ordered maps (explicit YAML tags) are not mesh data. */
const isPlainData = (v: unknown): boolean => v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';
const PLAIN_COLLECTION_TAGS = new Set(['tag:yaml.org,2002:map', 'tag:yaml.org,2002:seq']);

const tooManyAliases = (position: SourcePosition): SyntaxProblem => ({
  code: 'MF1007',
  message: `the file holds more than ${MESH_FILE_LIMITS.aliases} anchors and aliases`,
  hint: 'write the values out, or share fewer of them through anchors',
  position,
});

export function parseSource(text: string, file: string): { doc?: SourceDocument; problems: SyntaxProblem[] } {
  const lineCounter = new LineCounter();
  const pos = (offset: number): SourcePosition => {
    const p = lineCounter.linePos(Math.max(0, Math.min(offset, text.length)));
    return { line: p.line, column: p.col };
  };
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > MESH_FILE_LIMITS.bytes)
    return { problems: [{ code: 'MF1004', message: `the file is ${bytes} bytes; a mesh file may be at most ${MESH_FILE_LIMITS.bytes} bytes (1 MiB)`, hint: 'a mesh file describes clusters, not data: move large values out of it', position: { line: 1, column: 1 } }] };
  const parsed = parseBounded(text, lineCounter.addNewLine);
  if ('crowded' in parsed)
    return { problems: [{ code: 'MF1005', message: `the file holds more than ${MESH_FILE_LIMITS.values} values (keys, items and scalars)`, hint: 'a mesh file describes clusters, not data: move large values out of it', position: pos(parsed.crowded) }] };
  const { tokens } = parsed;
  const deep = tooDeep(tokens);
  if (deep !== undefined)
    return { problems: [{ code: 'MF1006', message: `values are nested more than ${MESH_FILE_LIMITS.depth} levels deep here`, hint: 'flatten this value: no setting of a mesh needs that much nesting', position: pos(deep) }] };
  // Duplicate keys are checked below, in one pass: the library's own check is quadratic.
  // logLevel 'error': what the library would only warn about (keys it stringifies, unknown tags)
  // is refused below with a position instead of printed.
  const list: Document.Parsed[] = Array.from(new Composer({ uniqueKeys: false, logLevel: 'error' }).compose(tokens));
  const problems: SyntaxProblem[] = [];
  for (const d of list) {
    for (const e of d.errors) problems.push({ code: 'MF1001', message: e.message.split('\n')[0] ?? e.message, hint: SYNTAX_HINT, position: pos(e.pos[0]) });
    // YAML 1.1 reads 010 as 8 and `yes` as true: a mesh file means what YAML 1.2 says.
    const version = d.directives?.yaml.explicit ? d.directives.yaml.version : undefined;
    if (version !== undefined && version !== '1.2')
      problems.push({ code: 'MF1001', message: `%YAML ${version}: meshfed reads YAML 1.2 only`, hint: 'remove the %YAML directive', position: pos(d.range[0]) });
  }
  if (problems.length > 0) return { problems };
  // A bare `---` (e.g. a trailing separator) parses as a document holding an empty scalar:
  // it is no document of its own, like a file holding only comments.
  const isEmpty = (d: Document.Parsed): boolean =>
    d.contents === null || (isScalar(d.contents) && d.contents.value === null && d.contents.range[0] === d.contents.range[1]);
  const meaningful = list.filter((d) => !isEmpty(d));
  if (meaningful.length === 0) {
    return { problems: [{ code: 'MF1002', message: 'the file holds no YAML document', hint: 'keep one mesh per file', position: { line: 1, column: 1 } }] };
  }
  if (meaningful.length > 1) {
    const second = meaningful[1]!;
    return {
      problems: [{ code: 'MF1002', message: `the file holds ${meaningful.length} YAML documents; a mesh file holds exactly one`, hint: 'keep one mesh per file', position: pos(second.range[0]) }],
    };
  }
  const doc = meaningful[0]!;
  const root = doc.contents as Node;
  const treeIssues = treeProblems(root, pos);
  if (treeIssues.length > 0) return { problems: treeIssues };
  const locate = (pointer: string, at: 'value' | 'key' = 'value'): SourcePosition => {
    let node: Node = root;
    let keyNode: Node | undefined;
    for (const token of pointerTokens(pointer)) {
      if (isMap(node)) {
        const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === token);
        if (!pair || !pair.value) {
          if (pair && isScalar(pair.key)) keyNode = pair.key;
          break;
        }
        keyNode = isScalar(pair.key) ? pair.key : undefined;
        node = pair.value as Node;
      } else if (isSeq(node)) {
        const item = node.items[Number(token)];
        if (!item) break;
        keyNode = undefined;
        node = item as Node;
      } else {
        break;
      }
    }
    const target = at === 'key' && keyNode ? keyNode : node;
    return pos(target.range?.[0] ?? 0);
  };
  // Aliases were counted and bounded above, so the library's own count (which also refuses
  // legitimate files with many aliases) is not needed.
  return { doc: { file, value: doc.toJS({ maxAliasCount: -1 }), locate }, problems: [] };
}
