import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { summarizePlan } from '../../src/plan/index.js';
import { ROOT, examplePlan } from './helpers.js';

// `UPDATE_GOLDEN=1 npx vitest run test/plan/golden.test.ts` rewrites the files; review the diff.
const UPDATE = process.env['UPDATE_GOLDEN'] === '1';
const GOLDEN_DIR = join(ROOT, 'test', 'golden', 'plan');

describe('summarizePlan golden text', () => {
  for (const name of ['primary-remote-multi-network', 'mix']) {
    it(name, async () => {
      const text = summarizePlan(await examplePlan(name));
      const file = join(GOLDEN_DIR, `${name}.txt`);
      if (UPDATE) {
        await mkdir(GOLDEN_DIR, { recursive: true });
        await writeFile(file, text);
        return;
      }
      expect(existsSync(file), `${file} is missing: run with UPDATE_GOLDEN=1 to create it`).toBe(true);
      expect(text).toBe(await readFile(file, 'utf8'));
    });
  }
});
