import { isMap, isPair, isScalar, isSeq, LineCounter, parseAllDocuments, type Document, type Node } from 'yaml';
import type { SourcePosition } from './types.js';

/** A parsed YAML document that can say where any value of it sits. */
export interface SourceDocument {
  file: string;
  value: unknown;
  /** Position of the value at a JSON pointer, or of the nearest ancestor that exists. */
  locate(pointer: string, at?: 'value' | 'key'): SourcePosition;
}

export interface SyntaxProblem {
  message: string;
  position: SourcePosition;
  kind: 'syntax' | 'documents';
}

export function pointerTokens(pointer: string): string[] {
  if (pointer === '' || pointer === '/') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
}

export function parseSource(text: string, file: string): { doc?: SourceDocument; problems: SyntaxProblem[] } {
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter, uniqueKeys: true, prettyErrors: false });
  const pos = (offset: number): SourcePosition => {
    const p = lineCounter.linePos(offset);
    return { line: p.line, column: p.col };
  };
  const list: Document.Parsed[] = Array.isArray(docs) ? docs : [];
  const problems: SyntaxProblem[] = [];
  for (const d of list) {
    for (const e of d.errors) problems.push({ kind: 'syntax', message: e.message.split('\n')[0] ?? e.message, position: pos(e.pos[0]) });
  }
  if (problems.length > 0) return { problems };
  // A bare `---` (e.g. a trailing separator) parses as a document holding an empty scalar:
  // it is no document of its own, like a file holding only comments.
  const isEmpty = (d: Document.Parsed): boolean =>
    d.contents === null || (isScalar(d.contents) && d.contents.value === null && d.contents.range[0] === d.contents.range[1]);
  const meaningful = list.filter((d) => !isEmpty(d));
  if (meaningful.length === 0) {
    return { problems: [{ kind: 'documents', message: 'the file holds no YAML document', position: { line: 1, column: 1 } }] };
  }
  if (meaningful.length > 1) {
    const second = meaningful[1]!;
    return {
      problems: [
        {
          kind: 'documents',
          message: `the file holds ${meaningful.length} YAML documents; a mesh file holds exactly one`,
          position: pos(second.range[0]),
        },
      ],
    };
  }
  const doc = meaningful[0]!;
  const root = doc.contents as Node;
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
  return { doc: { file, value: doc.toJS({ maxAliasCount: 100 }), locate }, problems: [] };
}
