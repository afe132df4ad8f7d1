// client-node looks up an API version's resources before its first request for a kind; reads
// started together share one lookup (doctor starts some thirty at once per cluster), and a kind
// the cached answer lacks is looked up again, as client-node does (a CRD installed since).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getObject, listObjects } from '../../src/kube/index.js';
import { startFakeApi, type FakeApi } from './fakeApi.js';

let dir: string;
let api: FakeApi;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'meshfed-object-api-'));
  api = await startFakeApi('127.0.0.1', dir);
});

afterAll(async () => {
  await api.tls.close();
  await rm(dir, { recursive: true, force: true });
});

describe("the object API's resource lookups", () => {
  it('reads of one API version started together send one lookup', async () => {
    api.paths.length = 0;
    const k = api.clients();
    const names = ['istiod', 'istio-eastwestgateway', 'a', 'b'];
    await Promise.all([...names.map((name) => getObject(k, { apiVersion: 'apps/v1', kind: 'Deployment', name, namespace: 'istio-system' })), listObjects(k, 'apps/v1', 'Deployment', { namespace: 'istio-system' })]);
    expect(api.paths.filter((p) => p === '/apis/apps/v1')).toHaveLength(1);
    expect(api.paths.filter((p) => p.startsWith('/apis/apps/v1/namespaces/istio-system/deployments'))).toHaveLength(5);
  });

  it('a kind the cached list lacks is looked up again, and reported unknown', async () => {
    api.paths.length = 0;
    const k = api.clients();
    await getObject(k, { apiVersion: 'apps/v1', kind: 'Deployment', name: 'x', namespace: 'default' });
    await expect(getObject(k, { apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'x', namespace: 'default' })).rejects.toThrow(/StatefulSet/);
    expect(api.paths.filter((p) => p === '/apis/apps/v1')).toHaveLength(2);
  });
});
