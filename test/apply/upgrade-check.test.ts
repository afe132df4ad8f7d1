// The check after an in-place upgrade (src/apply/upgradeCheck.ts): the pure judgement of one
// look, the wait on a given clock (MF8031 with what was seen), the order of install, check and
// record, and, through runDag on a live plan, that no cluster's upgrade starts before the one it
// follows has verified, and a failed check blocks the rest. The lab test (upgrade.lab) runs it
// against the real istiod.
import { describe, expect, it } from 'vitest';
import { runDag, type Clock } from '../../src/apply/index.js';
import { ApplyError } from '../../src/apply/errors.js';
import { awaitUpgradeVerified, installVerifyRecord, judgeUpgrade, rolloutOf, type UpgradeLook } from '../../src/apply/upgradeCheck.js';
import type { IstiodPod } from '../../src/kube/index.js';
import { planAgainst, type ObservedCluster, type Plan } from '../../src/plan/index.js';
import { examplePlan } from '../plan/helpers.js';

const pod = (name: string, over: Partial<IstiodPod> = {}): IstiodPod => ({ name, revision: 'default', image: 'docker.io/istio/pilot:1.31.0', version: '1.31.0', running: true, ready: true, terminating: false, ...over });
const synced = (pod: string, ...ids: string[]) => ({ pod, clusters: ids.map((id) => ({ id, secretName: id === 'c1' ? '' : `istio-system/istio-remote-secret-${id}`, syncStatus: 'synced' })) });
const primaryLook = (over: Partial<UpgradeLook> = {}): UpgradeLook => ({
  role: 'primary',
  rollout: { rolledOut: true, what: 'istiod 1 updated and 1 ready of 1' },
  pods: [pod('istiod-a')],
  clusterz: [synced('istiod-a', 'c1', 'c2')],
  expected: ['c1', 'c2'],
  ...over,
});

function fakeClock(): Clock & { slept: number[] } {
  let now = 0;
  const slept: number[] = [];
  return { slept, now: () => now, sleep: async (ms) => void (slept.push(ms), (now += ms)) };
}

describe('judging one look after an upgrade', () => {
  it('a primary passes when rolled out, every pod Ready on the new version, and every cluster synced; it says what it saw', () => {
    const v = judgeUpgrade(primaryLook(), '1.31.0');
    expect(v).toEqual({ ok: true, problems: [], seen: 'istiod 1 updated and 1 ready of 1; pods istiod-a Ready on 1.31.0; /debug/clusterz (pod istiod-a): c1 synced, c2 synced' });
  });

  it('a pod on the old image, a pod not Ready, no pod, a rollout under way: not yet', () => {
    expect(judgeUpgrade(primaryLook({ pods: [pod('istiod-a', { version: '1.30.0', image: 'x/pilot:1.30.0' })] }), '1.31.0').problems).toEqual(['pod istiod-a runs 1.30.0, not 1.31.0']);
    expect(judgeUpgrade(primaryLook({ pods: [pod('istiod-a', { ready: false })] }), '1.31.0').problems).toEqual(['pod istiod-a not Ready']);
    expect(judgeUpgrade(primaryLook({ pods: [], clusterz: [] }), '1.31.0').problems).toEqual(['no istiod pod of the revision']);
    const rolling = judgeUpgrade(primaryLook({ rollout: { rolledOut: false, what: 'istiod 0 updated and 1 ready of 1' }, clusterz: [] }), '1.31.0');
    expect(rolling.ok).toBe(false);
    expect(rolling.problems).toEqual(['not rolled out (istiod 0 updated and 1 ready of 1)']);
    // An old replica on its way out does not count.
    expect(judgeUpgrade(primaryLook({ pods: [pod('istiod-a'), pod('istiod-old', { version: '1.30.0', terminating: true })] }), '1.31.0').ok).toBe(true);
  });

  it('a primary fails on any cluster its istiod does not list as synced, expected or not, and on an istiod it could not ask', () => {
    const ghost = { pod: 'istiod-a', clusters: [...synced('istiod-a', 'c1', 'c2').clusters, { id: 'ghost', secretName: 'istio-system/x', syncStatus: 'timeout' }] };
    expect(judgeUpgrade(primaryLook({ clusterz: [ghost] }), '1.31.0').problems).toEqual(['istiod istiod-a: cluster ghost timeout']);
    expect(judgeUpgrade(primaryLook({ clusterz: [synced('istiod-a', 'c1')] }), '1.31.0').problems).toEqual(['istiod istiod-a does not list cluster c2']);
    const syncing = { pod: 'istiod-a', clusters: [{ id: 'c1', secretName: '', syncStatus: 'synced' }, { id: 'c2', secretName: 's', syncStatus: 'syncing' }] };
    expect(judgeUpgrade(primaryLook({ clusterz: [syncing] }), '1.31.0').problems).toEqual(['istiod istiod-a: cluster c2 syncing']);
    const asked = judgeUpgrade(primaryLook({ clusterz: [{ pod: 'istiod-a', why: 'exec refused' }] }), '1.31.0');
    expect(asked.problems).toEqual(['exec refused']);
    expect(asked.seen).toContain('/debug/clusterz (pod istiod-a): exec refused');
  });

  it('a remote passes when its primary lists it as synced; the primary\'s other members are its own check', () => {
    const remote = (status: string): UpgradeLook => ({ role: 'remote', pods: [], clusterz: [{ pod: 'istiod-p', clusters: [{ id: 'p', secretName: '', syncStatus: 'synced' }, { id: 'r', secretName: 's', syncStatus: status }, { id: 'other', secretName: 's', syncStatus: 'timeout' }] }], expected: ['r'] });
    expect(judgeUpgrade(remote('synced'), '1.31.0').ok).toBe(true);
    expect(judgeUpgrade(remote('timeout'), '1.31.0').problems).toEqual(['istiod istiod-p: cluster r timeout']);
    expect(judgeUpgrade({ ...remote('synced'), clusterz: [{ pod: 'istiod-p', clusters: [] }] }, '1.31.0').problems).toEqual(['istiod istiod-p does not list cluster r']);
  });

  it('rollout as kubectl rollout status judges it', () => {
    const d = (status: Record<string, number>, generation = 2) => ({ metadata: { generation }, spec: { replicas: 2 }, status });
    expect(rolloutOf(d({ observedGeneration: 2, updatedReplicas: 2, readyReplicas: 2, replicas: 2 }), 'istiod').rolledOut).toBe(true);
    expect(rolloutOf(d({ observedGeneration: 1, updatedReplicas: 2, readyReplicas: 2, replicas: 2 }), 'istiod').rolledOut).toBe(false);
    expect(rolloutOf(d({ observedGeneration: 2, updatedReplicas: 2, readyReplicas: 2, replicas: 3 }), 'istiod').rolledOut).toBe(false);
    expect(rolloutOf(undefined, 'istiod-canary')).toEqual({ rolledOut: false, what: 'no Deployment istiod-canary' });
  });
});

describe('waiting for the check', () => {
  it('passes at the first look that passes, polling each second then every 2 s', async () => {
    const clock = fakeClock();
    const looks = [primaryLook({ pods: [pod('istiod-a', { ready: false })] }), primaryLook({ clusterz: [synced('istiod-a', 'c1')] }), primaryLook()];
    const seen = await awaitUpgradeVerified({ clock, timeoutMs: 60_000, cluster: 'c1', version: '1.31.0', hint: 'h', look: async () => looks.shift()! });
    expect(seen).toContain('c1 synced, c2 synced');
    expect(clock.slept).toEqual([1000, 2000]);
  });

  it('past the timeout: MF8031 naming the cluster, why, and what the last look saw', async () => {
    const clock = fakeClock();
    const ghost = { pod: 'istiod-a', clusters: [...synced('istiod-a', 'c1', 'c2').clusters, { id: 'ghost', secretName: 'istio-system/x', syncStatus: 'timeout' }] };
    const err = await awaitUpgradeVerified({ clock, timeoutMs: 30_000, cluster: 'c1', version: '1.31.0', hint: 'the hint', look: async () => primaryLook({ clusterz: [ghost] }) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApplyError);
    expect(err).toMatchObject({ code: 'MF8031', cluster: 'c1', hint: 'the hint', category: 'failed' });
    expect((err as Error).message).toBe(
      'c1: the upgrade to Istio 1.31.0 is not verified after 30 s: istiod istiod-a: cluster ghost timeout (seen: istiod 1 updated and 1 ready of 1; pods istiod-a Ready on 1.31.0; /debug/clusterz (pod istiod-a): c1 synced, c2 synced, ghost timeout)',
    );
    expect(clock.now()).toBeGreaterThanOrEqual(30_000);
    expect(clock.now()).toBeLessThanOrEqual(32_000);
  });

  it('an error of a look (the API server gone) ends the wait with its own error', async () => {
    const err = await awaitUpgradeVerified({ clock: fakeClock(), timeoutMs: 30_000, cluster: 'c1', version: '1.31.0', hint: 'h', look: async () => { throw new Error('unreachable'); } }).catch((e: unknown) => e);
    expect((err as Error).message).toBe('unreachable');
  });
});

describe('install, check, record', () => {
  it('records only after the check passed; a failed check leaves the record (the old version) alone', async () => {
    const order: string[] = [];
    const ok = await installVerifyRecord({ install: async () => (order.push('install'), 'istioctl upgrade'), verify: async () => (order.push('verify'), 'seen'), record: async () => void order.push('record') });
    expect(ok).toEqual({ installed: 'istioctl upgrade', verified: 'seen' });
    expect(order).toEqual(['install', 'verify', 'record']);

    order.length = 0;
    const unverified = new ApplyError({ code: 'MF8031', message: 'c1: not verified', hint: 'h', cluster: 'c1' });
    const failed = await installVerifyRecord({ install: async () => (order.push('install'), 'x'), verify: async () => { order.push('verify'); throw unverified; }, record: async () => void order.push('record') }).catch((e: unknown) => e);
    expect(failed).toBe(unverified);
    expect(order).toEqual(['install', 'verify']);

    // A fresh install (no upgrade) has no check.
    order.length = 0;
    expect(await installVerifyRecord({ install: async () => (order.push('install'), 'x'), record: async () => void order.push('record') })).toEqual({ installed: 'x' });
    expect(order).toEqual(['install', 'record']);
  });
});

/** Every cluster as meshfed left it at `version` (revision default). */
function at(plan: Plan, version: string): Record<string, ObservedCluster> {
  return Object.fromEntries(
    plan.clusters.map((c) => [
      c.name,
      {
        reachable: true,
        istiods: c.role === 'primary' ? [{ revision: 'default', version, readyReplicas: 1 }] : [],
        recorded: { mesh: plan.mesh.name, version, revision: 'default', installer: 'istioctl', revisions: ['default'] },
        steps: Object.fromEntries(plan.steps.filter((s) => s.cluster === c.name && !s.manual).map((s) => [s.id, 'applied' as const])),
        podsByRevision: {},
      },
    ]),
  );
}

describe('the order of an in-place upgrade, as apply runs it', () => {
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  it('each cluster starts only after the cluster it follows has verified: primaries one at a time, remotes after their primary', async () => {
    const mix = await examplePlan('mix');
    const plan = planAgainst({ ...mix, mesh: { ...mix.mesh, istio: { ...mix.mesh.istio, version: '1.99.0' } } }, at(mix, '1.30.0')).plan;
    const events: string[] = [];
    await runDag(plan.steps, {
      concurrency: 6,
      run: async (s) => {
        if (s.kind !== 'istio') return { changed: false, detail: '' };
        events.push(`start ${s.cluster}`);
        await sleep(5); // the upgrade
        await sleep(10); // its check
        events.push(`verified ${s.cluster}`);
        return { changed: true, detail: 'verified' };
      },
    });
    const i = (e: string) => events.indexOf(e);
    const primaries = plan.clusters.filter((c) => c.role === 'primary').map((c) => c.name);
    expect(primaries).toEqual(['east-1', 'west-1']);
    expect(i('start west-1')).toBeGreaterThan(i('verified east-1'));
    for (const r of plan.clusters.filter((c) => c.role === 'remote')) expect(i(`start ${r.name}`), r.name).toBeGreaterThan(i(`verified ${r.primary}`));
  });

  it("a cluster that does not verify stops there: the clusters after it and its own later steps are blocked, the others finish", async () => {
    const mix = await examplePlan('mix');
    const plan = planAgainst({ ...mix, mesh: { ...mix.mesh, istio: { ...mix.mesh.istio, version: '1.99.0' } } }, at(mix, '1.30.0')).plan;
    const out = await runDag(plan.steps, {
      concurrency: 6,
      run: async (s) => {
        if (s.id === 'istio:east-1') throw new ApplyError({ code: 'MF8031', message: 'east-1: the upgrade to Istio 1.99.0 is not verified', hint: 'h', cluster: 'east-1' });
        return { changed: false, detail: '' };
      },
    });
    expect(out.get('istio:east-1')).toMatchObject({ status: 'failed', code: 'MF8031' });
    for (const id of ['istio:west-1', 'istio:east-2', 'istio:edge-2', 'istio:west-2', 'istio:edge-1']) expect(out.get(id)?.status, id).toBe('blocked');
    expect(out.get('remote-secret:east-1:west-1')?.status).toBe('blocked');
    // Steps that need no upgraded control plane still run.
    expect(out.get('cacerts:west-1')?.status).toBe('done');
    expect(out.get('remote-reader:east-2')?.status).toBe('done');
  });
});
