import { inspect } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { Supervisor, WATCHED_RESOURCES, checkKubeconfig, secretsPath, type SupervisorOptions } from '../../src/discovery/index.js';
import { kubeClients, kubeClientsFromInline, type KubeClients } from '../../src/kube/index.js';
import { discoveryReport, formatDiscovery } from '../../src/cli/commands/discover.js';
import { FakeApi, until } from './fakeApi.js';
import { cluster01, cluster02 } from './fixtures.js';
import { SECRET_TOKEN, kubeconfig, remoteSecret } from './helpers.js';

const SECRETS = secretsPath('istio-system');
const apis = new Map<string, FakeApi>();
const running: Supervisor[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.stop()));
  apis.clear();
});

/** A fake API server per server URL, holding one fixture cluster. */
function server(url: string, snapshot = cluster01()): FakeApi {
  const api = new FakeApi(url);
  api.objects.set(WATCHED_RESOURCES.services, [...snapshot.services]);
  api.objects.set(WATCHED_RESOURCES.endpointSlices, [...snapshot.endpointSlices]);
  api.objects.set(WATCHED_RESOURCES.pods, [...snapshot.pods]);
  api.objects.set(WATCHED_RESOURCES.namespaces, [...snapshot.namespaces]);
  apis.set(url, api);
  return api;
}
const clientsOf = (url: string) => ({ context: url, server: url }) as unknown as KubeClients;

function supervise(members: SupervisorOptions['members'], opts: Partial<SupervisorOptions> = {}): Supervisor {
  const s = new Supervisor({
    members,
    debounceMs: 0,
    sleep: () => new Promise((r) => setTimeout(r, 1)),
    sourceFor: (c) => apis.get(c.server) ?? new FakeApi(c.server),
    ...opts,
  }).start();
  running.push(s);
  return s;
}

const fromSecrets = (extra: Partial<SupervisorOptions> = {}) =>
  supervise({ from: 'secrets', local: { clusterId: 'cluster01', clients: clientsOf('https://c1') }, clientsFor: (m) => kubeClientsFromInline(m.clientConfig()) }, extra);

describe('Supervisor from the mesh file', () => {
  it('watches every context, in file order, and merges them into one registry', async () => {
    server('https://c1', cluster01());
    server('https://c2', cluster02());
    const s = supervise({ from: 'mesh', clusters: [{ clusterId: 'cluster01', clients: clientsOf('https://c1') }, { clusterId: 'cluster02', clients: () => clientsOf('https://c2') }] });
    await s.settled();
    expect(s.clusters()).toEqual([
      { clusterId: 'cluster01', source: 'mesh', server: 'https://c1', state: 'synced' },
      { clusterId: 'cluster02', source: 'mesh', server: 'https://c2', state: 'synced' },
    ]);
    const hw = s.registry().services.find((x) => x.name === 'helloworld')!;
    expect(hw.endpoints.map((e) => `${e.cluster} ${e.network} ${e.address}`)).toEqual(['cluster01 network1 10.10.0.5', 'cluster01 network1 10.10.0.6', 'cluster02 network2 10.20.0.7', 'cluster02 network2 10.20.0.8']);
  });

  it('a context whose client cannot be made is a cluster in timeout with that error; the others run', async () => {
    server('https://c1');
    const s = supervise({
      from: 'mesh',
      clusters: [
        { clusterId: 'cluster01', clients: clientsOf('https://c1') },
        { clusterId: 'broken', clients: () => kubeClients('/nonexistent/kubeconfig', 'nope') },
      ],
    });
    await s.settled();
    expect(s.clusters().map((c) => [c.clusterId, c.state, c.lastError?.cause])).toEqual([
      ['cluster01', 'synced', undefined],
      ['broken', 'timeout', 'invalid'],
    ]);
  });
});

describe('Supervisor from remote secrets', () => {
  it('adds, restarts and removes clusters as secrets come and go; the local cluster is always watched', async () => {
    const primary = server('https://c1', cluster01());
    server('https://c2', cluster02());
    server('https://c2b', cluster02());
    primary.objects.set(SECRETS, [remoteSecret('istio-remote-secret-cluster02', { cluster02: kubeconfig('cluster02', 'https://c2') })]);
    const s = fromSecrets();
    await s.settled();
    expect(s.clusters()).toEqual([
      { clusterId: 'cluster01', source: 'local', server: 'https://c1', state: 'synced' },
      { clusterId: 'cluster02', source: 'secret', server: 'https://c2', state: 'synced', secret: { namespace: 'istio-system', name: 'istio-remote-secret-cluster02' } },
    ]);
    await until('secret watch', () => primary.openWatches(SECRETS) === 1);

    // A new server in the secret: that cluster is restarted against it.
    primary.emit(SECRETS, 'MODIFIED', remoteSecret('istio-remote-secret-cluster02', { cluster02: kubeconfig('cluster02', 'https://c2b') }));
    await until('restarted', () => s.clusters()[1]?.server === 'https://c2b' && s.clusters()[1]?.state === 'synced');
    expect(apis.get('https://c2')!.openWatches()).toBe(0);

    // A secret naming the local cluster is ignored, as istiod does.
    primary.emit(SECRETS, 'ADDED', remoteSecret('istio-remote-secret-self', { cluster01: kubeconfig('cluster01', 'https://elsewhere') }));
    await until('ignored', () => s.secretProblems().ignored.length === 1);
    expect(s.secretProblems().ignored[0]).toMatchObject({ clusterId: 'cluster01', reason: 'localCluster' });
    expect(s.clusters().map((c) => c.clusterId)).toEqual(['cluster01', 'cluster02']);

    primary.emit(SECRETS, 'DELETED', remoteSecret('istio-remote-secret-cluster02', {}));
    await until('removed', () => s.clusters().length === 1);
    expect(s.registry().services.find((x) => x.name === 'helloworld')!.endpoints.every((e) => e.cluster === 'cluster01')).toBe(true);
    expect(apis.get('https://c2b')!.openWatches()).toBe(0);
  });

  it('settled() waits for the clusters of the first secret list, even when the local cluster syncs first', async () => {
    const primary = server('https://c1', cluster01());
    server('https://c2', cluster02());
    primary.delay.set(SECRETS, 30);
    primary.objects.set(SECRETS, [remoteSecret('istio-remote-secret-cluster02', { cluster02: kubeconfig('cluster02', 'https://c2') })]);
    const s = fromSecrets();
    await s.settled();
    expect(s.clusters().map((c) => [c.clusterId, c.state])).toEqual([['cluster01', 'synced'], ['cluster02', 'synced']]);
  });

  it('a bad kubeconfig in a secret is an error with a cause, not a cluster, and nothing crashes', async () => {
    const primary = server('https://c1');
    primary.objects.set(SECRETS, [remoteSecret('istio-remote-secret-bad', { bad: 'not: [yaml' })]);
    const s = fromSecrets();
    await s.settled();
    expect(s.clusters().map((c) => c.clusterId)).toEqual(['cluster01']);
    expect(s.secretProblems().errors.map((e) => [e.clusterId, e.code])).toEqual([['bad', 'MF9003']]);
  });

  it('a secret whose client cannot be made shows that cluster in timeout with the error', async () => {
    const primary = server('https://c1');
    primary.objects.set(SECRETS, [remoteSecret('istio-remote-secret-c3', { c3: kubeconfig('c3', 'https://c3') })]);
    const s = supervise({ from: 'secrets', local: { clusterId: 'cluster01', clients: clientsOf('https://c1') }, clientsFor: () => { throw new Error('no client today'); } });
    await s.settled();
    expect(s.clusters()[1]).toMatchObject({ clusterId: 'c3', state: 'timeout', lastError: { code: 'MF9008', cause: 'watchFailed' } });
  });

  it('when the primary is unreachable it settles on timeout, with the cause', async () => {
    const primary = server('https://c1');
    primary.down = true;
    const s = fromSecrets({ syncTimeoutMs: 30 });
    await s.settled();
    expect(s.clusters()).toMatchObject([{ clusterId: 'cluster01', state: 'timeout', lastError: { cause: 'unreachable' } }]);
    expect(s.secretProblems().watchError?.cause).toBe('unreachable');
  });

  it('never shows a token: clusters(), the JSON and text reports, util.inspect', async () => {
    const primary = server('https://c1');
    server('https://c2', cluster02());
    primary.objects.set(SECRETS, [remoteSecret('istio-remote-secret-cluster02', { cluster02: kubeconfig('cluster02', 'https://c2') })]);
    const s = fromSecrets();
    await s.settled();
    const report = discoveryReport(s.clusters(), s.registry(), s.secretProblems(), 'network1');
    for (const text of [JSON.stringify(s.clusters()), JSON.stringify(report), formatDiscovery(report), inspect(s.clusters(), { depth: 9 }), JSON.stringify(s.secretProblems())]) {
      expect(text).not.toContain(SECRET_TOKEN);
      expect(text).not.toContain(Buffer.from(SECRET_TOKEN).toString('base64').slice(0, 20));
    }
    expect(formatDiscovery(report)).toContain('cluster02  synced  secret (istio-system/istio-remote-secret-cluster02)  https://c2');
    expect(report.view?.find((v) => v.hostname.startsWith('helloworld.'))?.ports[0]?.endpoints.map((e) => [e.address, e.via])).toEqual([
      ['10.10.0.5', 'pod'],
      ['172.18.12.1', 'gateway'],
    ]);
  });
});

describe('kubeClientsFromInline', () => {
  it('builds a client for the checked context only: its server, CA and token, nothing else', async () => {
    const checked = checkKubeconfig(kubeconfig('cluster02', 'https://10.0.0.2:6443'));
    if (!checked.ok) throw new Error(checked.problem.message);
    const c = kubeClientsFromInline(checked.client);
    expect([c.context, c.server]).toEqual(['cluster02', 'https://10.0.0.2:6443']);
    expect(c.config.getUsers()).toEqual([{ name: 'cluster02', token: SECRET_TOKEN }]);
    expect(c.config.getClusters()).toEqual([{ name: 'cluster02', server: 'https://10.0.0.2:6443', caData: 'Q0EK', skipTLSVerify: false }]);
    const opts: { headers?: Record<string, string>; ca?: Buffer } = {};
    await c.config.applyToHTTPSOptions(opts);
    expect(opts.headers?.['Authorization']).toBe(`Bearer ${SECRET_TOKEN}`);
    expect(opts.ca?.toString()).toBe('CA\n');
  });
});
