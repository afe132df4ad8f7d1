import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DIAGNOSTIC_CODES } from '../../src/topology/index.js';
import { BAD_FILES } from './expectations.js';
import { BAD_DIR } from './helpers.js';

// MF1003 (unreadable file) has no bad file by nature: read-errors.test.ts covers it. The limits
// (MF1004 size, MF1005 values, MF1010 no regular file, MF3051 plan size) need files too large
// or too special to keep under bad/: limits.test.ts generates them.
const COVERED_ELSEWHERE = new Set(['MF1003', 'MF1004', 'MF1005', 'MF1010', 'MF3051']);

describe('every diagnostic code has a bad file', () => {
  it('each code of codes.ts is expected from some file under bad/', () => {
    const expected = new Set(Object.values(BAD_FILES).flatMap((list) => list.map(([code]) => code)));
    const missing = Object.keys(DIAGNOSTIC_CODES).filter((c) => !expected.has(c) && !COVERED_ELSEWHERE.has(c));
    expect(missing).toEqual([]);
  });

  it('each file under bad/ has its expectations, and each expectation its file', () => {
    const files = readdirSync(BAD_DIR).filter((f) => f.endsWith('.yaml')).sort();
    expect(files).toEqual(Object.keys(BAD_FILES).sort());
  });
});
