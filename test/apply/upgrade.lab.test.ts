/**
 * Upgrades on a real lab mesh with the lab data plane: cluster01 and cluster02 multi-primary on
 * one network, each running the real istiod and proxyless gRPC workloads. A canary revision
 * upgrade goes phase by phase (`apply --until`), `meshfed verify` proving traffic before, between
 * the phases and after; each phase (install, move, remove-old) is killed half-way once and
 * completed by the next run, and the remove-old phase, refused in one cluster while a pod uses
 * the old revision, completes once it is gone;
 * an in-place upgrade runs the real `istioctl upgrade`, one cluster at a time, each checked
 * (istiod Ready on the new image, its own /debug/clusterz all synced) before the next, and a
 * cluster whose istiod cannot sync stops the upgrade there with MF8031 (see the last test).
 * The lab builds one Istio version (README, "Upgrades"): the canary is two revisions of it.
 * Loopback addresses 127.0.51.x belong to this file only.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyObject, deleteObject, getObject, listObjects, type KubeObject } from '../../src/kube/index.js';
import type { ClusterChange } from '../../src/plan/index.js';
import type { VerifyReport } from '../../src/verify/index.js';
import { MOVED_ANNOTATION } from '../../src/apply/revisions.js';
import { runCli } from '../cli/run.js';
import { applyChild } from './applyChild.js';
import { startDataplaneLab, type DataplaneLab } from '../lab/dataplaneTools.js';
import { eventually } from '../lab/labTools.js';
import { numberedMeshYaml } from '../lab/numberedMesh.js';

const mesh = (revision?: string) => numberedMeshYaml({ name: 'upgrade', octet: 51, clusters: [{}, {}], ...(revision ? { revision } : {}) });

let l: DataplaneLab;
const CLUSTERS = ['cluster01', 'cluster02'];

beforeAll(async () => {
  l = await startDataplaneLab('upgrade', mesh());
}, 600_000);

afterAll(async () => {
  await l?.down();
});

/** The mesh file with another revision; the lab wrote its API server addresses into it, so edit in place. */
async function setRevision(revision: string | undefined): Promise<void> {
  const text = await readFile(l.meshPath, 'utf8');
  const without = text.replace(/\n {4}revision: .*/, '');
  await writeFile(l.meshPath, revision ? without.replace(/(\n {4}installer: istioctl)/, `$1\n    revision: ${revision}`) : without);
}

async function verify(when: string): Promise<VerifyReport> {
  const r = await runCli('verify', '-f', l.meshPath, '-o', 'json', '--keep', '--requests', '20');
  const out = JSON.parse(r.stdout) as VerifyReport;
  expect(r.code, `verify ${when}: ${r.stderr}\n${JSON.stringify(out.verdict.sources.map((s) => ({ source: s.source, byCluster: s.byCluster, errors: s.errors })))}`).toBe(0);
  for (const s of out.verdict.sources) expect(Object.keys(s.byCluster).sort(), `${when}: ${s.source}`).toEqual(CLUSTERS);
  return out;
}

async function apply(...args: string[]): Promise<string> {
  const r = await runCli('apply', '-f', l.meshPath, ...args);
  expect(r.code, r.stderr).toBe(0);
  return r.stderr;
}

/** `meshfed apply -o json` in-process: the progress events in order, and each step's outcome. */
async function applyJson(...args: string[]): Promise<{ code: number; stderr: string; order: string[]; started: string[]; finished: Map<string, { status: string; detail: string; code?: string }> }> {
  const r = await runCli('apply', '-f', l.meshPath, '-o', 'json', ...args);
  const events = r.stdout.split('\n').filter(Boolean).map((line) => JSON.parse(line) as { type: string; step: string; status: string; detail: string; code?: string });
  return {
    code: r.code,
    stderr: r.stderr,
    order: events.map((e) => `${e.type} ${e.step}`),
    started: events.filter((e) => e.type === 'start').map((e) => e.step),
    finished: new Map(events.filter((e) => e.type === 'finish').map((e) => [e.step, e])),
  };
}

async function planChanges(): Promise<ClusterChange[]> {
  const r = await runCli('plan', '-f', l.meshPath, '-o', 'json');
  expect(r.code, r.stderr).toBe(0);
  return (JSON.parse(r.stdout) as { changes: ClusterChange[] }).changes;
}

const istiods = async (cluster: string) =>
  (await listObjects(l.clients.get(cluster)!, 'apps/v1', 'Deployment', { namespace: 'istio-system', labelSelector: 'app=istiod' }))
    .filter((d) => Number((d['status'] as { readyReplicas?: number } | undefined)?.readyReplicas ?? 0) > 0)
    .map((d) => d.metadata.name)
    .sort();
const podRevisions = async (cluster: string) => (await listObjects(l.clients.get(cluster)!, 'v1', 'Pod', { namespace: 'sample' })).filter((p) => !p.metadata.deletionTimestamp).map((p) => p.metadata.labels?.['istio.io/rev'] ?? '(none)');
const state = async (cluster: string) => ((await getObject(l.clients.get(cluster)!, { apiVersion: 'v1', kind: 'ConfigMap', name: 'meshfed-state', namespace: 'istio-system' }))?.['data'] ?? {}) as Record<string, string>;

/**
 * `meshfed apply -o json` as a process of its own (the built CLI), killed (SIGKILL, with its
 * istioctl) as soon as `when` holds, polled every 50 ms; returns the steps it had finished.
 */
async function applyKilledWhile(args: string[], when: () => Promise<boolean>): Promise<{ finished: string[] }> {
  let kill = () => {};
  const run = applyChild(l.meshPath, args, (_e, _run, k) => (kill = k));
  let ended = false;
  const result = run.then((r) => ((ended = true), r));
  await eventually('the killed apply to be half-way', async () => (ended || (await when()) ? true : undefined), 120_000, 50);
  kill();
  const r = await result;
  expect(r.signal, `killed before it finished: ${r.stderr}`).toBe('SIGKILL');
  return { finished: r.events.filter((e) => e.type === 'finish').map((e) => e.step) };
}

describe('upgrades in the lab', () => {
  it('canary revision upgrade, phase by phase: both revisions run during the move, traffic never fails, the old revision is gone at the end; a killed phase completes on the next run', async () => {
    await verify('before the upgrade');
    for (const c of CLUSTERS) expect(new Set(await podRevisions(c)), c).toEqual(new Set(['default']));
    expect((await state('cluster01'))['istio.revision']).toBe('default');
    expect((await state('cluster01'))['istio.version']).toBe('1.31.0');

    await setRevision('canary');
    const planned = await planChanges();
    expect(planned.map((x) => [x.cluster, x.action, x.oldRevisions, x.to.revision])).toEqual(CLUSTERS.map((c) => [c, 'canary', ['default'], 'canary']));
    const text = await runCli('plan', '-f', l.meshPath);
    expect(text.stdout).toContain('~ cluster01 (primary): canary: revision default (1.31.0) → canary (1.31.0)');

    // Install phase, killed while istioctl installs the new revision in cluster01, then run again.
    await applyKilledWhile(['--until', 'install'], async () => !!(await getObject(l.clients.get('cluster01')!, { apiVersion: 'apps/v1', kind: 'Deployment', name: 'istiod-canary', namespace: 'istio-system' })));
    await apply('--until', 'install');
    for (const c of CLUSTERS) {
      expect(await istiods(c), c).toEqual(['istiod', 'istiod-canary']);
      expect((await state(c))['istio.revisions'], c).toBe('canary,default');
    }
    await verify('after the install phase (both revisions run, workloads still on the old one)');
    for (const c of CLUSTERS) expect(new Set(await podRevisions(c)), c).toEqual(new Set(['default']));

    // Move phase, killed half-way (one step at a time: once cluster01's workloads are marked for
    // their restart, before cluster02's step is done), then run again: the default tag points at
    // canary, the workloads restart onto it.
    const sampleMoved = async (c: string) =>
      (await listObjects(l.clients.get(c)!, 'apps/v1', 'Deployment', { namespace: 'sample' })).some((d) => !!(d['spec'] as { template?: { metadata?: { annotations?: Record<string, string> } } }).template?.metadata?.annotations?.[MOVED_ANNOTATION]);
    const killedMove = await applyKilledWhile(['--until', 'move', '--concurrency', '1'], () => sampleMoved('cluster01'));
    expect(killedMove.finished, 'the killed move had not done cluster02').not.toContain('revision-tags:cluster02:default');
    expect(await sampleMoved('cluster02'), 'cluster02 not moved yet when killed').toBe(false);
    const moved = await apply('--until', 'move');
    expect(moved).toContain('Stopped after phase move');
    for (const c of CLUSTERS) {
      const tag = await getObject(l.clients.get(c)!, { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'MutatingWebhookConfiguration', name: 'istio-revision-tag-default' });
      expect(tag?.metadata.labels?.['istio.io/rev'], c).toBe('canary');
      await eventually(`${c}: sample pods on canary`, async () => ((await podRevisions(c)).every((r) => r === 'canary') ? true : undefined), 120_000);
      expect(await istiods(c), c).toEqual(['istiod', 'istiod-canary']);
    }
    await verify('after the move (workloads on canary, the old revision still installed)');
    // A second run of the same phase changes nothing: no second restart.
    const again = await runCli('apply', '-f', l.meshPath, '--until', 'move');
    expect(again.stderr).toMatch(/revision-tags:cluster01:default.*already on canary|tags and namespaces already on canary/);

    // Remove-old phase, killed half-way: one step at a time, killed while istioctl uninstalls the
    // old revision in cluster01 (its istiod Deployment deleted), before cluster02's step is done.
    const k1 = l.clients.get('cluster01')!;
    const k2 = l.clients.get('cluster02')!;
    const oldIstiodGoing = async (k: typeof k1) => {
      const d = await getObject(k, { apiVersion: 'apps/v1', kind: 'Deployment', name: 'istiod', namespace: 'istio-system' });
      return !d || !!d.metadata.deletionTimestamp;
    };
    const killedRemove = await applyKilledWhile(['--concurrency', '1'], () => oldIstiodGoing(k1));
    expect(killedRemove.finished, 'the killed remove-old had not done cluster02').not.toContain('revision-remove:cluster02:default');
    expect(await oldIstiodGoing(k2), "cluster02's old istiod still there when killed").toBe(false);

    // Then: a pod still labelled with the old revision in cluster02 keeps it there (MF8030,
    // naming the pod) while the run completes cluster01's; once the pod is gone the next run completes.
    await applyObject(k2, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'stray' } });
    await applyObject(k2, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'stray', namespace: 'stray', labels: { 'istio.io/rev': 'default' } }, spec: { containers: [{ name: 'main', image: 'registry.invalid/stray:1' }] } } as KubeObject);
    const refused = await runCli('apply', '-f', l.meshPath, '--timeout', '5');
    expect(refused.code, refused.stderr).toBe(2);
    expect(refused.stderr).toMatch(/FAILED revision-remove:cluster02:default in cluster cluster02 \[MF8030.*revision default is still used by 1 pod: stray\/stray/);
    expect(await istiods('cluster02')).toEqual(['istiod', 'istiod-canary']);
    await eventually('cluster01: only istiod-canary', async () => ((await istiods('cluster01')).join() === 'istiod-canary' ? true : undefined), 60_000);
    expect((await state('cluster01'))['istio.revisions']).toBe('canary');
    await deleteObject(k2, { apiVersion: 'v1', kind: 'Namespace', name: 'stray' });
    await eventually('the stray pod gone', async () => ((await listObjects(k2, 'v1', 'Pod', { namespace: 'stray' })).length === 0 ? true : undefined), 60_000);
    await apply();
    for (const c of CLUSTERS) {
      await eventually(`${c}: only istiod-canary`, async () => ((await istiods(c)).join() === 'istiod-canary' ? true : undefined), 60_000);
      expect((await state(c))['istio.revisions'], c).toBe('canary');
      expect(await getObject(l.clients.get(c)!, { apiVersion: 'apps/v1', kind: 'Deployment', name: 'istiod', namespace: 'istio-system' }), c).toBeUndefined();
    }
    await verify('after the old revision is removed');
    expect((await planChanges()).map((x) => x.action)).toEqual(['unchanged', 'unchanged']);

    // What a kill between istioctl's uninstall and meshfed's record of it leaves (a window too
    // short to hit with a kill): the record names the old revision, nothing of it is left, and
    // istioctl no longer finds it. The next run completes.
    const data2 = await state('cluster02');
    await applyObject(k2, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'meshfed-state', namespace: 'istio-system', labels: { 'app.kubernetes.io/managed-by': 'meshfed' } }, data: { ...data2, 'istio.revisions': 'canary,default' } } as KubeObject);
    expect((await planChanges()).map((x) => x.action)).toEqual(['unchanged', 'canary']);
    expect(await apply()).toMatch(/revision-remove:cluster02:default.*revision default already uninstalled by istioctl/);
    expect((await state('cluster02'))['istio.revisions']).toBe('canary');
    expect((await planChanges()).map((x) => x.action)).toEqual(['unchanged', 'unchanged']);
  }, 600_000);

  it('in place: clusters recorded at an older version are upgraded with the real `istioctl upgrade`, one at a time, each verified before the next; a cluster whose istiod cannot sync fails with MF8031, blocks the next and keeps the old version; the next apply completes; status then says 1.31.0', async () => {
    // The lab builds one Istio version (README): the older version is only what meshfed-state
    // records, so this proves the planning, the command, the check and the record, not a
    // change of binaries.
    const k1 = l.clients.get('cluster01')!;
    for (const c of CLUSTERS) {
      const data = await state(c);
      await applyObject(l.clients.get(c)!, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'meshfed-state', namespace: 'istio-system', labels: { 'app.kubernetes.io/managed-by': 'meshfed' } }, data: { ...data, 'istio.version': '1.30.0' } } as KubeObject);
    }
    const planned = await planChanges();
    expect(planned.map((x) => [x.cluster, x.action, x.from?.version, x.to.version])).toEqual([
      ['cluster01', 'upgrade', '1.30.0', '1.31.0'],
      ['cluster02', 'upgrade', '1.30.0', '1.31.0'],
    ]);

    // A cluster cluster01's istiod watches and cannot sync: a remote secret (not meshfed's, so
    // no prune touches it) for an API server nobody serves. The check after cluster01's upgrade
    // asks its istiod (/debug/clusterz, in its pod) and never sees every cluster synced.
    const ghost = { apiVersion: 'v1', kind: 'Secret', name: 'istio-remote-secret-ghost', namespace: 'istio-system' };
    const ghostKubeconfig = [
      'apiVersion: v1',
      'kind: Config',
      'clusters: [{name: ghost, cluster: {server: "https://127.0.51.250:6443", insecure-skip-tls-verify: true}}]',
      'users: [{name: ghost, user: {token: not-a-token}}]',
      'contexts: [{name: ghost, context: {cluster: ghost, user: ghost}}]',
      'current-context: ghost',
      '',
    ].join('\n');
    await applyObject(k1, { apiVersion: 'v1', kind: 'Secret', metadata: { name: ghost.name, namespace: ghost.namespace, labels: { 'istio/multiCluster': 'true' } }, type: 'Opaque', data: { ghost: Buffer.from(ghostKubeconfig).toString('base64') } } as KubeObject);
    const failed = await applyJson('--timeout', '45');
    expect(failed.code, failed.stderr).toBe(2);
    const f1 = failed.finished.get('istio:cluster01')!;
    expect(f1, failed.stderr).toMatchObject({ status: 'failed', code: 'MF8031' });
    expect(f1.detail).toMatch(/^cluster01: the upgrade to Istio 1\.31\.0 is not verified after 45 s: istiod istiod-canary-\S+: cluster ghost (syncing|timeout) \(seen: /);
    expect(f1.detail).toMatch(/pods istiod-canary-\S+ Ready on 1\.31\.0; \/debug\/clusterz \(pod istiod-canary-\S+\): cluster01 synced, cluster02 synced, ghost (syncing|timeout)\)$/);
    expect(failed.stderr).toMatch(/FAILED istio:cluster01 in cluster cluster01 \[MF8031, unverified\]/);
    expect(failed.stderr).toContain("cluster01's meshfed-state still records Istio 1.30.0");
    // The next cluster never started; the record keeps the old version in both, so the next apply upgrades again.
    expect(failed.finished.get('istio:cluster02')?.status).toBe('blocked');
    expect(failed.started).not.toContain('istio:cluster02');
    for (const c of CLUSTERS) expect((await state(c))['istio.version'], c).toBe('1.30.0');
    expect((await planChanges()).map((x) => x.action)).toEqual(['upgrade', 'upgrade']);

    await deleteObject(k1, ghost);
    const out = await applyJson();
    expect(out.code, out.stderr).toBe(0);
    for (const c of CLUSTERS)
      expect(out.finished.get(`istio:${c}`)?.detail, c).toMatch(
        /^istioctl upgrade -f istio \(1\.30\.0 → 1\.31\.0\) \([0-9a-f]{16}\); verified: istiod-canary 1 updated and 1 ready of 1; pods istiod-canary-\S+ Ready on 1\.31\.0; \/debug\/clusterz \(pod istiod-canary-\S+\): cluster01 synced, cluster02 synced$/,
      );
    // One primary at a time: cluster02's upgrade started after cluster01's had verified.
    expect(out.order.indexOf('start istio:cluster02')).toBeGreaterThan(out.order.indexOf('finish istio:cluster01'));
    for (const c of CLUSTERS) expect((await state(c))['istio.version'], c).toBe('1.31.0');
    const status = await runCli('status', '-f', l.meshPath, '-o', 'json');
    const report = JSON.parse(status.stdout) as { clusters: { cluster: string; istio?: { version?: string; revision: string } }[] };
    expect(report.clusters.map((c) => [c.cluster, c.istio?.version, c.istio?.revision])).toEqual([
      ['cluster01', '1.31.0', 'canary'],
      ['cluster02', '1.31.0', 'canary'],
    ]);
    await verify('after the in-place upgrade');
  }, 400_000);
});
