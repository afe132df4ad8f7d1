/**
 * apply on a two-cluster multi-primary multi-network lab when things go wrong: a run killed at
 * several points is completed by the next; an API server that stops mid-apply fails only its
 * own cluster's steps, with a summary; a changed mesh file prunes what left it.
 * Loopback addresses 127.0.4.x belong to this file.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getObject, listObjects } from '../../src/kube/index.js';
import { labUp } from '../../src/lab/index.js';
import { planMesh } from '../../src/plan/index.js';
import { runCli } from '../cli/run.js';
import { applyChild as applyChildOf } from './applyChild.js';
import { startLabMesh, type LabMesh } from './labMesh.js';
import { expectClustersMatchPlan } from './live.js';

const IPS = ['127.0.4.1', '127.0.4.2'];

let t: LabMesh;

const useModel = (model: string, opts: { drop?: string[] } = {}) => t.use(`examples/${model}/mesh.yaml`, opts);

const applyChild = (args: string[], onEvent?: Parameters<typeof applyChildOf>[2]) => applyChildOf(t.meshPath, args, onEvent);

beforeAll(async () => {
  t = await startLabMesh('apply-resume', 'examples/multi-primary-multi-network/mesh.yaml', IPS);
});

afterAll(async () => {
  await t?.down();
});

describe('apply, interrupted and resumed', () => {
  it.each([1, 5, 9])('a run killed after %i finished steps is completed by the next run', async (after) => {
    const destroyed = await runCli('destroy', '-f', t.meshPath);
    expect(destroyed.code, destroyed.stderr).toBe(0);
    const killed = await applyChild([], (e, run, kill) => {
      if (e.type === 'finish' && run.events.filter((x) => x.type === 'finish').length === after) kill();
    });
    expect(killed.signal, 'the first run was killed, not finished').toBe('SIGKILL');
    const finished = killed.events.filter((e) => e.type === 'finish').length;
    expect(finished).toBeGreaterThanOrEqual(after);
    expect(finished).toBeLessThan(planMesh(t.mesh).steps.length);

    const resumed = await runCli('apply', '-f', t.meshPath);
    expect(resumed.code, resumed.stderr).toBe(0);
    await expectClustersMatchPlan(planMesh(t.mesh), t.clients, t.root);
  });
});

describe('apply when one API server stops mid-apply', () => {
  it("fails only that cluster's steps, finishes the others, and names each failure", async () => {
    const destroyed = await runCli('destroy', '-f', t.meshPath);
    expect(destroyed.code, destroyed.stderr).toBe(0);
    const apiserver = t.lab.processes.find((p) => p.component === 'kube-apiserver' && p.cluster === 'cluster02')!;
    let stopped = false;
    const run = await applyChild(['--timeout', '20'], (e) => {
      // As soon as cluster02 has its namespace, its API server goes away.
      if (!stopped && e.type === 'finish' && e.step === 'namespace:cluster02') {
        stopped = true;
        process.kill(apiserver.pid, 'SIGKILL');
      }
    });
    expect(stopped).toBe(true);
    expect(run.code, run.stderr).not.toBe(0);
    expect([2, 69]).toContain(run.code);
    const outcome = new Map(run.events.filter((e) => e.type === 'finish').map((e) => [e.step, e]));
    const plan = planMesh(t.mesh);
    // Everything that needs only cluster01 finished.
    for (const s of plan.steps.filter((x) => x.cluster === 'cluster01' && x.kind !== 'remote-secret' && !x.manual)) expect(outcome.get(s.id)?.status, s.id).toBe('done');
    const failed = [...outcome.values()].filter((e) => e.status === 'failed');
    expect(failed.length).toBeGreaterThan(0);
    for (const f of failed) {
      expect(f.cluster).toBe('cluster02');
      expect(f.cause).toBe('unreachable');
      expect(run.stderr).toMatch(new RegExp(`FAILED ${f.step} in cluster cluster02 \\[MF\\d+, unreachable\\]`));
    }
    expect(run.stderr).toContain('fix:');
    expect(run.stderr).toContain('Everything else finished and stays in place');
    expect(run.stderr).toMatch(/not started \(waiting on a failed step\): .*remote-secret:cluster01:cluster02/);

    // The lab brings the API server back; the next apply completes without losing anything.
    t.lab = await labUp({ mesh: t.mesh, meshPath: t.meshPath });
    const resumed = await runCli('apply', '-f', t.meshPath);
    expect(resumed.code, resumed.stderr).toBe(0);
    await expectClustersMatchPlan(plan, t.clients, t.root);
  });
});

describe('apply of a changed mesh file', () => {
  it('prunes gateways no longer needed and remote secrets of a cluster that left the file', async () => {
    const full = await runCli('apply', '-f', t.meshPath);
    expect(full.code, full.stderr).toBe(0);
    const [c1, c2] = [t.clients.get('cluster01')!, t.clients.get('cluster02')!];
    expect(await getObject(c1, { apiVersion: 'v1', kind: 'Service', name: 'istio-eastwestgateway', namespace: 'istio-system' })).toBeDefined();

    // One flat network: no gateways, no cross-network expose, no network label.
    await useModel('multi-primary');
    const flat = await runCli('apply', '-f', t.meshPath);
    expect(flat.code, flat.stderr).toBe(0);
    expect(flat.stderr).toMatch(/pruned in cluster01: .*Gateway\/cross-network-gateway/);
    expect(flat.stderr).toMatch(/pruned in cluster01: .*Service\/istio-eastwestgateway/);
    await expectClustersMatchPlan(planMesh(t.mesh), t.clients, t.root);

    // cluster02 leaves the mesh: cluster01 stops watching it.
    await useModel('multi-primary', { drop: ['cluster02'] });
    const dry = await runCli('apply', '-f', t.meshPath, '--dry-run');
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stderr).toContain('would prune in cluster01: Secret/istio-remote-secret-cluster02');
    expect(await listObjects(c1, 'v1', 'Secret', { namespace: 'istio-system', labelSelector: 'istio/multiCluster=true' })).toHaveLength(1);
    const smaller = await runCli('apply', '-f', t.meshPath);
    expect(smaller.code, smaller.stderr).toBe(0);
    expect(smaller.stderr).toContain('pruned in cluster01: Secret/istio-remote-secret-cluster02');
    expect(await listObjects(c1, 'v1', 'Secret', { namespace: 'istio-system', labelSelector: 'istio/multiCluster=true' })).toEqual([]);
    // The cluster that left is not touched: what apply made there stays until it is destroyed with its own file.
    expect(await getObject(c2, { apiVersion: 'v1', kind: 'Secret', name: 'istio-remote-secret-cluster01', namespace: 'istio-system' })).toBeDefined();
    await expectClustersMatchPlan(planMesh(t.mesh), new Map([['cluster01', c1]]), t.root);
  });
});
