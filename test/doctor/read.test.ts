// How doctor reads (against a loopback API server standing for empty clusters, which records
// what it is asked): each object of a cluster is read once and each API version looked up once;
// istioctl analyze runs once for the mesh, in a primary's context with every other cluster
// that answered as a remote context, and its messages land on the cluster each names.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analysisByCluster, analyzeRun, readCluster, readMesh, type AnalyzeRun } from '../../src/doctor/index.js';
import type { KubeClients } from '../../src/kube/index.js';
import { planMesh, type Plan } from '../../src/plan/index.js';
import { validateMeshFile } from '../../src/topology/index.js';
import { startFakeApi, type FakeApi } from '../kube/fakeApi.js';

let dir: string;
let api: FakeApi;
let mix: Plan;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'meshfed-doctor-read-'));
  api = await startFakeApi('127.0.0.1', dir);
  const v = await validateMeshFile('examples/mix/mesh.yaml');
  mix = planMesh(v.mesh!);
});

afterAll(async () => {
  await api.tls.close();
  await rm(dir, { recursive: true, force: true });
});

const repeated = (paths: string[]) => [...new Set(paths.filter((p, i) => paths.indexOf(p) !== i))];

describe('readCluster', () => {
  it.each(['east-1', 'east-2'])('%s: no request sent twice (objects the plan owns and the sections read are read once; one lookup per API version)', async (name) => {
    api.paths.length = 0;
    const c = mix.clusters.find((x) => x.name === name)!;
    const live = await readCluster(mix, c, api.clients(c.context));
    expect(live.unreachable).toBeUndefined();
    expect(api.paths.length).toBeGreaterThan(10);
    expect(repeated(api.paths)).toEqual([]);
  });
});

describe('istioctl analyze over the mesh', () => {
  it('one run, in the first primary that answered, with every other cluster that answered as a remote context; a cluster without a client is left out', async () => {
    const runs: AnalyzeRun[] = [];
    const clients = new Map<string, KubeClients | Error>(mix.clusters.map((c) => [c.name, c.name === 'edge-1' ? new Error('no context edge-1') : api.clients(c.context)]));
    const west1 = mix.clusters.find((c) => c.name === 'west-1')!;
    const reading = await readMesh({
      plan: mix,
      clients,
      probeTimeoutMs: 5_000,
      syncView: false,
      probeSecrets: false,
      analyze: async (run) => {
        runs.push(run);
        return { messages: [{ code: 'IST0101', level: 'Error', origin: 'VirtualService default/a', message: 'x', cluster: 'default' }, { code: 'IST0147', level: 'Error', origin: 'Pod istio-system/gw', message: 'y', cluster: west1.context }] };
      },
    });
    expect(runs.map((r) => [r.context.name, r.remotes.map((c) => c.name)])).toEqual([['east-1', ['east-2', 'west-1', 'west-2', 'edge-2']]]);
    expect([...reading.analysis.keys()].sort()).toEqual(['east-1', 'east-2', 'edge-2', 'west-1', 'west-2']);
    expect(reading.analysis.get('east-1')).toEqual({ messages: [{ code: 'IST0101', level: 'Error', origin: 'VirtualService default/a', message: 'x' }] });
    expect(reading.analysis.get('west-1')).toEqual({ messages: [{ code: 'IST0147', level: 'Error', origin: 'Pod istio-system/gw', message: 'y' }] });
    expect(reading.analysis.get('west-2')).toEqual({ messages: [] });
  });

  it('the run: a primary first even when a remote comes first; without a primary, the first cluster', () => {
    const [e1, e2, w1] = ['east-1', 'east-2', 'west-1'].map((n) => mix.clusters.find((c) => c.name === n)!);
    expect(analyzeRun([e2!, w1!, e1!])).toEqual({ context: w1, remotes: [e2, e1] });
    expect(analyzeRun([e2!])).toEqual({ context: e2, remotes: [] });
    expect(analyzeRun([])).toBeUndefined();
  });

  it('messages by cluster: a name the run was not given stays with the context, named; a failed run failed for every cluster', () => {
    const [e1, e2] = ['east-1', 'east-2'].map((n) => mix.clusters.find((c) => c.name === n)!);
    const run = { context: e1!, remotes: [e2!] };
    const odd = { code: 'IST0170', level: 'Warning' as const, origin: 'Service a/b', message: 'z', cluster: 'elsewhere' };
    expect(analysisByCluster(run, { messages: [odd] })).toEqual(new Map([['east-1', { messages: [odd] }], ['east-2', { messages: [] }]]));
    expect(analysisByCluster(run, { error: 'killed after 60 s' })).toEqual(new Map([['east-1', { error: 'killed after 60 s' }], ['east-2', { error: 'killed after 60 s' }]]));
  });
});
