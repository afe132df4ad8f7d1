/**
 * `--timeout` is a hard deadline, whatever the server does: `meshfed discover` (the built CLI,
 * as a process) against an API server that accepts watches and never sends their headers.
 * Once it answers every list (the cluster syncs in 1.5 s, its watches hang), once it
 * never answers the pod list (the cluster cannot sync). Either way the process prints its
 * report and exits within 7 s of `--timeout 5` (counted from its first request: loading the
 * CLI on a busy machine is not the deadline's business); before, it printed and never exited.
 * `meshfed apply --timeout 5` against the same server when it answers no request at all, or
 * sends a request's headers and then stalls: the cluster's first step fails with MF7007 within
 * a bound near 5 s, its dependants are not started, and the process exits 2 naming the cluster
 * (before, every request waited for ever and the process with it).
 * The server is a stand-in (a unit test of timing); loopback only.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTlsServer, type TlsServer } from '../kube/tlsServer.js';

let dir: string;
let api: TlsServer;
let meshPath: string;
let kubeconfigPath: string;
/** Requests the server holds without answering. */
const held: IncomingMessage[] = [];
/** When the CLI's first request arrived: the deadline runs from there (loading the CLI on a busy machine is not its business). */
let firstRequestAt = 0;
let hangPodList = false;
/** For apply: every request is held (`silent`), or answered with headers and a body that never ends (`stall`). */
let hangAll: 'no' | 'silent' | 'stall' = 'no';

function handle(req: IncomingMessage, res: ServerResponse): void {
  firstRequestAt ||= Date.now();
  if (hangAll !== 'no') {
    held.push(req);
    if (hangAll === 'stall') res.writeHead(200, { 'content-type': 'application/json' }).write('{"kind":');
    return;
  }
  const url = new URL(req.url ?? '/', 'https://x');
  if (url.searchParams.get('watch') === 'true' || (hangPodList && url.pathname === '/api/v1/pods')) {
    held.push(req); // never answered: no status line, no headers
    return;
  }
  const answer = () => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ kind: 'List', apiVersion: 'v1', metadata: { resourceVersion: '7' }, items: [] }));
  // The pod list comes last, so the other resources' watches are open (and hang) meanwhile.
  if (url.pathname === '/api/v1/pods') setTimeout(answer, 1_500);
  else answer();
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'meshfed-deadline-'));
  api = await startTlsServer('127.0.0.1', dir, handle);
  meshPath = join(dir, 'mesh.yaml');
  await writeFile(meshPath, 'apiVersion: meshfed.io/v1alpha1\nkind: Mesh\nmetadata: {name: hung}\nspec:\n  clusters:\n  - name: c1\n    context: hung\n    podCIDRs: [10.10.0.0/16]\n    serviceCIDRs: [10.11.0.0/16]\n');
  kubeconfigPath = join(dir, 'kubeconfig');
  const kc = `apiVersion: v1\nkind: Config\nclusters:\n- name: hung\n  cluster: {server: "${api.url}", certificate-authority-data: ${api.caData}}\ncontexts:\n- name: hung\n  context: {cluster: hung, user: hung}\ncurrent-context: hung\nusers:\n- name: hung\n  user: {token: test-token}\n`;
  await writeFile(kubeconfigPath, kc, { mode: 0o600 });
});

afterAll(async () => {
  await api?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Runs the built CLI; kills it after 30 s so a regression fails instead of hanging the suite. */
function meshfed(args: string[]): Promise<{ code: number | null; ms: number; total: number; stdout: string; stderr: string }> {
  const started = Date.now();
  firstRequestAt = 0;
  const child = spawn(process.execPath, [resolve('bin/meshfed.js'), ...args, '-f', meshPath, '--kubeconfig', kubeconfigPath, '--timeout', '5'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const kill = setTimeout(() => child.kill('SIGKILL'), 30_000);
  return new Promise((res) =>
    child.once('exit', (code) => {
      clearTimeout(kill);
      const now = Date.now();
      res({ code, ms: now - (firstRequestAt || started), total: now - started, stdout, stderr });
    }),
  );
}

const discover = () => meshfed(['discover', '-o', 'json']);

describe('discover --timeout 5 against an API server that never answers a watch', () => {
  it('lists answer, watches hang: the cluster syncs, the report is printed and the process exits well within 7 s', async () => {
    held.length = 0;
    hangPodList = false;
    const r = await discover();
    expect(r.ms, `${r.total} ms from the spawn; ${r.stderr}`).toBeLessThan(7_000);
    expect(r.code, r.stderr).toBe(0);
    expect((JSON.parse(r.stdout) as { clusters: { clusterId: string; state: string }[] }).clusters).toMatchObject([{ clusterId: 'c1', state: 'synced' }]);
    // The scenario happened: the CLI's watches reached the server and were left hanging.
    expect(held.filter((q) => q.url?.includes('watch=true')).length).toBeGreaterThan(0);
  }, 40_000);

  it('the pod list hangs too: the report says timeout at 5 s and the process exits 69 within 7 s', async () => {
    held.length = 0;
    hangPodList = true;
    const r = await discover();
    expect(r.ms, `${r.total} ms from the spawn; ${r.stderr}`).toBeLessThan(7_000);
    expect(r.total).toBeGreaterThanOrEqual(5_000);
    expect(r.code, r.stderr).toBe(69);
    expect((JSON.parse(r.stdout) as { clusters: { clusterId: string; state: string }[] }).clusters).toMatchObject([{ clusterId: 'c1', state: 'timeout' }]);
    expect(held.some((q) => q.url?.startsWith('/api/v1/pods') && !q.url.includes('watch=true'))).toBe(true);
    expect(held.filter((q) => q.url?.includes('watch=true')).length).toBeGreaterThan(0);
  }, 40_000);
});

describe('apply --timeout 5 against an API server that never answers a request', () => {
  for (const mode of ['silent', 'stall'] as const) {
    it(`${mode === 'silent' ? 'no status line, no headers' : 'headers, then a body that never ends'}: the first step fails with MF7007 in c1, the rest is not started, exit 2 within 7 s`, async () => {
      held.length = 0;
      hangAll = mode;
      try {
        const r = await meshfed(['apply', '--istioctl', '/nonexistent/istioctl']);
        expect(r.ms, `${r.total} ms from the spawn; ${r.stderr}`).toBeLessThan(7_000);
        expect(r.ms).toBeGreaterThanOrEqual(4_500);
        expect(r.code, r.stderr).toBe(2);
        expect(r.stderr).toMatch(/FAILED \S+ in cluster c1 \[MF7007, timeout\]/);
        expect(r.stderr).toMatch(/not started \(waiting on a failed step\): \S/);
        // The scenario happened: apply's requests reached the server and were left hanging.
        expect(held.length).toBeGreaterThan(0);
      } finally {
        hangAll = 'no';
      }
    }, 40_000);
  }
});
