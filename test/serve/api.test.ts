/**
 * The HTTP API over a registry, on a real loopback HTTP server: clusters, services, a service's
 * endpoints (all, or as a network or a cluster sees them), errors with code and hint, and the
 * Server-Sent Events stream. The registry is built by the real buildRegistry from seed 000's
 * multi-network layout (test data, no Kubernetes API involved).
 */
import { get as httpGet } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildRegistry, type ClusterStatus } from '../../src/discovery/index.js';
import { startServer, type RunningServer } from '../../src/serve/index.js';
import { cluster01, cluster02 } from '../discovery/fixtures.js';
import { FixtureSource } from './fixtureSource.js';

const HOST = 'helloworld.sample.svc.cluster.local';

/** Seed 000's layout; cluster02 registered by its remote secret. */
const newSource = () =>
  new FixtureSource(buildRegistry([cluster01(), cluster02()]), [
    { clusterId: 'cluster01', state: 'synced' },
    { clusterId: 'cluster02', state: 'synced', secret: { namespace: 'istio-system', name: 'istio-remote-secret-cluster02' } },
  ]);

let source: FixtureSource;
let server: RunningServer;
const get = async (path: string) => {
  const r = await fetch(`${server.url}${path}`);
  return { status: r.status, body: (await r.json()) as Record<string, unknown> };
};

beforeAll(async () => {
  source = newSource();
  server = await startServer({ source });
});
afterAll(async () => {
  await server?.close();
});

describe('meshfed serve API', () => {
  it('listens on loopback only by default', () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('lists clusters with their sync state', async () => {
    const r = await get('/api/v1/clusters');
    expect(r.status).toBe(200);
    expect(r.body['clusters']).toEqual(source.states);
  });

  it('lists services with, per cluster, its VIPs and endpoint counts', async () => {
    const r = await get('/api/v1/services');
    const hw = (r.body['services'] as { hostname: string; clusters: unknown[] }[]).find((s) => s.hostname === HOST)!;
    expect(hw.clusters).toEqual([
      { cluster: 'cluster01', clusterIPs: ['10.11.0.10'], endpoints: 2, ready: 1 },
      { cluster: 'cluster02', clusterIPs: ['10.21.0.10'], endpoints: 2, ready: 2 },
    ]);
  });

  it("gives a service's endpoints with cluster, network, address and readiness", async () => {
    const r = await get(`/api/v1/services/${HOST}/endpoints`);
    const eps = (r.body['endpoints'] as { cluster: string; network: string; address: string; ready: boolean }[]).map((e) => [e.cluster, e.network, e.address, e.ready]);
    expect(eps).toEqual([
      ['cluster01', 'network1', '10.10.0.5', true],
      ['cluster01', 'network1', '10.10.0.6', false],
      ['cluster02', 'network2', '10.20.0.7', true],
      ['cluster02', 'network2', '10.20.0.8', true],
    ]);
  });

  it('as network1 sees it: its own pods directly, network2 through its gateway on 15443 weighted by count', async () => {
    const r = await get(`/api/v1/services/${HOST}/endpoints?network=network1`);
    expect(r.status).toBe(200);
    const port = (r.body['ports'] as { endpoints: { address: string; port: number; weight: number; via: string }[] }[])[0]!;
    const seen = port.endpoints.map((e) => [e.address, e.port, e.via, e.weight]);
    expect(seen).toContainEqual(['10.10.0.5', 5000, 'pod', 1]);
    expect(seen).toContainEqual(['172.18.12.1', 15443, 'gateway', 2]);
    expect(seen.some(([a]) => a === '10.20.0.7' || a === '10.20.0.8')).toBe(false);
  });

  it('a cluster stands for its network', async () => {
    const byCluster = await get(`/api/v1/services/${HOST}/endpoints?cluster=cluster02`);
    const byNetwork = await get(`/api/v1/services/${HOST}/endpoints?network=network2`);
    expect(byCluster.body['network']).toBe('network2');
    expect(byCluster.body['ports']).toEqual(byNetwork.body['ports']);
  });

  it('answers mistakes with a code, a message and a hint', async () => {
    expect(await get('/api/v1/services/nope.sample.svc.cluster.local/endpoints')).toMatchObject({ status: 404, body: { error: { code: 'MF9502' } } });
    expect(await get(`/api/v1/services/${HOST}/endpoints?cluster=elsewhere`)).toMatchObject({ status: 400, body: { error: { code: 'MF9503', hint: expect.stringContaining('cluster01') } } });
    expect(await get(`/api/v1/services/${HOST}/endpoints?cluster=cluster01&network=network1`)).toMatchObject({ status: 400, body: { error: { code: 'MF9503' } } });
    expect(await get('/api/v2/anything')).toMatchObject({ status: 404, body: { error: { code: 'MF9501', hint: expect.stringContaining('/api/v1/events') } } });
    const post = await fetch(`${server.url}/api/v1/services`, { method: 'POST' });
    expect(post.status).toBe(405);
  });

  it('streams changes as Server-Sent Events, starting with the state now', async () => {
    const ac = new AbortController();
    const r = await fetch(`${server.url}/api/v1/events`, { signal: ac.signal });
    expect(r.headers.get('content-type')).toBe('text/event-stream');
    const reader = r.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    const nextEvent = async () => {
      while (!text.includes('\n\n')) text += decoder.decode((await reader.read()).value);
      const [event, ...rest] = text.split('\n\n');
      text = rest.join('\n\n');
      return JSON.parse(event!.split('\n').find((l) => l.startsWith('data: '))!.slice(6)) as { seq: number; services: number; clusters: ClusterStatus[] };
    };
    const first = await nextEvent();
    expect(first).toMatchObject({ seq: 1, services: source.current.services.length });
    source.states = [{ clusterId: 'cluster01', state: 'synced' }, { clusterId: 'cluster02', state: 'timeout', lastError: { code: 'MF7001', message: 'unreachable', cause: 'unreachable', hint: 'check it' } }];
    source.change();
    const second = await nextEvent();
    expect(second.seq).toBe(2);
    expect(second.clusters[1]).toMatchObject({ clusterId: 'cluster02', state: 'timeout', lastError: { cause: 'unreachable' } });
    ac.abort();
    await new Promise((res) => setTimeout(res, 100));
    expect(source.listening).toBe(0);
  });
});

describe('meshfed serve API: who may ask', () => {
  it('refuses to bind off loopback without a token (MF9511)', async () => {
    await expect(startServer({ source: newSource(), host: '0.0.0.0' })).rejects.toMatchObject({ code: 'MF9511' });
  });

  it('with a token: 401 JSON without it or with a wrong one, 200 with it; the Host check comes first', async () => {
    const s = await startServer({ source: newSource(), token: 'the-token-0123456789' });
    try {
      const ask = (headers: Record<string, string>) => fetch(`${s.url}/api/v1/clusters`, { headers }).then(async (r) => ({ status: r.status, code: ((await r.json()) as { error?: { code: string } }).error?.code }));
      expect(await ask({})).toEqual({ status: 401, code: 'MF9508' });
      expect(await ask({ authorization: 'Bearer wrong' })).toEqual({ status: 401, code: 'MF9508' });
      expect(await ask({ authorization: 'Bearer the-token-0123456789' })).toEqual({ status: 200, code: undefined });
      // fetch will not send another Host; node:http will.
      const evil = await new Promise<number>((resolve, reject) => {
        httpGet(`${s.url}/api/v1/clusters`, { headers: { host: 'evil.example', authorization: 'Bearer the-token-0123456789' } }, (r) => (r.resume(), resolve(r.statusCode ?? 0))).on('error', reject);
      });
      expect(evil).toBe(421);
    } finally {
      await s.close();
    }
  });

  it('caps event streams: past maxStreams a 503 JSON with Retry-After; a closed stream frees its place', async () => {
    const src = newSource();
    const s = await startServer({ source: src, maxStreams: 2 });
    const acs = [new AbortController(), new AbortController()];
    try {
      for (const ac of acs) expect((await fetch(`${s.url}/api/v1/events`, { signal: ac.signal })).status).toBe(200);
      const third = await fetch(`${s.url}/api/v1/events`);
      expect([third.status, third.headers.get('retry-after'), ((await third.json()) as { error: { code: string } }).error.code]).toEqual([503, '5', 'MF9509']);
      acs[0]!.abort();
      await new Promise((r) => setTimeout(r, 100));
      const ac = new AbortController();
      expect((await fetch(`${s.url}/api/v1/events`, { signal: ac.signal })).status).toBe(200);
      ac.abort();
    } finally {
      acs[1]!.abort();
      await s.close();
    }
  });
});
