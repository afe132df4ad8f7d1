import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { readFileSync } from 'node:fs';
import { runCli } from './run.js';

const example = (name: string) => join('examples', name, 'mesh.yaml');

describe('meshfed CLI', () => {
  it('validate: exit 0 and "valid" for a good file', async () => {
    const r = await runCli('validate', '-f', example('mix'));
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('valid');
  });

  it('validate: exit 65 with file:line:column, code and hint for every problem', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'meshfed-cli-'));
    const file = join(dir, 'mesh.yaml');
    await writeFile(
      file,
      [
        'apiVersion: meshfed.io/v1alpha1',
        'kind: Mesh',
        'metadata: {name: mesh1}',
        'spec:',
        '  clusters:',
        '  - name: Cluster_1',
        '    apiServer: http://10.0.0.1:6443',
        '    podCIDRs: [10.10.0.0/16]',
        '    serviceCIDRs: [10.11.0.0/16]',
        '',
      ].join('\n'),
    );
    const r = await runCli('validate', '-f', file);
    expect(r.code).toBe(65);
    expect(r.stdout).toContain(`${file}:6:11: error MF3001`);
    expect(r.stdout).toContain(`${file}:7:16: error MF3021`);
    expect(r.stdout).toMatch(/hint: /);
    const j = await runCli('validate', '-f', file, '-o', 'json');
    const report = JSON.parse(j.stdout) as { ok: boolean; diagnostics: { code: string; line: number; column: number }[] };
    expect(report.ok).toBe(false);
    expect(report.diagnostics.map((d) => `${d.code}@${d.line}:${d.column}`)).toEqual(['MF3001@6:11', 'MF3021@7:16']);
  });

  it('plan and render stop with exit 65 on an invalid file and do nothing', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'meshfed-cli-'));
    const file = join(dir, 'mesh.yaml');
    await writeFile(file, 'apiVersion: meshfed.io/v1alpha1\nkind: Mesh\nmetadata: {name: m}\nspec: {clusters: [{name: a, controlPlane: b}]}\n');
    const r = await runCli('render', '-f', file, '-o', join(dir, 'out'));
    expect(r.code).toBe(65);
    expect(r.stderr).toContain('MF3003');
    expect(r.stderr).toContain('nothing was done');
  });

  it('plan -o json prints the plan as data; text prints the summary', async () => {
    const j = await runCli('plan', '-f', example('primary-remote-multi-network'), '-o', 'json');
    expect(j.code).toBe(0);
    const plan = JSON.parse(j.stdout) as { clusters: { name: string; role: string }[]; steps: { id: string }[] };
    expect(plan.clusters.map((c) => `${c.name}:${c.role}`)).toEqual(['cluster01:primary', 'cluster02:remote']);
    expect(plan.steps.map((s) => s.id)).toContain('remote-secret:cluster01:cluster02');
    const t = await runCli('plan', '-f', example('primary-remote-multi-network'));
    expect(t.stdout).toContain('Remote secrets');
    expect(t.stdout).toContain('cluster01  ·          yes');
  });

  it('schema: a JSON Schema that accepts every example and rejects an unknown field', async () => {
    const r = await runCli('schema');
    const schema = JSON.parse(r.stdout) as object;
    const validate = new Ajv({ strict: false }).compile(schema);
    for (const name of ['lab', 'mix', 'primary-remote', 'multi-primary', 'primary-remote-multi-network', 'multi-primary-multi-network'])
      expect(validate(parse(readFileSync(example(name), 'utf8'))), name).toBe(true);
    expect(validate({ apiVersion: 'meshfed.io/v1alpha1', kind: 'Mesh', metadata: { name: 'm' }, spec: { clusters: [{ name: 'a', netwrk: 'x' }] } })).toBe(false);
  });

  it('usage errors exit 64', async () => {
    expect((await runCli('no-such-command')).code).toBe(64);
    expect((await runCli('plan', '--no-such-flag')).code).toBe(64);
  });
});
