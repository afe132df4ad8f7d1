// A generated corpus of hostile mesh files (mutations of the examples, alias bombs, deep
// nesting, cycles, large files), run in-process as the commands run them, plus special files
// and a few runs of the real CLI process. Every case must end in a coded answer: zero
// unexpected errors. The corpus is seeded: MESHFED_FUZZ_SEED=<n> explores another one, and a
// failure names its (seed, index) so `hostileCase(seed, index, SCALE)` replays it.
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateMeshFile } from '../../src/topology/index.js';
import { runMeshfedProcess } from '../cli/process.js';
import { hostileCase, runCase, type CaseKind, type Outcome } from './hostile.js';

const SEED = Number(process.env['MESHFED_FUZZ_SEED'] ?? 20261201);
const CASES = 2_000;
/** Accepted large files at a tenth of bench/fuzz's size: the suite stays fast; the limits are the same. */
const SCALE = 0.1;
/**
 * Catches a hang or a quadratic blow-up, not a slow machine: the target (2 s a case) is a
 * figure bench/fuzz prints beside its measurement, as timing targets are not asserted in tests.
 */
const HANG_MS = 10_000;

describe(`a corpus of ${CASES} hostile mesh files (seed ${SEED})`, () => {
  it('gets a coded answer for every case, and none hangs', async () => {
    const unexpected: string[] = [];
    const slow: string[] = [];
    const outcomes = new Map<Outcome, number>();
    const kinds = new Map<CaseKind, number>();
    for (let i = 0; i < CASES; i++) {
      // Let the test runner's messages through now and then: the loop is synchronous.
      if (i % 100 === 0) await new Promise((done) => setImmediate(done));
      const c = hostileCase(SEED, i, SCALE);
      const r = runCase(c);
      outcomes.set(r.outcome, (outcomes.get(r.outcome) ?? 0) + 1);
      kinds.set(c.kind, (kinds.get(c.kind) ?? 0) + 1);
      if (r.outcome === 'unexpected') unexpected.push(`hostileCase(${SEED}, ${i}, ${SCALE}) [${c.kind}]: ${r.detail}`);
      if (r.ms > HANG_MS) slow.push(`hostileCase(${SEED}, ${i}, ${SCALE}) [${c.kind}]: ${r.ms.toFixed(0)} ms`);
    }
    // Joined, so a failure prints every case in full, ready to replay.
    expect(unexpected.join('\n')).toBe('');
    expect(slow.join('\n')).toBe('');
    // The corpus really holds every kind, and both answers: refused and rendered.
    expect([...kinds.keys()].sort()).toEqual(['alias-bomb', 'cycle', 'depth', 'mutation', 'size']);
    expect(outcomes.get('invalid')).toBeGreaterThan(CASES / 2);
    expect(outcomes.get('rendered')).toBeGreaterThan(CASES / 50);
  });
});

describe('special files as the mesh file', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'meshfed-fuzz-'));
    execFileSync('mkfifo', [join(dir, 'fifo')]);
    await symlink(join(dir, 'fifo'), join(dir, 'link-to-fifo'));
    await symlink(join(dir, 'nowhere'), join(dir, 'dangling'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it.each([
    ['a FIFO', 'MF1010', 'fifo'],
    ['a symlink to a FIFO', 'MF1010', 'link-to-fifo'],
    ['a folder', 'MF1010', '.'],
    ['a dangling symlink', 'MF1003', 'dangling'],
  ])('%s gets %s', async (_, code, name) => {
    const v = await validateMeshFile(join(dir, name));
    expect(v.diagnostics.map((d) => d.code)).toEqual([code]);
  });

  it('/dev/zero and /dev/urandom are refused without being read', async () => {
    for (const dev of ['/dev/zero', '/dev/urandom']) expect((await validateMeshFile(dev)).diagnostics.map((d) => d.code)).toEqual(['MF1010']);
  });

  it('the real CLI process answers a FIFO, a cycle and an alias bomb with exit 65, each in bounded time', async () => {
    const cycle = join(dir, 'cycle.yaml');
    await writeFile(cycle, 'apiVersion: meshfed.io/v1alpha1\nkind: Mesh\nmetadata: {name: m}\nspec:\n  istio:\n    values: &v {self: *v}\n  clusters:\n    - name: c1\n');
    const bomb = join(dir, 'bomb.yaml');
    await writeFile(bomb, hostileBomb());
    const runs = await Promise.all([
      runMeshfedProcess(['validate', '-f', join(dir, 'fifo')], { timeoutMs: 30_000 }),
      runMeshfedProcess(['plan', '-f', cycle, '-o', 'json'], { timeoutMs: 30_000 }),
      runMeshfedProcess(['render', '-f', bomb, '-o', join(dir, 'out')], { timeoutMs: 30_000 }),
    ]);
    expect(runs.map((r) => r.code)).toEqual([65, 65, 65]);
    // validate prints its findings as data (stdout); plan and render as messages (stderr).
    expect(runs[0]!.stdout).toContain('MF1010');
    expect(runs[1]!.stderr).toContain('MF1009');
    expect(runs[2]!.stderr).toContain('MF1007');
    for (const r of runs) expect(r.stdout + r.stderr).not.toContain('unexpected error');
  });
});

/** The first alias bomb of the corpus's kind, made directly: ten levels of ten aliases. */
function hostileBomb(): string {
  const lines = ['      l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]'];
  for (let i = 1; i < 10; i++) lines.push(`      l${i}: &l${i} [${Array(10).fill(`*l${i - 1}`).join(', ')}]`);
  return `apiVersion: meshfed.io/v1alpha1\nkind: Mesh\nmetadata: {name: m}\nspec:\n  istio:\n    values:\n${lines.join('\n')}\n  clusters:\n    - name: c1\n`;
}
