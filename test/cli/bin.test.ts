/**
 * bin/meshfed.js, the command `npx meshfed` runs: with no build (dist/ missing) or with a
 * dependency missing it says what to run, exit 1, and never shows a stack trace. Runs a copy of
 * the real bin in a folder that lacks each part; `npm ci` builds dist/ through `prepare`.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

function copyBin(): string {
  const dir = mkdtempSync(join(tmpdir(), 'meshfed-bin-'));
  cpSync('bin', join(dir, 'bin'), { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ type: 'module' }));
  return dir;
}
const run = (dir: string) => spawnSync(process.execPath, [join(dir, 'bin', 'meshfed.js'), 'validate', '-f', 'mesh.yaml'], { cwd: dir, encoding: 'utf8' });

describe('bin/meshfed.js', () => {
  it('without a build: names the missing file and the command that builds it, exit 1, no stack', () => {
    const dir = copyBin();
    const r = run(dir);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`meshfed is not built: ${join(dir, 'dist', 'cli', 'main.js')} is missing`);
    expect(r.stderr).toContain('npm run build');
    expect(r.stderr).not.toMatch(/^\s+at /m);
    expect(r.stdout).toBe('');
  });

  it('with a build whose dependency is missing: says to run npm ci, exit 1, no stack', () => {
    const dir = copyBin();
    mkdirSync(join(dir, 'dist', 'cli'), { recursive: true });
    writeFileSync(join(dir, 'dist', 'cli', 'main.js'), "import 'commander';\nexport const main = async () => 0;\n");
    const r = run(dir);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("Cannot find package 'commander'");
    expect(r.stderr).toContain('run `npm ci`');
    expect(r.stderr).not.toMatch(/^\s+at /m);
  });

  it('passes the exit code of main through', () => {
    const dir = copyBin();
    mkdirSync(join(dir, 'dist', 'cli'), { recursive: true });
    writeFileSync(join(dir, 'dist', 'cli', 'main.js'), 'export const main = async (argv) => (argv[0] === "validate" ? 65 : 0);\n');
    expect(run(dir).status).toBe(65);
  });

  it('npm ci builds dist/: package.json has a prepare script that runs the build', () => {
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts['prepare']).toBe('npm run build');
    expect(pkg.scripts['build']).toMatch(/^tsc -p tsconfig\.json && node --import tsx scripts\/build-dashboard\.ts$/);
  });
});
