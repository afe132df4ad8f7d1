/**
 * Typed flags: every numeric or enumerated flag is checked while the command line is read, so
 * a bad value is a usage error (exit 64) naming the flag, and nothing runs. The mesh file given
 * is a valid one: a flag that got past its check would go on to load it (and, for apply, to
 * talk to clusters), so exit 64 with the flag's name shows that the check is what stopped it.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { positiveSeconds, wholeNumber } from '../../src/cli/flags.js';
import { LAB_VERSIONS } from '../../src/lab/index.js';
import { DEFAULT_ISTIO_VERSION } from '../../src/topology/index.js';
import { runCli } from './run.js';

const MESH = join('examples', 'lab', 'mesh.yaml');

/** command line → the flag its bad value must be reported against. */
const BAD: [string[], string][] = [
  [['apply', '--concurrency', '0'], '--concurrency'],
  [['apply', '--concurrency', 'abc'], '--concurrency'],
  [['apply', '--concurrency', '-2'], '--concurrency'],
  [['apply', '--concurrency', '1.5'], '--concurrency'],
  [['apply', '--concurrency', ''], '--concurrency'],
  [['destroy', '--concurrency', '0'], '--concurrency'],
  [['destroy', '--concurrency', 'abc'], '--concurrency'],
  [['apply', '--timeout', 'abc'], '--timeout'],
  [['apply', '--timeout', '0'], '--timeout'],
  [['apply', '--timeout', '-5'], '--timeout'],
  [['apply', '--timeout', 'Infinity'], '--timeout'],
  [['discover', '--timeout', 'abc'], '--timeout'],
  [['discover', '--timeout', '0'], '--timeout'],
  [['serve', '--port', 'abc'], '--port'],
  [['serve', '--port', '65536'], '--port'],
  [['serve', '--port', '-1'], '--port'],
  [['serve', '--port', '80.5'], '--port'],
  [['discover', '--from', 'everywhere'], '--from'],
  [['doctor', '--check', 'nope'], '--check'],
  [['doctor', '--timeout', '0'], '--timeout'],
  [['status', '--timeout', 'abc'], '--timeout'],
  [['doctor', '-o', 'yaml'], '--output'],
  [['serve', '--from', 'everywhere'], '--from'],
  [['validate', '-o', 'yaml'], '--output'],
  [['plan', '-o', 'yamlx'], '--output'],
  [['certs', '-o', 'yaml'], '--output'],
  [['apply', '-o', 'yaml'], '--output'],
  [['destroy', '-o', 'xml'], '--output'],
  [['discover', '-o', 'yaml'], '--output'],
  [['lab', 'status', '-o', 'yamlx'], '--output'],
  [['version', '-o', 'yaml'], '--output'],
];

describe('typed flags', () => {
  it.each(BAD)('%j: exit 64 naming %s', async (argv, flag) => {
    const r = await runCli(...argv, '-f', MESH);
    expect(r.code, r.stderr).toBe(64);
    expect(r.stderr).toContain(flag);
    expect(r.stderr).toContain(`'${argv.at(-1)}'`);
    // Refused before the mesh file was read: no diagnostics, no progress.
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^error: option /);
    expect(r.stderr).not.toMatch(/MF\d{4}/);
  });

  it('good values pass the check and reach the command (which then stops at the invalid mesh file: 65)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'meshfed-flags-'));
    const bad = join(dir, 'mesh.yaml');
    await writeFile(bad, 'apiVersion: meshfed.io/v1alpha1\nkind: Mesh\nmetadata: {name: m}\nspec: {clusters: [{name: a, controlPlane: b}]}\n');
    for (const argv of [
      ['apply', '--concurrency', '1', '--timeout', '0.5'],
      ['destroy', '--concurrency', '12'],
      ['discover', '--timeout', '3', '--from', 'secrets'],
      ['serve', '--port', '0'],
      ['lab', 'status', '-o', 'json'],
    ]) {
      const r = await runCli(...argv, '-f', bad);
      expect(r.code, `${argv.join(' ')}: ${r.stderr}`).toBe(65);
      expect(r.stderr).toContain('MF3003');
    }
  });

  it('the parsers return typed values and refuse what is not one', () => {
    expect(wholeNumber(1)('6')).toBe(6);
    expect(wholeNumber(0, 65535)('0')).toBe(0);
    expect(wholeNumber(0, 65535)('65535')).toBe(65535);
    for (const v of ['0', '', ' ', 'abc', '1e3', '0x10', '2.0', '-1']) expect(() => wholeNumber(1)(v), v).toThrow(/whole number/);
    expect(positiveSeconds('180')).toBe(180);
    expect(positiveSeconds('0.25')).toBe(0.25);
    for (const v of ['0', '-1', 'abc', '', 'Infinity', 'NaN', '1e400', '5s']) expect(() => positiveSeconds(v), v).toThrow(/positive number of seconds/);
  });
});

describe('meshfed version', () => {
  const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };

  it('--version prints meshfed\'s version from package.json', async () => {
    const r = await runCli('--version');
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(pkg.version);
  });

  it('version -o json: meshfed, the pinned Istio (the mesh default, which the lab builds) and the Kubernetes the lab runs', async () => {
    const r = await runCli('version', '-o', 'json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ meshfed: pkg.version, istio: DEFAULT_ISTIO_VERSION, kubernetes: LAB_VERSIONS.kubernetes });
    expect(LAB_VERSIONS.istio).toBe(DEFAULT_ISTIO_VERSION);
    const t = await runCli('version');
    expect(t.stdout).toContain(`meshfed ${pkg.version}\n`);
    expect(t.stdout).toContain(`istio ${DEFAULT_ISTIO_VERSION}`);
    expect(t.stdout).toContain(`kubernetes ${LAB_VERSIONS.kubernetes}`);
  });
});
