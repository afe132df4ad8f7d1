/** doctor's --check takes only the codes of its registry: another code is a usage error (exit 64) naming the flag, before anything is read. */
import { describe, expect, it } from 'vitest';
import { runCli } from '../cli/run.js';

describe('doctor --check', () => {
  it.each(['MF9999', 'MF3001', 'mf40', ''])('%s: exit 64 naming --check, nothing checked', async (code) => {
    const r = await runCli('doctor', '-f', 'examples/lab/mesh.yaml', '--check', code);
    expect(r.code).toBe(64);
    expect(r.stderr).toContain("option '--check <code>'");
    expect(r.stdout).toBe('');
  });
});
