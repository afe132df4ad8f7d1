/**
 * The dashboard's API and page routes on a real loopback server (test data, no Kubernetes):
 * the topology merges the real plan of seed 000's primary-remote multi-network example with
 * live states and gateways; the trust summary reads a real trust folder (its fingerprint
 * checked by openssl, never a key in it); the checks slot says "none yet" until a source
 * gives results; every deep link serves the page with its CSP; an unbuilt page is MF9512.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DoctorReport } from '../../src/doctor/index.js';
import { periodic, periodicChecks, periodicDoctor, startServer, verifyTally, type TopologyView, type VerifyReport } from '../../src/serve/index.js';
import { judge, type VerifyReport as VerifyRun } from '../../src/verify/index.js';
import type { TrustSummary } from '../../src/pki/index.js';
import { fixtureServer, type FixtureServer } from './dashboardFixture.js';

let f: FixtureServer;
const get = async (path: string) => {
  const r = await fetch(`${f.server.url}${path}`);
  return { status: r.status, headers: r.headers, text: await r.text() };
};
const json = async <T>(path: string) => JSON.parse((await get(path)).text) as T;

beforeAll(async () => {
  f = await fixtureServer();
});
afterAll(async () => {
  await f?.close();
});

describe('dashboard API', () => {
  it('topology: clusters grouped by network, primary → remote, the remote secret, gateways with their live addresses, live states', async () => {
    f.source.states = [
      { clusterId: 'cluster01', state: 'synced' },
      { clusterId: 'cluster02', state: 'timeout', lastError: { code: 'MF7001', message: 'cluster02 unreachable', cause: 'unreachable', hint: 'check it' } },
    ];
    const t = await json<TopologyView>('/api/v1/topology');
    expect(t.networks).toEqual([
      { name: 'network1', clusters: ['cluster01'] },
      { name: 'network2', clusters: ['cluster02'] },
    ]);
    expect(t.clusters.map((c) => [c.name, c.role, c.primary, c.state, c.lastError?.code])).toEqual([
      ['cluster01', 'primary', 'cluster01', 'synced', undefined],
      ['cluster02', 'remote', 'cluster01', 'timeout', 'MF7001'],
    ]);
    expect(t.controlPlane).toEqual([{ primary: 'cluster01', remote: 'cluster02' }]);
    expect(t.remoteSecrets).toEqual([{ primary: 'cluster01', watched: 'cluster02', secret: 'istio-remote-secret-cluster02' }]);
    expect(t.gateways.map((g) => [g.cluster, g.network, g.address, g.port, g.source, g.exposesIstiod])).toEqual([
      ['cluster01', 'network1', '172.18.11.1', 15443, 'live', true],
      ['cluster02', 'network2', '172.18.12.1', 15443, 'live', false],
    ]);
  });

  it('topology: a gateway discovery has not seen is shown with the address the plan knows, marked planned', async () => {
    const saved = f.source.current;
    f.source.current = { ...saved, gateways: saved.gateways.filter((g) => g.cluster !== 'cluster02') };
    try {
      const t = await json<TopologyView>('/api/v1/topology');
      expect(t.gateways.find((g) => g.cluster === 'cluster02')).toMatchObject({ address: '172.18.12.1', source: 'plan' });
    } finally {
      f.source.current = saved;
    }
  });

  it("trust: the root's subject, SHA-256 fingerprint (as openssl prints it) and expiry; each intermediate's issuer, expiry and chain", async () => {
    const t = await json<TrustSummary>('/api/v1/trust');
    const openssl = spawnSync('openssl', ['x509', '-in', join(f.rootDir, 'root-cert.pem'), '-noout', '-fingerprint', '-sha256'], { encoding: 'utf8' });
    expect(openssl.status, openssl.stderr).toBe(0);
    expect(t.root).toMatchObject({ present: true, subject: 'O=Istio, CN=Root CA', status: 'ok' });
    expect(t.root.present && `sha256 Fingerprint=${t.root.fingerprintSha256}`).toBe(openssl.stdout.trim());
    expect(t.intermediates.map((i) => [i.cluster, i.present, i.present && i.issuer, i.present && i.chainsToRoot])).toEqual([
      ['cluster01', true, 'O=Istio, CN=Root CA', true],
      ['cluster02', true, 'O=Istio, CN=Root CA', true],
    ]);
  });

  it('trust: an intermediate of another root says it does not chain, and why', async () => {
    const { ensureTrust, summarizeTrust } = await import('../../src/pki/index.js');
    const { cp, mkdtemp, rm } = await import('node:fs/promises');
    const other = await mkdtemp(join(f.rootDir, '..', 'other-'));
    try {
      await ensureTrust({ rootDir: other, clusters: ['cluster02'], options: { keyAlgorithm: 'ecdsa-p256' } });
      const mixed = await mkdtemp(join(f.rootDir, '..', 'mixed-'));
      await cp(f.rootDir, mixed, { recursive: true });
      await cp(join(other, 'cluster02'), join(mixed, 'cluster02'), { recursive: true, force: true });
      const s = await summarizeTrust(mixed, ['cluster01', 'cluster02']);
      expect(s.intermediates.map((i) => [i.cluster, i.present && i.chainsToRoot])).toEqual([
        ['cluster01', true],
        ['cluster02', false],
      ]);
      expect(s.intermediates[1]).toMatchObject({ problem: "root-cert.pem is not a copy of the mesh's root certificate" });
      await rm(mixed, { recursive: true, force: true });
    } finally {
      await rm(other, { recursive: true, force: true });
    }
  });

  it('checks: "none yet" for doctor and verify when nothing was recorded, the reports with their time when a source has them', async () => {
    expect(await json('/api/v1/checks')).toEqual({
      doctor: { state: 'none', message: 'no meshfed doctor result yet: start serve with --doctor-every <seconds> to run it here' },
      verify: { state: 'none', message: 'no meshfed verify result yet: start serve with --verify-every <seconds> to run it here' },
    });
    const doctor: DoctorReport = { mesh: 'mesh1', clusters: [{ cluster: 'cluster02', reachable: false, findings: [{ code: 'MF4001', check: 'cluster reachable', severity: 'error', cluster: 'cluster02', evidence: 'ECONNREFUSED', fix: 'start its API server' }] }], summary: { ok: 0, warnings: 0, errors: 1, unreachable: ['cluster02'] } };
    const verify: VerifyReport = { verdict: 'pass', sources: [{ cluster: 'cluster01', verdict: 'pass', requests: 20, answeredBy: [{ cluster: 'cluster01', version: 'v1', count: 10 }, { cluster: 'cluster02', version: 'v2', count: 10 }] }] };
    const at = '2026-12-01T00:00:00.000Z';
    const s = await startServer({ source: f.source, checks: { doctor: () => ({ at, report: doctor }), verify: () => ({ at, report: verify }) } });
    try {
      expect(await (await fetch(`${s.url}/api/v1/checks`)).json()).toEqual({ doctor: { state: 'present', at, report: doctor }, verify: { state: 'present', at, report: verify } });
      // each has an API of its own
      expect(await (await fetch(`${s.url}/api/v1/checks/verify`)).json()).toEqual({ state: 'present', at, report: verify });
      expect(await (await fetch(`${s.url}/api/v1/checks/doctor`)).json()).toEqual({ state: 'present', at, report: doctor });
    } finally {
      await s.close();
    }
  });

  it("verifyTally: meshfed verify's report per source cluster, with who answered (and the version placed there), why it failed, what was only observed", () => {
    const clusters = [
      { name: 'cluster01', network: 'network1', runsService: true },
      { name: 'cluster02', network: 'network1', runsService: true },
      { name: 'cluster03', network: 'network2', runsService: true },
    ];
    const answers = (c: string, n: number, version: string) => Array.from({ length: n }, () => ({ cluster: c, version, pod: `helloworld-${version}-${c}` }));
    const verdict = judge(
      clusters,
      [
        { source: 'cluster01', requests: 20, answers: [...answers('cluster01', 10, 'v1'), ...answers('cluster02', 10, 'v2')], errors: [], gatewaysGiven: [{ network: 'network2', address: '192.0.2.3:15443' }] },
        { source: 'cluster02', requests: 20, answers: answers('cluster02', 20, 'v2'), errors: [] },
      ],
      { unverifiableCrossNetwork: true },
    );
    const run: VerifyRun = {
      mesh: 'm',
      namespace: 'sample',
      requests: 20,
      client: 'echo-client (proxyless gRPC)',
      placement: [{ cluster: 'cluster01', version: 'v1' }, { cluster: 'cluster02', version: 'v2' }, { cluster: 'cluster03', version: 'v1' }],
      unreachable: [],
      verdict,
      mtls: { observed: true, enforced: true, servers: [] },
      kept: false,
    };
    const t = verifyTally(run, [{ code: 'MF4030', cluster: 'cluster02', check: 'remote secrets', cause: 'no remote secret for cluster01' }]);
    expect(t.verdict).toBe('fail');
    expect(t.sources[0]).toEqual({
      cluster: 'cluster01',
      verdict: 'pass',
      requests: 20,
      answeredBy: [{ cluster: 'cluster01', version: 'v1', count: 10 }, { cluster: 'cluster02', version: 'v2', count: 10 }],
      notes: ['network network2: given its gateway 192.0.2.3:15443; the path through it is not verifiable here', 'mTLS: every HelloWorld pod refused plaintext, so the answered calls were mTLS'],
    });
    expect(t.sources[1]).toMatchObject({ cluster: 'cluster02', verdict: 'fail', answeredBy: [{ cluster: 'cluster02', version: 'v2', count: 20 }], reasons: ['never answered by cluster01', 'network network2 missed', '[MF4030] cluster02: no remote secret for cluster01'] });
    const down = verifyTally({ ...run, unreachable: [{ cluster: 'cluster03', reason: 'ECONNREFUSED' }], verdict: { pass: false, sources: [] } }, []);
    expect(down).toEqual({ verdict: 'fail', sources: [{ cluster: 'cluster03', verdict: 'fail', requests: 0, answeredBy: [], reasons: ['unreachable: ECONNREFUSED'] }] });
  });

  it('periodicChecks: doctor and verify, each from its own periodic run', async () => {
    const verify: VerifyReport = { verdict: 'pass', sources: [] };
    const v = periodic(async () => verify, 60_000, () => new Date('2026-12-01T00:00:00.000Z'));
    const c = periodicChecks({ verify: v });
    try {
      await v.ran();
      expect(c.verify()).toEqual({ at: '2026-12-01T00:00:00.000Z', report: verify });
      expect(c.doctor()).toBeUndefined();
    } finally {
      c.stop();
    }
  });

  it('periodicDoctor: none until the first run ends, then its report; a failed run keeps the last report; runs again after the interval', async () => {
    const reports: DoctorReport[] = [1, 2].map((n) => ({ mesh: `run${n}`, clusters: [], summary: { ok: n, warnings: 0, errors: 0, unreachable: [] } }));
    let calls = 0;
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    const p = periodicDoctor(async () => {
      calls++;
      if (calls === 1) {
        await gate;
        return reports[0]!;
      }
      if (calls === 2) throw new Error('a cluster hung');
      return reports[1]!;
    }, 50, () => new Date('2026-12-01T00:00:00.000Z'));
    try {
      expect(p.doctor()).toBeUndefined();
      release();
      await p.ran();
      expect(p.doctor()).toEqual({ at: '2026-12-01T00:00:00.000Z', report: reports[0] });
      while (calls < 2) await new Promise((r) => setTimeout(r, 1));
      await new Promise((r) => setImmediate(r)); // the second run has failed, the third is 50 ms away
      expect(p.doctor()?.report.mesh).toBe('run1');
      await new Promise((r) => setTimeout(r, 120));
      expect(calls).toBeGreaterThanOrEqual(3);
      expect(p.doctor()?.report.mesh).toBe('run2');
    } finally {
      p.stop();
    }
  });

  it('every deep link serves the one page with its CSP (scripts and styles from this origin only); its assets carry their types', async () => {
    for (const path of ['/', '/topology', '/services', '/trust', '/checks', '/clusters/cluster02', '/services/helloworld.sample.svc.cluster.local', '/services/']) {
      const r = await get(path);
      expect([path, r.status, r.headers.get('content-type')]).toEqual([path, 200, 'text/html; charset=utf-8']);
      expect(r.text).toContain('<script type="module" src="/assets/app.js">');
      expect(r.headers.get('content-security-policy')).toMatch(/default-src 'none'; script-src 'self'; style-src 'self' 'sha256-[A-Za-z0-9+/=]+';.*connect-src 'self'/);
    }
    const js = await get('/assets/app.js');
    expect([js.status, js.headers.get('content-type')]).toEqual([200, 'text/javascript; charset=utf-8']);
    // Bundled, not fetched: no URL of another host for a script or style to come from.
    expect(js.text).not.toMatch(/<script[^>]+src="https?:|cdn\.|unpkg\.com|jsdelivr/);
    expect((await get('/assets/app.css')).headers.get('content-type')).toBe('text/css; charset=utf-8');
    expect((await get('/assets/nope.js')).status).toBe(404);
  });

  it('no response holds key material: every route the page uses', async () => {
    const paths = ['/', '/assets/app.js', '/api/v1/topology', '/api/v1/trust', '/api/v1/services', '/api/v1/clusters', '/api/v1/checks', '/api/v1/services/helloworld.sample.svc.cluster.local/endpoints?network=network1'];
    for (const p of paths) expect((await get(p)).text, p).not.toMatch(/PRIVATE KEY|BEGIN CERTIFICATE|ca-key\.pem|root-key\.pem|Bearer|eyJhbGci/);
  });

  it('an unbuilt page answers MF9512 with what to run, while the API serves', async () => {
    const s = await startServer({ source: f.source, dashboard: { dir: '/nonexistent/dashboard' } });
    try {
      const r = await fetch(`${s.url}/`);
      expect(r.status).toBe(503);
      expect(((await r.json()) as { error: { code: string; hint: string } }).error).toMatchObject({ code: 'MF9512', hint: expect.stringContaining('npm run build') });
      expect((await fetch(`${s.url}/api/v1/clusters`)).status).toBe(200);
    } finally {
      await s.close();
    }
  });
});
