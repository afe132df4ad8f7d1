import { describe, expect, it } from 'vitest';
import { DIAGNOSTIC_CODES } from '../../src/topology/index.js';
import { BAD_FILES } from './expectations.js';
import { BAD_DIR, brief, validateFixture } from './helpers.js';

describe('bad mesh files report each problem with its code, severity and line:column', () => {
  for (const [name, expected] of Object.entries(BAD_FILES)) {
    it(name, () => {
      const v = validateFixture(BAD_DIR, name);
      expect(v.diagnostics.map(brief)).toEqual(expected);
      for (const d of v.diagnostics) {
        expect(d.file).toBe(name);
        expect(d.code in DIAGNOSTIC_CODES, `${d.code} is a documented code`).toBe(true);
        expect(d.message.trim()).not.toBe('');
        expect(d.hint.trim()).not.toBe('');
      }
      expect(v.ok).toBe(!expected.some(([, severity]) => severity === 'error'));
    });
  }
});
