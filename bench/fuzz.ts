/**
 * The hostile corpus at full size (test/fuzz/hostile.ts), run in-process as validate, plan,
 * summary, plan.json and render run: counts by outcome and by kind, the slowest case (replay
 * it with `hostileCase(seed, index)`) and the peak RSS of the whole run, each beside its target.
 * Run: node --expose-gc --import tsx bench/fuzz.ts [--seed N] [--cases 10000] [--scale 1]
 */
import { availableParallelism, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { hostileCase, runCase, type CaseKind, type Outcome } from '../test/fuzz/hostile.js';

const CASE_TARGET_MS = 2_000;
const RSS_TARGET_MB = 300;

const { values } = parseArgs({
  options: {
    seed: { type: 'string', default: '1' },
    cases: { type: 'string', default: '10000' },
    scale: { type: 'string', default: '1' },
  },
});
const seed = Number(values.seed);
const cases = Number(values.cases);
const scale = Number(values.scale);

const outcomes = new Map<Outcome, number>();
const kinds = new Map<CaseKind, { count: number; ms: number }>();
const codes = new Map<string, number>();
const unexpected: string[] = [];
let slowest = { ms: 0, index: -1, kind: '', detail: '' };
const t0 = performance.now();
// With --expose-gc (npm run bench:fuzz), garbage of earlier cases is collected before each
// large one, so the peak RSS is what one case takes on top of the process, not the run's litter.
const gc = (globalThis as { gc?: () => void }).gc;
for (let i = 0; i < cases; i++) {
  const c = hostileCase(seed, i, scale);
  if (gc && (c.kind === 'size' || c.kind === 'alias-bomb')) gc();
  const r = runCase(c);
  outcomes.set(r.outcome, (outcomes.get(r.outcome) ?? 0) + 1);
  const k = kinds.get(c.kind) ?? { count: 0, ms: 0 };
  kinds.set(c.kind, { count: k.count + 1, ms: k.ms + r.ms });
  if (r.outcome === 'invalid') codes.set(r.detail, (codes.get(r.detail) ?? 0) + 1);
  if (r.outcome === 'unexpected') unexpected.push(`hostileCase(${seed}, ${i}, ${scale}) [${c.kind}]: ${r.detail}`);
  if (r.ms > slowest.ms) slowest = { ms: r.ms, index: i, kind: c.kind, detail: r.detail };
}
const seconds = (performance.now() - t0) / 1000;
const peakMb = process.resourceUsage().maxRSS / 1024;

console.log(`fuzz: ${cases} cases of seed ${seed} (scale ${scale}) in ${seconds.toFixed(1)} s on ${availableParallelism()} cores, load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
console.log(`outcomes: ${[...outcomes].map(([o, n]) => `${o} ${n}`).join(', ')} — target: unexpected 0: ${unexpected.length === 0 ? 'OK' : 'FAILED'}`);
console.log(`kinds: ${[...kinds].map(([k, v]) => `${k} ${v.count} (${(v.ms / v.count).toFixed(1)} ms avg)`).join(', ')}`);
console.log(`first error codes of refused files: ${[...codes].sort((a, b) => b[1] - a[1]).map(([c, n]) => `${c} ${n}`).join(', ')}`);
console.log(
  `slowest case: hostileCase(${seed}, ${slowest.index}, ${scale}) [${slowest.kind}, ${slowest.detail}] ${slowest.ms.toFixed(0)} ms — target < ${CASE_TARGET_MS} ms: ${slowest.ms < CASE_TARGET_MS ? 'OK' : 'OVER TARGET'}`,
);
console.log(`peak RSS ${peakMb.toFixed(0)} MB${gc ? ' (garbage collected before each large case)' : ' (without --expose-gc: includes earlier cases\' garbage)'} — target < ${RSS_TARGET_MB} MB: ${peakMb < RSS_TARGET_MB ? 'OK' : 'OVER TARGET'}`);
for (const u of unexpected.slice(0, 20)) console.log(`UNEXPECTED ${u}`);
