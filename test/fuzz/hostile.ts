/**
 * A seeded corpus of hostile mesh files, and the one way each case is run: validate, and for a
 * valid file plan, summary, plan.json and render, all in-process. Used by the corpus test
 * (test/fuzz/corpus.test.ts) and by bench/fuzz.ts. A case is named by (seed, index): the same
 * pair always yields the same text, so any finding replays.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { planAsData, planMesh, summarizePlan } from '../../src/plan/index.js';
import { renderMesh } from '../../src/render/index.js';
import { DIAGNOSTIC_CODES, validateMeshText } from '../../src/topology/index.js';
import { rng } from '../seededRandom.js';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const EXAMPLES = ['primary-remote', 'multi-primary', 'primary-remote-multi-network', 'multi-primary-multi-network', 'mix', 'lab'].map((name) => ({
  name,
  text: readFileSync(join(REPO, 'examples', name, 'mesh.yaml'), 'utf8'),
}));


type Rand = () => number;
const int = (r: Rand, n: number) => Math.floor(r() * n);
const pick = <T>(r: Rand, list: readonly T[]): T => list[int(r, list.length)]!;

// Values a careless user or an attacker might put anywhere.
const HOSTILE_SCALARS = [
  '010.010.0.0/16', '2130706433', '0x7f.0.0.1', '10.0.0.0/016', '::ffff:127.0.0.1', 'fe80::1%eth0', '10.0.0.0/33', '.inf', '-.inf', '.nan', '1e400', '-1', '0',
  '36501', '3.5', '__proto__', 'constructor', 'prototype', 'self', 'https://127.0.0.1:6443', 'https://2130706433:6443', 'https://user:pw@10.0.0.1:6443', 'http://10.0.0.1',
  '"a\\nb"', '"\\u0000"', '"\\t"', '"\\u2028"', '"\\e[31m"', "'--context=x'", '"$(rm -rf /)"', '"`id`"', '"; kubectl delete ns default"', '~', 'null', 'true', '[]', '{}',
  '!!binary aGVsbG8=', '!!set {a, b}', '!!omap [a: 1]', '!!timestamp 2001-12-14', '&anchor x', '*nowhere', '<<: *nowhere', '"\\uD800"', 'ümlaut', '🙂', 'a'.repeat(300),
];
const HOSTILE_FRAGMENTS = ['\n', '\t', ': ', '- ', '[', ']', '{', '}', ',', '&a ', '*a', '? ', '|', '>', '#', '---\n', '...\n', '%YAML 1.1\n', '"', "'", '!', '\r', '\u0000', '\u00a0', '\ufeff', '<<: '];

function mutate(r: Rand, text: string): string {
  let t = text;
  const rounds = 1 + int(r, 4);
  for (let k = 0; k < rounds; k++) {
    const at = int(r, t.length + 1);
    const lines = t.split('\n');
    const li = int(r, lines.length);
    switch (int(r, 9)) {
      case 0: // delete a range
        t = t.slice(0, at) + t.slice(Math.min(t.length, at + 1 + int(r, 40)));
        break;
      case 1: // insert a fragment
        t = t.slice(0, at) + pick(r, HOSTILE_FRAGMENTS) + t.slice(at);
        break;
      case 2: // duplicate a line
        lines.splice(li, 0, lines[li] ?? '');
        t = lines.join('\n');
        break;
      case 3: // swap two lines
        {
          const lj = int(r, lines.length);
          [lines[li], lines[lj]] = [lines[lj] ?? '', lines[li] ?? ''];
          t = lines.join('\n');
        }
        break;
      case 4: // replace a value with a hostile one
      case 5:
        {
          const line = lines[li] ?? '';
          const colon = line.indexOf(': ');
          if (colon > 0) lines[li] = `${line.slice(0, colon + 2)}${pick(r, HOSTILE_SCALARS)}`;
          else if (/^\s*- /.test(line)) lines[li] = line.replace(/- .*/, `- ${pick(r, HOSTILE_SCALARS)}`);
          t = lines.join('\n');
        }
        break;
      case 6: // re-indent a line
        lines[li] = ' '.repeat(int(r, 12)) + (lines[li] ?? '').trimStart();
        t = lines.join('\n');
        break;
      case 7: // truncate
        t = t.slice(0, at);
        break;
      default: // a hostile key under values
        t = t.replace(/\n {2}istio:\n/, `\n  istio:\n    values: {${pick(r, HOSTILE_SCALARS)}: ${pick(r, HOSTILE_SCALARS)}}\n`);
    }
  }
  return t;
}

const HEAD = 'apiVersion: meshfed.io/v1alpha1\nkind: Mesh\nmetadata: {name: m}\nspec:\n';
const withValues = (values: string) => `${HEAD}  istio:\n    values: ${values}\n  clusters:\n    - name: c1\n`;

function aliasBomb(r: Rand): string {
  const width = 2 + int(r, 12);
  const levels = 2 + int(r, 9);
  const lines = [`      l0: &l0 [${Array(width).fill('"lol"').join(', ')}]`];
  for (let i = 1; i < levels; i++) lines.push(`      l${i}: &l${i} [${Array(width).fill(`*l${i - 1}`).join(', ')}]`);
  return withValues(`\n${lines.join('\n')}`);
}

function deep(r: Rand): string {
  const depth = 20 + int(r, 400);
  if (r() < 0.5) return withValues(`${'['.repeat(depth)}1${']'.repeat(depth)}`);
  if (r() < 0.5) return withValues(`${'{a: '.repeat(depth)}1${'}'.repeat(depth)}`);
  return withValues(`\n${Array.from({ length: depth }, (_, i) => `${' '.repeat(6 + i)}k${i}:`).join('\n')} 1`);
}

function cycle(r: Rand): string {
  return pick(r, [
    withValues('&v {self: *v}'),
    withValues('&v [1, *v]'),
    withValues('{a: &a {b: &b {c: *a}}}'),
    withValues('*v'),
    withValues('{a: *later, b: &later 1}'),
    `${HEAD}  clusters: &c\n    - name: c1\n      x: *c\n`,
    `${HEAD}  clusters:\n    - &c1 {name: c1}\n    - *c1\n`,
  ]);
}

/** Large files; `scale` (0-1] shrinks what would be accepted, never what the limits refuse. */
function big(r: Rand, scale: number): string {
  const n = (low: number, spread: number) => Math.round((low + int(r, spread)) * scale);
  // Past the value limit, refused after lexing 100,000 values: a fixed cost, so a rarer case.
  if (r() < 0.1) return withValues(`[${'1,'.repeat(100_001 + int(r, 100_000))}1]`);
  switch (int(r, 4)) {
    case 0:
      return withValues(`\n${Array.from({ length: n(1000, 15_000) }, (_, i) => `      k${i}: ${i}`).join('\n')}`);
    case 1:
      return withValues(`[${'1,'.repeat(n(10_000, 40_000))}1]`);
    case 2: // long strings, the second past the size limit
      return withValues(`"${'x'.repeat(int(r, 2) ? 1_100_000 : n(10_000, 200_000))}"`);
    default: {
      const count = n(50, 400);
      const primaries = 1 + int(r, 12);
      const clusters = Array.from({ length: count }, (_, i) => `    - {name: c${i}, controlPlane: ${i < primaries ? 'self' : `c${i % primaries}`}, network: n${i % 7}, podCIDRs: [10.${i >> 8}.${i & 255}.0/25]}`);
      return `${HEAD}  lab: {}\n  clusters:\n${clusters.join('\n')}\n`;
    }
  }
}

export type CaseKind = 'mutation' | 'alias-bomb' | 'depth' | 'cycle' | 'size';

export interface HostileCase {
  seed: number;
  index: number;
  kind: CaseKind;
  text: string;
}

/**
 * Case `index` of the corpus of `seed`: mostly mutations of the examples, then the classic
 * attacks. `scale` shrinks the large files that are accepted (the test suite's corpus runs at
 * a quarter of bench/fuzz's), so the same (seed, index, scale) always gives the same text.
 */
export function hostileCase(seed: number, index: number, scale = 1): HostileCase {
  const r = rng((seed * 0x9e3779b1 + index) >>> 0);
  const roll = r();
  if (roll < 0.8) return { seed, index, kind: 'mutation', text: mutate(r, pick(r, EXAMPLES).text) };
  if (roll < 0.85) return { seed, index, kind: 'alias-bomb', text: aliasBomb(r) };
  if (roll < 0.9) return { seed, index, kind: 'depth', text: deep(r) };
  if (roll < 0.95) return { seed, index, kind: 'cycle', text: cycle(r) };
  return { seed, index, kind: 'size', text: big(r, scale) };
}

export type Outcome = 'invalid' | 'rendered' | 'unexpected';

export interface CaseResult {
  outcome: Outcome;
  ms: number;
  /** The first error code for an invalid file; the failure for an unexpected one. */
  detail: string;
}

/**
 * Runs one case as the commands would: validate, and for a valid file plan, its summary,
 * plan.json and render. Every diagnostic must carry a catalogued code and a position; anything
 * thrown, or a diagnostic outside the catalogue, is unexpected.
 */
export function runCase(c: HostileCase): CaseResult {
  const t0 = performance.now();
  try {
    const v = validateMeshText(c.text, 'mesh.yaml');
    for (const d of v.diagnostics) {
      if (!(d.code in DIAGNOSTIC_CODES)) throw new Error(`uncatalogued code ${d.code}: ${d.message}`);
      if (!(d.line >= 1 && d.column >= 1)) throw new Error(`${d.code} without a position`);
      if (!d.message || !d.hint) throw new Error(`${d.code} without a message or hint`);
    }
    if (!v.ok || !v.mesh) {
      const first = v.diagnostics.find((d) => d.severity === 'error');
      if (!first) throw new Error('invalid without an error diagnostic');
      return { outcome: 'invalid', ms: performance.now() - t0, detail: first.code };
    }
    const plan = planMesh(v.mesh);
    summarizePlan(plan);
    JSON.stringify(planAsData(plan));
    const { files } = renderMesh(plan);
    const ms = performance.now() - t0;
    // Whatever the strings were, every rendered manifest is still well-formed YAML (checked, and
    // not timed, for meshes of the examples' size: re-parsing is the harness's cost, not meshfed's).
    if (plan.clusters.length <= 20) {
      for (const f of files) {
        if (!f.path.endsWith('.yaml')) continue;
        for (const d of parseAllDocuments(f.content, { uniqueKeys: false })) if (d.errors.length) throw new Error(`${f.path} is not valid YAML: ${d.errors[0]!.message.split('\n')[0]}`);
      }
    }
    return { outcome: 'rendered', ms, detail: `${files.length} files` };
  } catch (e) {
    return { outcome: 'unexpected', ms: performance.now() - t0, detail: e instanceof Error ? `${e.name}: ${e.message}` : String(e) };
  }
}
