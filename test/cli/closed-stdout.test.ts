import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The CLI as bin/meshfed.js runs it, from the sources (no build needed).
const ENTRY = "import { main } from './src/cli/main.ts'; main(process.argv.slice(1)).then((c) => { process.exitCode = c; });";

/** Runs meshfed in a child whose stdout reader goes away after the first chunk, as `| head -c1` does. */
function runAndCloseStdout(args: string[]): Promise<{ code: number | null; first: string; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', ENTRY, '--', ...args], { cwd: resolve('.'), stdio: ['ignore', 'pipe', 'pipe'] });
    let first = '';
    let stderr = '';
    child.stdout.once('data', (d: Buffer) => {
      first = d.toString().slice(0, 1);
      child.stdout.destroy();
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => done({ code, first, stderr }));
  });
}

describe('a closed stdout', () => {
  let dir: string;
  let mesh: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'meshfed-epipe-'));
    mesh = join(dir, 'mesh.yaml');
    // 60 primaries: a plan of megabytes, far more than a pipe holds.
    const clusters = Array.from({ length: 60 }, (_, i) => `    - {name: c${i}}`).join('\n');
    await writeFile(mesh, `apiVersion: meshfed.io/v1alpha1\nkind: Mesh\nmetadata: {name: m}\nspec:\n  lab: {}\n  clusters:\n${clusters}\n`);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('ends `plan -o json | head -c1` quietly with exit 0', async () => {
    const r = await runAndCloseStdout(['plan', '-f', mesh, '-o', 'json']);
    expect(r.first).toBe('{');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  });
});
