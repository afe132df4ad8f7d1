import { readFile, rename, writeFile } from 'node:fs/promises';
import { isMap, isScalar, isSeq, parseDocument } from 'yaml';
import { LAB_ERROR_CODES, LabError } from './errors.js';

export interface ApiServerFill {
  /** Index of the cluster in spec.clusters. */
  index: number;
  apiServer: string;
}

/**
 * Writes the lab's chosen API server URLs into the mesh file text, keeping the user's
 * comments and layout: yaml's Document API finds each cluster's `name:` line and the new
 * `apiServer:` line is spliced in right after it, at the same indentation. A cluster written
 * in flow style (`- { name: a, ... }`) is updated through the Document instead.
 */
export function fillApiServersText(text: string, fills: ApiServerFill[]): string {
  if (fills.length === 0) return text;
  const doc = parseDocument(text, { keepSourceTokens: true });
  const clusters = doc.getIn(['spec', 'clusters'], true);
  if (!isSeq(clusters)) throw new Error('spec.clusters is not a list');
  const splices: { at: number; insert: string }[] = [];
  let restructured = false;
  for (const f of fills) {
    const node = clusters.items[f.index];
    if (!isMap(node)) throw new Error(`spec.clusters[${f.index}] is not a mapping`);
    if (node.has('apiServer')) continue;
    const pair = node.items.find((p) => isScalar(p.key) && p.key.value === 'name');
    const keyRange = pair && isScalar(pair.key) ? pair.key.range : undefined;
    const valueRange = pair && isScalar(pair.value) ? pair.value.range : undefined;
    if (node.flow || !keyRange || !valueRange) {
      node.set('apiServer', f.apiServer);
      restructured = true;
      continue;
    }
    const lineStart = text.lastIndexOf('\n', keyRange[0] - 1) + 1;
    const lineEnd = text.indexOf('\n', valueRange[1]);
    splices.push({ at: lineEnd === -1 ? text.length : lineEnd, insert: `\n${' '.repeat(keyRange[0] - lineStart)}apiServer: ${f.apiServer}` });
  }
  if (restructured) {
    // One flow-style cluster means re-rendering anyway, so every fill goes through the Document.
    for (const f of fills) {
      const node = clusters.items[f.index];
      if (isMap(node) && !node.has('apiServer')) node.set('apiServer', f.apiServer);
    }
    return doc.toString({ lineWidth: 0 });
  }
  let out = text;
  for (const s of splices.sort((a, b) => b.at - a.at)) out = out.slice(0, s.at) + s.insert + out.slice(s.at);
  return out;
}

export async function fillApiServersInFile(meshPath: string, fills: ApiServerFill[]): Promise<boolean> {
  if (fills.length === 0) return false;
  try {
    const before = await readFile(meshPath, 'utf8');
    const after = fillApiServersText(before, fills);
    if (after === before) return false;
    const tmp = `${meshPath}.meshfed-tmp`;
    await writeFile(tmp, after);
    await rename(tmp, meshPath);
    return true;
  } catch (e) {
    throw new LabError({ code: LAB_ERROR_CODES.meshFileUpdate, message: `cannot write the lab's API server addresses into ${meshPath}: ${(e as Error).message}`, hint: 'add apiServer: https://<loopback ip>:6443 to each cluster by hand, or make the file writable' });
  }
}
