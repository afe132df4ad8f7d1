import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LAB_ERROR_CODES, LabError, ensureLabBinaries } from '../../src/lab/index.js';
import { quoteLogTail } from '../../src/lab/errors.js';
import { mentions, spawnComponent } from '../../src/lab/processes.js';
import type { RecordedProcess } from '../../src/lab/state.js';
import { assertRunning } from '../../src/lab/wait.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function caught(p: Promise<unknown>): Promise<LabError> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(LabError);
  return e as LabError;
}

describe('lab errors', () => {
  it('a component that exits at start is reported with the end of its log, without secrets', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'meshfed-exit-'));
    dirs.push(dir);
    const log = join(dir, 'east-kube-apiserver.log');
    const script = [
      'echo "-----BEGIN EC PRIVATE KEY-----"',
      'echo "Authorization: Bearer abcdefghijklmnopqrstuvwxyz0123456789"',
      'echo "E1125 run.go:72] error: invalid argument \\"10.0.0.0/4\\" for \\"--service-cluster-ip-range\\""',
      'exit 1',
    ].join('; ');
    const { pid } = spawnComponent({ binary: '/bin/sh', args: ['-c', script], logPath: log });
    await new Promise((r) => setTimeout(r, 300));
    const rec: RecordedProcess = { component: 'kube-apiserver', cluster: 'east', pid, binary: '/bin/sh', log, startedAt: '' };
    let err: LabError | undefined;
    try {
      assertRunning([rec]);
    } catch (e) {
      err = e as LabError;
    }
    expect(err?.code).toBe(LAB_ERROR_CODES.componentExited);
    expect(err?.cluster).toBe('east');
    expect(err?.message).toContain('kube-apiserver of east');
    expect(err?.message).toContain('--service-cluster-ip-range');
    expect(err?.message).not.toContain('PRIVATE KEY');
    expect(err?.message).not.toContain('abcdefghijklmnop');
  });

  it('quoteLogTail keeps the last lines and drops credential-looking ones', () => {
    const text = Array.from({ length: 20 }, (_, i) => `line ${i}`).join('\n') + '\ntoken: eyJhbGciOiJSUzI1NiIsImtpZCI6IjEifQ\n';
    const q = quoteLogTail(text, 3);
    expect(q.split('\n')).toEqual(['    | line 17', '    | line 18', '    | line 19']);
  });

  it('a missing Go toolchain is a typed error with a hint', async () => {
    const cache = await mkdtemp(join(tmpdir(), 'meshfed-nogo-'));
    dirs.push(cache);
    const err = await caught(ensureLabBinaries({ parts: ['etcd'], env: { ...process.env, MESHFED_CACHE: cache, PATH: '/usr/bin:/bin' } }));
    expect(err.code).toBe(LAB_ERROR_CODES.noGoToolchain);
    expect(err.hint).toMatch(/install Go/);
  });

  it('processes are matched by whole state-dir paths only', () => {
    expect(mentions(['/bin/kwok', '--kubeconfig=/x/.meshfed/lab/m/clusters/a/kwok.kubeconfig'], '/x/.meshfed/lab/m')).toBe(true);
    expect(mentions(['/usr/bin/node', 'lb.js', '--state-dir=/x/.meshfed/lab/m'], '/x/.meshfed/lab/m')).toBe(true);
    expect(mentions(['/bin/kwok', '--kubeconfig=/x/.meshfed/lab/m2/clusters/a/kwok.kubeconfig'], '/x/.meshfed/lab/m')).toBe(false);
  });
});
