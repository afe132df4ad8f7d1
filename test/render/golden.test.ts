// Golden files (linkerd style): every file `meshfed render` writes for each example is compared
// byte for byte with test/golden/render/<example>/<path>. Rewrite them only on purpose:
//   UPDATE_GOLDEN=1 npx vitest run test/render/golden.test.ts
// and review the diff like code.
import { existsSync } from 'node:fs';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { GOLDEN_EXAMPLES, GOLDEN_ROOT, REPO, lineDiff, readTree, removeTempDirs, renderWithCli } from './helpers.js';

afterAll(removeTempDirs);

const UPDATE = process.env['UPDATE_GOLDEN'] === '1';
const HOW = 'if the change is intended, run `UPDATE_GOLDEN=1 npx vitest run test/render/golden.test.ts` and review the golden diff';

describe('golden files of meshfed render', () => {
  for (const [name, meshFile] of Object.entries(GOLDEN_EXAMPLES)) {
    it(`${name} (${relative(REPO, meshFile)})`, async () => {
      const { dir } = await renderWithCli(meshFile);
      const rendered = await readTree(dir);
      const goldenDir = join(GOLDEN_ROOT, name);
      if (UPDATE) {
        await rm(goldenDir, { recursive: true, force: true });
        for (const [path, f] of rendered) {
          await mkdir(dirname(join(goldenDir, path)), { recursive: true });
          await writeFile(join(goldenDir, path), f.content);
        }
      }
      expect(existsSync(goldenDir), `no golden files in ${relative(REPO, goldenDir)}; ${HOW}`).toBe(true);
      const golden = await readTree(goldenDir);

      const missing = [...golden.keys()].filter((p) => !rendered.has(p));
      const extra = [...rendered.keys()].filter((p) => !golden.has(p));
      expect(missing, `render no longer writes these golden files of ${name}; ${HOW}`).toEqual([]);
      expect(extra, `render writes files that have no golden file in ${relative(REPO, goldenDir)}; ${HOW}`).toEqual([]);

      const problems: string[] = [];
      for (const [path, g] of golden) {
        const actual = rendered.get(path)!.content;
        if (actual !== g.content) problems.push(`--- ${relative(REPO, join(goldenDir, path))} (golden)\n+++ rendered ${path}\n${lineDiff(g.content, actual)}`);
      }
      expect(problems.length, `${problems.length} rendered file(s) of ${name} differ from the golden files; ${HOW}\n\n${problems.join('\n\n')}`).toBe(0);
    });
  }

  it('the golden folder holds exactly the examples above (no stale example folders)', async () => {
    const folders = (await readdir(GOLDEN_ROOT, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name).sort();
    expect(folders).toEqual(Object.keys(GOLDEN_EXAMPLES).sort());
  });

  it('the diff shown on a mismatch points at the changed line', () => {
    const d = lineDiff('a\nb\nc\nd\n', 'a\nB\nc\nd\ne\n', 1);
    expect(d).toContain('- b');
    expect(d).toContain('+ B');
    expect(d).toContain('+ e');
    expect(d).not.toContain('- a');
  });
});
