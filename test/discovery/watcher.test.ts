import { afterEach, describe, expect, it } from 'vitest';
import { ClusterWatcher, WATCHED_RESOURCES, buildRegistry, type ClusterWatcherOptions } from '../../src/discovery/index.js';
import { KubeError } from '../../src/kube/index.js';
import { FakeApi, until } from './fakeApi.js';
import { cluster01 } from './fixtures.js';
import { pod, endpointSlice } from './helpers.js';

const P = WATCHED_RESOURCES;
const watchers: ClusterWatcher[] = [];
afterEach(async () => {
  await Promise.all(watchers.splice(0).map((w) => w.stop()));
});

function seeded(): FakeApi {
  const api = new FakeApi('cluster01');
  const s = cluster01();
  api.objects.set(P.services, [...s.services]);
  api.objects.set(P.endpointSlices, [...s.endpointSlices]);
  api.objects.set(P.pods, [...s.pods]);
  api.objects.set(P.namespaces, [...s.namespaces]);
  return api;
}

const sleeps: number[] = [];
function watch(api: FakeApi, opts: Partial<ClusterWatcherOptions> = {}): ClusterWatcher {
  sleeps.length = 0;
  const w = new ClusterWatcher({
    clusterId: 'cluster01',
    source: api,
    debounceMs: 0,
    // Records the backoff and waits a moment, so a failing loop does not spin.
    sleep: (ms) => (sleeps.push(ms), new Promise((r) => setTimeout(r, 1))),
    ...opts,
  }).start();
  watchers.push(w);
  return w;
}

describe('ClusterWatcher', () => {
  it('is syncing until every resource listed once, then synced with the objects of the four paths', async () => {
    const api = seeded();
    api.hang.add(P.pods);
    const w = watch(api);
    await until('four lists', () => api.listCalls.length === 4);
    await new Promise((r) => setTimeout(r, 5));
    expect(w.state).toBe('syncing');
    // A fresh watcher against the same API, now answering every list.
    api.hang.delete(P.pods);
    const w2 = watch(api);
    await w2.settled();
    expect(w2.status()).toEqual({ clusterId: 'cluster01', state: 'synced' });
    const reg = buildRegistry([w2.snapshot()]);
    expect(reg.services.find((s) => s.name === 'helloworld')?.endpoints.map((e) => [e.address, e.ready, e.network])).toEqual([
      ['10.10.0.5', true, 'network1'],
      ['10.10.0.6', false, 'network1'],
    ]);
  });

  it('applies watch events (added, modified, deleted) and calls onChange', async () => {
    const api = seeded();
    let changes = 0;
    const w = watch(api, { onChange: () => changes++ });
    await w.settled();
    await until('watches open', () => api.openWatches() === 4);
    const before = changes;
    const first = w.snapshot();
    const p = { name: 'helloworld-v1-c', ip: '10.10.0.9' };
    api.emit(P.pods, 'ADDED', pod('sample', p));
    // Only the pods are new: the live registry reuses what it derived from the rest.
    const second = w.snapshot();
    expect(second.pods).not.toBe(first.pods);
    expect(second.services).toBe(first.services);
    expect(second.endpointSlices).toBe(first.endpointSlices);
    expect(second.namespaces).toBe(first.namespaces);
    api.emit(P.endpointSlices, 'MODIFIED', endpointSlice('helloworld', 'sample', [{ name: 'helloworld-v1-a', ip: '10.10.0.5' }, p]));
    expect(changes).toBeGreaterThan(before);
    let hw = buildRegistry([w.snapshot()]).services.find((s) => s.name === 'helloworld')!;
    expect(hw.endpoints.map((e) => e.address)).toEqual(['10.10.0.5', '10.10.0.9']);
    api.emit(P.services, 'DELETED', cluster01().services[0]!);
    hw = buildRegistry([w.snapshot()]).services.find((s) => s.name === 'helloworld')!;
    expect(hw).toBeUndefined();
  });

  it('after an error: syncing with lastError from the KubeError, backoff doubling up to the cap, re-list, synced again', async () => {
    const api = seeded();
    const w = watch(api, { initialBackoffMs: 100, maxBackoffMs: 800, syncTimeoutMs: 60_000 });
    await w.settled();
    await until('watches open', () => api.openWatches() === 4);
    api.goDown();
    await until('syncing', () => w.state === 'syncing');
    expect(w.status().lastError).toMatchObject({ code: 'MF7001', cause: 'unreachable' });
    expect(w.status().lastError?.hint).toBeTruthy();
    await until('several retries', () => sleeps.filter((s) => s === 800).length >= 8);
    // Per resource: 100, 200, 400, 800, 800, ...
    expect(new Set(sleeps)).toEqual(new Set([100, 200, 400, 800]));
    const lists = api.listed;
    api.down = false;
    await until('synced again', () => w.state === 'synced');
    // Each resource re-listed before it counted as synced again.
    expect(api.listed).toBe(lists + 4);
    expect(w.status().lastError).toBeUndefined();
  });

  it('turns timeout when not synced before the deadline, keeping the error that explains it; recovers later', async () => {
    const api = seeded();
    api.down = true;
    const w = watch(api, { syncTimeoutMs: 30 });
    await w.settled();
    expect(w.state).toBe('timeout');
    expect(w.status().lastError).toMatchObject({ cause: 'unreachable', code: 'MF7001' });
    api.down = false;
    await until('synced', () => w.state === 'synced');
  });

  it('timeout without an error (a list that never answers) carries MF9006', async () => {
    const api = seeded();
    api.hang.add(P.endpointSlices);
    const w = watch(api, { syncTimeoutMs: 20 });
    await w.settled();
    expect(w.status()).toMatchObject({ state: 'timeout', lastError: { code: 'MF9006', cause: 'syncTimeout' } });
  });

  it('a 410 (version too old) re-lists without losing sync or recording an error', async () => {
    const api = seeded();
    const w = watch(api);
    await w.settled();
    await until('watches open', () => api.openWatches() === 4);
    const lists = api.listCalls.length;
    api.breakWatches(new KubeError({ reason: 'conflict', status: 410, message: 'too old resource version', hint: 're-list', cluster: 'cluster01', resource: P.pods }), P.pods);
    await until('re-listed', () => api.listCalls.length === lists + 1);
    expect(api.listCalls.at(-1)).toBe(P.pods);
    expect(w.status()).toEqual({ clusterId: 'cluster01', state: 'synced' });
  });

  it('a watch the server ends normally is resumed without a re-list', async () => {
    const api = seeded();
    const w = watch(api);
    await w.settled();
    await until('watches open', () => api.openWatches() === 4);
    const lists = api.listCalls.length;
    api.breakWatches();
    await until('watches reopened', () => api.openWatches() === 4);
    expect(api.listCalls.length).toBe(lists);
  });

  it('stop() closes it: state closed, watches ended, no more calls', async () => {
    const api = seeded();
    const w = watch(api);
    await w.settled();
    await until('watches open', () => api.openWatches() === 4);
    await w.stop();
    expect(w.state).toBe('closed');
    expect(api.openWatches()).toBe(0);
    const lists = api.listCalls.length;
    await new Promise((r) => setTimeout(r, 10));
    expect(api.listCalls.length).toBe(lists);
  });

  describe('heartbeat', () => {
    it('a hung API server (watches open but silent, probes unanswered): watches dropped, lastError unresponsive, then timeout; synced again when it answers', async () => {
      const api = seeded();
      const w = watch(api, { heartbeatMs: 40, probeTimeoutMs: 40, syncTimeoutMs: 300 });
      await w.settled();
      await until('watches open', () => api.openWatches() === 4);
      api.stall();
      await until('watches dropped', () => api.openWatches() === 0, 1_000);
      expect(w.state).toBe('syncing');
      await until('timeout', () => w.state === 'timeout', 1_000);
      expect(w.status().lastError).toMatchObject({ code: 'MF9009', cause: 'unresponsive' });
      expect(w.status().lastError?.message).toContain('did not answer a probe of /readyz (no answer within 40 ms)');
      // What the informers held stays in the registry meanwhile.
      expect(w.snapshot().pods).toHaveLength(2);

      api.resume();
      await until('synced again', () => w.state === 'synced', 1_000);
      expect(w.status()).toEqual({ clusterId: 'cluster01', state: 'synced' });
      await until('watches reopened', () => api.openWatches() === 4);
    });

    it('a quiet cluster that answers its probes keeps its watches: nothing re-listed', async () => {
      const api = seeded();
      const w = watch(api, { heartbeatMs: 20, probeTimeoutMs: 20 });
      await w.settled();
      await until('watches open', () => api.openWatches() === 4);
      const lists = api.listCalls.length;
      const watches = api.watchCalls.length;
      await until('probed a few times', () => api.probes >= 3, 1_000);
      expect(api.listCalls.length).toBe(lists);
      expect(api.watchCalls.length).toBe(watches);
      expect(w.status()).toEqual({ clusterId: 'cluster01', state: 'synced' });
    });

    it('events keep it from probing at all', async () => {
      const api = seeded();
      const w = watch(api, { heartbeatMs: 60, probeTimeoutMs: 60 });
      await w.settled();
      for (let i = 0; i < 12; i++) {
        api.emit(P.pods, 'MODIFIED', pod('sample', { name: 'helloworld-v1-a', ip: '10.10.0.5', labels: { n: String(i) } }));
        await new Promise((r) => setTimeout(r, 15));
      }
      expect(api.probes).toBe(0);
    });

    it('asks the server to end each watch (timeoutSeconds) and opens it again from its version when it outlives that: a dead connection', async () => {
      const api = seeded();
      const w = watch(api, { watchTimeoutMs: 40, probeTimeoutMs: 30, heartbeatMs: 60_000 });
      await w.settled();
      await until('watches open', () => api.openWatches() === 4);
      const lists = api.listCalls.length;
      const first = api.watchCalls.length;
      expect(api.watchCalls.every((c) => c.timeoutSeconds === 1)).toBe(true);
      api.emit(P.pods, 'ADDED', pod('sample', { name: 'helloworld-v1-c', ip: '10.10.0.9' }));
      await until('watches opened again', () => api.watchCalls.length >= first + 4, 1_000);
      expect(api.listCalls.length).toBe(lists);
      // The pods watch resumes from the version of the event it saw, not from the list's.
      const pods = api.watchCalls.filter((c) => c.path === P.pods);
      expect(Number(pods.at(-1)!.resourceVersion)).toBeGreaterThan(Number(pods[0]!.resourceVersion));
      expect(w.state).toBe('synced');
    });

    it('by default asks for 5 to 10 minutes, as client-go does', async () => {
      const api = seeded();
      const w = watch(api);
      await w.settled();
      await until('watches open', () => api.openWatches() === 4);
      for (const c of api.watchCalls) {
        expect(c.timeoutSeconds).toBeGreaterThanOrEqual(300);
        expect(c.timeoutSeconds).toBeLessThanOrEqual(600);
      }
    });
  });
});
