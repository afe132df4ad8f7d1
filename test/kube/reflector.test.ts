// src/kube's reflector (list, then watch; re-list on 410; back off after errors; a dead or
// dropped connection ends the watch) and its poll-until helper, on a fake API (timing logic).
import { afterEach, describe, expect, it } from 'vitest';
import { Heartbeat, KubeError, pollUntil, reflect, type KubeObject, type ListResult, type WatchEvent } from '../../src/kube/index.js';
import { FakeApi, until } from '../discovery/fakeApi.js';

const PATH = '/api/v1/services';
const svc = (name: string): KubeObject => ({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'default' } });

let stop = new AbortController();
afterEach(() => stop.abort());

function run(api: FakeApi, opts: Parameters<typeof reflect>[4] = {}) {
  stop = new AbortController();
  const seen = { lists: [] as ListResult<KubeObject>[], events: [] as WatchEvent<KubeObject>[], errors: [] as { e: unknown; retryInMs: number }[], sleeps: [] as number[] };
  const done = reflect<KubeObject>(
    api,
    PATH,
    { onList: (l) => void seen.lists.push(l), onEvent: (e) => void seen.events.push(e), onError: (e, retryInMs) => void seen.errors.push({ e, retryInMs }) },
    stop.signal,
    { sleep: async (ms) => void seen.sleeps.push(ms), ...opts },
  );
  return { seen, done };
}

describe('reflect', () => {
  it('lists, then watches from the list version, and opens the watch again when the server ends it', async () => {
    const api = new FakeApi();
    api.objects.set(PATH, [svc('a')]);
    const { seen } = run(api, { watchTimeoutMs: 60_000 });
    await until('watching', () => api.openWatches(PATH) === 1);
    expect(seen.lists.map((l) => l.items.map((o) => o.metadata.name))).toEqual([['a']]);
    expect(api.watchCalls[0]).toMatchObject({ resourceVersion: '1', timeoutSeconds: 60 });
    api.emit(PATH, 'ADDED', svc('b'));
    expect(seen.events.map((e) => `${e.type} ${e.object.metadata.name}`)).toEqual(['ADDED b']);
    api.breakWatches();
    await until('watching again', () => api.watchCalls.length === 2 && api.openWatches(PATH) === 1);
    expect(api.watchCalls[1]!.resourceVersion).toBe('2');
    expect(seen.lists).toHaveLength(1);
    expect(seen.errors).toEqual([]);
  });

  it('re-lists on 410 Gone without reporting an error', async () => {
    const api = new FakeApi();
    const { seen } = run(api);
    await until('watching', () => api.openWatches(PATH) === 1);
    api.breakWatches(new KubeError({ reason: 'conflict', status: 410, message: 'too old', hint: 're-list', cluster: 'fake', resource: PATH }));
    await until('listed again', () => seen.lists.length === 2 && api.openWatches(PATH) === 1);
    expect(seen.errors).toEqual([]);
  });

  it('backs off after errors, doubling up to the maximum, and starts again from a list', async () => {
    const api = new FakeApi();
    api.down = true;
    const { seen } = run(api, { initialBackoffMs: 100, maxBackoffMs: 400 });
    await until('several retries', () => seen.errors.length >= 5);
    expect(seen.errors.slice(0, 5).map((x) => x.retryInMs)).toEqual([100, 200, 400, 400, 400]);
    expect((seen.errors[0]!.e as KubeError).reason).toBe('unreachable');
    api.down = false;
    await until('listed', () => seen.lists.length === 1 && api.openWatches(PATH) === 1);
  });

  it("ends the open watch with the connection's reason when the connection drops", async () => {
    const api = new FakeApi();
    const connection = new AbortController();
    const { seen } = run(api, { connection: () => connection.signal });
    await until('watching', () => api.openWatches(PATH) === 1);
    connection.abort(new Error('the API server hangs'));
    await until('the error', () => seen.errors.length === 1);
    expect((seen.errors[0]!.e as Error).message).toBe('the API server hangs');
  });

  it('takes a watch still open after its timeout plus the grace for a dead connection and watches again', async () => {
    const api = new FakeApi();
    run(api, { watchTimeoutMs: 20, deadWatchGraceMs: 20 });
    await until('watched again', () => api.watchCalls.length >= 2, 3_000);
  });

  it('returns when stopped, even during a list that never answers', async () => {
    const api = new FakeApi();
    api.hang.add(PATH);
    const { done } = run(api);
    await until('listing', () => api.listCalls.length === 1);
    stop.abort();
    await expect(done).resolves.toBeUndefined();
  });
});

describe('Heartbeat', () => {
  it('probes a quiet API server and drops the connection when the probe goes unanswered', async () => {
    const probes: number[] = [];
    const hb = new Heartbeat({ probe: (ms) => (probes.push(ms), new Promise(() => {})), quietMs: 20, probeTimeoutMs: 30, failure: (e) => new Error(`unresponsive: ${(e as Error).message}`) }).start();
    const first = hb.signal;
    await until('dropped', () => first.aborted, 2_000);
    hb.stop();
    expect(probes[0]).toBe(30);
    expect((first.reason as Error).message).toBe('unresponsive: no answer within 30 ms');
    expect(hb.signal.aborted).toBe(false);
  });
});

describe('pollUntil', () => {
  it('returns the first value; times out at the deadline of the clock it is given', async () => {
    let now = 0;
    const slept: number[] = [];
    const opts = { timeoutMs: 1_000, intervalMs: 100, maxIntervalMs: 400, now: () => now, sleep: async (ms: number) => void (slept.push(ms), (now += ms)) };
    let calls = 0;
    expect(await pollUntil(async () => (++calls === 3 ? 'x' : undefined), opts)).toEqual({ value: 'x' });
    slept.length = 0;
    now = 0;
    expect(await pollUntil(async () => undefined, opts)).toEqual({ timedOut: true });
    expect(slept).toEqual([100, 200, 400, 400]);
  });
});
