/**
 * The pure parts of adding and removing clusters: the member record in the primaries, what a
 * plan adds and removes against it, the record apply leaves, the former mesh a removed cluster
 * is destroyed from, and what apply says about it.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeMembers, destroySteps, encodeMembers, formerClusters, memberChanges, memberDiff, mergeMembers, nextMembers, type MemberRecord, type MembersOutcome } from '../../src/apply/index.js';
import { describeMembers } from '../../src/cli/commands/apply.js';
import { planMesh, summarizeChanges, type Plan } from '../../src/plan/index.js';
import { validateMeshText, type MeshFile } from '../../src/topology/index.js';

const mesh = (name: string): MeshFile => validateMeshText(readFileSync(`examples/${name}/mesh.yaml`, 'utf8'), name).mesh!;
const plan = (name: string) => planMesh(mesh(name));

/** examples/multi-primary with a third primary on the same network. */
function threePrimaries(): MeshFile {
  const m = mesh('multi-primary');
  const third = { ...m.spec.clusters[1]!, name: 'cluster03', context: 'kind-cluster03', apiServer: 'https://172.18.0.4:6443', podCIDRs: ['10.30.0.0/16'], serviceCIDRs: ['10.31.0.0/16'], loadBalancerPool: '172.18.13.0/24' };
  return { ...m, spec: { ...m.spec, clusters: [...m.spec.clusters, third] } };
}

const recordOf = (p: Plan, left: string[] = []): MemberRecord => new Map(p.clusters.map((c) => [c.name, { spec: c.spec, ...(left.includes(c.name) ? { left: true } : {}) }]));

describe('the member record', () => {
  it('round-trips through the ConfigMap data, one key per cluster, sorted', () => {
    const three = planMesh(threePrimaries());
    const record = recordOf(three, ['cluster03']);
    const data = encodeMembers(record);
    expect(Object.keys(data)).toEqual(['cluster.cluster01', 'cluster.cluster02', 'cluster.cluster03']);
    const back = decodeMembers(data);
    expect(back.unreadable).toEqual([]);
    expect(back.record).toEqual(record);
    expect(back.record.get('cluster03')?.left).toBe(true);
    expect(back.record.get('cluster01')?.left).toBeUndefined();
  });

  it('names entries it cannot read instead of guessing, and ignores keys that are not entries', () => {
    const good = encodeMembers(recordOf(plan('multi-primary')));
    const { record, unreadable } = decodeMembers({ ...good, 'cluster.broken': '{not json', 'cluster.other': JSON.stringify({ spec: { name: 'someone-else' } }), note: 'hello' });
    expect([...record.keys()].sort()).toEqual(['cluster01', 'cluster02']);
    expect(unreadable).toEqual(['broken', 'other']);
  });

  it('merges the primaries\' records: any cluster one names, and "left" from a primary that is ahead', () => {
    const p = planMesh(threePrimaries());
    const behind = recordOf(p);
    const ahead = recordOf(p, ['cluster03']);
    expect(mergeMembers([ahead, behind]).get('cluster03')?.left).toBe(true);
    expect(mergeMembers([behind, ahead]).get('cluster03')?.left).toBe(true);
    const onlyTwo = recordOf(plan('multi-primary'));
    expect([...mergeMembers([onlyTwo, behind]).keys()].sort()).toEqual(['cluster01', 'cluster02', 'cluster03']);
  });
});

describe('member changes', () => {
  const two = plan('multi-primary');
  const three = planMesh(threePrimaries());

  it('a mesh applied for the first time (no record) adds and removes nothing', () => {
    expect(memberChanges(three, new Map())).toEqual({ added: [], removed: [] });
  });

  it('the same clusters: nothing', () => {
    expect(memberChanges(two, recordOf(two))).toEqual({ added: [], removed: [] });
  });

  it('a cluster in the file and not in the record is added', () => {
    expect(memberChanges(three, recordOf(two))).toEqual({ added: ['cluster03'], removed: [] });
  });

  it('a cluster in the record and not in the file is removed, with its recorded entry', () => {
    const c = memberChanges(two, recordOf(three));
    expect(c.added).toEqual([]);
    expect(c.removed).toEqual([{ name: 'cluster03', spec: three.clusters[2]!.spec }]);
  });

  it('a cluster that left and came back is a member again, not removed', () => {
    expect(memberChanges(three, recordOf(three, ['cluster03']))).toEqual({ added: [], removed: [] });
    expect(nextMembers(three, { added: [], removed: [] }, new Set()).get('cluster03')).toEqual({ spec: three.clusters[2]!.spec });
  });

  it('the record apply leaves keeps a removed cluster, marked left, until it is destroyed', () => {
    const changes = memberChanges(two, recordOf(three));
    const kept = nextMembers(two, changes, new Set());
    expect([...kept.keys()].sort()).toEqual(['cluster01', 'cluster02', 'cluster03']);
    expect(kept.get('cluster03')).toEqual({ spec: three.clusters[2]!.spec, left: true });
    expect(kept.get('cluster01')?.left).toBeUndefined();
    // The next apply (still without the cluster) finds it removed again.
    expect(memberChanges(two, kept).removed.map((r) => r.name)).toEqual(['cluster03']);
    const after = nextMembers(two, changes, new Set(['cluster03']));
    expect([...after.keys()].sort()).toEqual(['cluster01', 'cluster02']);
    expect(memberChanges(two, after)).toEqual({ added: [], removed: [] });
  });
});

describe('destroying a removed cluster', () => {
  const two = plan('multi-primary');
  const three = planMesh(threePrimaries());

  it('plans the former mesh from the file and the record, and undoes only the removed cluster\'s steps', () => {
    const changes = memberChanges(two, recordOf(three));
    const former = planMesh({ ...mesh('multi-primary'), spec: { ...mesh('multi-primary').spec, clusters: formerClusters(two, changes.removed) } });
    expect(former.steps.map((s) => s.id)).toEqual(three.steps.map((s) => s.id));
    const undo = destroySteps(former, ['cluster03']);
    expect(undo.map((s) => s.id).sort()).toEqual(three.steps.filter((s) => s.cluster === 'cluster03').map((s) => s.id).sort());
    // Its remote secrets in the remaining primaries are not among them: prune removes those.
    expect(undo.some((s) => s.kind === 'remote-secret' && s.watched === 'cluster03')).toBe(false);
    const ids = new Set(undo.map((s) => s.id));
    for (const s of undo) for (const n of s.needs) expect(ids.has(n), `${s.id} waits for ${n}`).toBe(true);
    // Reverse order within the cluster: its install goes only after its remote secrets for the others.
    expect(undo.find((s) => s.id === 'istio:cluster03')!.needs).toEqual(expect.arrayContaining(['remote-secret:cluster03:cluster01', 'remote-secret:cluster03:cluster02']));
    expect(undo.find((s) => s.id === 'namespace:cluster03')!.needs).toContain('istio:cluster03');
  });
});

describe('what apply says about members', () => {
  const two = plan('multi-primary');
  const three = planMesh(threePrimaries());
  const members = (m: Partial<MembersOutcome>): MembersOutcome => ({ added: [], removed: [], destroyed: [], unreadable: [], recordedIn: [], recordErrors: [], ...m });
  const removed = [{ name: 'cluster03', spec: three.clusters[2]!.spec }];

  it('names a cluster that joins, with its own steps and the primaries that hold its remote secret', () => {
    const r = describeMembers(three, { dryRun: false, members: members({ added: ['cluster03'] }) }, { file: 'mesh.yaml' });
    const own = three.steps.filter((s) => s.cluster === 'cluster03').length;
    expect(r.text).toBe(`  cluster03 joins the mesh: ${own} steps of its own, and its remote secret in cluster01, cluster02\n`);
    expect(r.exit).toBe(0);
  });

  it('without --destroy-removed: says the removed cluster still runs Istio and how to uninstall it', () => {
    const r = describeMembers(two, { dryRun: false, members: members({ removed }) }, { file: 'mesh.yaml' });
    expect(r.text).toContain('cluster03 left the mesh file: its remote secrets are pruned from every primary, but cluster03 still runs Istio');
    expect(r.text).toContain('To uninstall it: meshfed apply -f mesh.yaml --destroy-removed');
    expect(r.exit).toBe(0);
  });

  it('a dry run says what would happen', () => {
    const r = describeMembers(two, { dryRun: true, members: members({ removed, destroySkipped: 'dry run' }) }, { file: 'mesh.yaml', destroyRemoved: true });
    expect(r.text).toContain('cluster03 left the mesh file: its remote secrets would be pruned from every primary, but cluster03 still runs Istio');
    expect(r.text).toContain('Without --dry-run, --destroy-removed would uninstall it');
  });

  it('with --destroy-removed: says it was destroyed; a failed destroy names its steps and exits 2', () => {
    const done = describeMembers(two, { dryRun: false, members: members({ removed, destroyed: ['cluster03'] }) }, { file: 'mesh.yaml', destroyRemoved: true });
    expect(done.text).toContain('cluster03 left the mesh file: its remote secrets are pruned from every primary, and it was destroyed');
    expect(done.text).not.toContain('still runs Istio');
    const steps = destroySteps(three, ['cluster03']);
    const outcomes = new Map(steps.map((s) => [s.id, { status: s.kind === 'istio' ? ('failed' as const) : ('done' as const), changed: false, detail: s.kind === 'istio' ? 'istioctl failed' : 'ok', durationMs: 1 }]));
    const failed = describeMembers(two, { dryRun: false, members: members({ removed, destroy: { steps, outcomes } }) }, { file: 'mesh.yaml', destroyRemoved: true });
    expect(failed.text).toContain('still runs Istio');
    expect(failed.text).toContain('Destroying it did not finish');
    expect(failed.text).toContain('FAILED istio:cluster03 in cluster cluster03');
    expect(failed.exit).toBe(2);
  });
});

describe('what plan shows of clusters joining and leaving (memberDiff and the plan printer)', () => {
  const two = plan('multi-primary');
  const three = planMesh(threePrimaries());
  const removed = [{ name: 'cluster03', spec: three.clusters[2]!.spec }];

  it('a cluster that joins: its own steps and the remote secrets of it that the primaries get, printed with +', () => {
    const m = memberDiff(three, { added: ['cluster03'], removed: [] }, undefined, false);
    expect(m.leaves).toEqual([]);
    expect(m.joins).toEqual([
      {
        cluster: 'cluster03',
        steps: three.steps.filter((s) => s.cluster === 'cluster03').map((s) => s.id),
        remoteSecrets: [
          { in: 'cluster01', step: 'remote-secret:cluster01:cluster03' },
          { in: 'cluster02', step: 'remote-secret:cluster02:cluster03' },
        ],
      },
    ]);
    const text = summarizeChanges([], m);
    expect(text).toContain(`  + cluster03 joins: ${m.joins[0]!.steps.length} steps of its own, and its remote secret in cluster01, cluster02\n      + remote-secret:cluster01:cluster03\n      + remote-secret:cluster02:cluster03\n`);
    expect(text).toContain(', 1 joining.');
  });

  it('a cluster that leaves: its remote secret pruned from every primary that stays, printed with -; it keeps running Istio', () => {
    const former = planMesh({ ...threePrimaries() });
    const m = memberDiff(two, { added: [], removed }, former, false);
    expect(m.leaves).toEqual([{ cluster: 'cluster03', pruned: [{ in: 'cluster01', object: 'Secret/istio-remote-secret-cluster03' }, { in: 'cluster02', object: 'Secret/istio-remote-secret-cluster03' }] }]);
    const text = summarizeChanges([], m);
    expect(text).toContain('  - cluster03 leaves: pruned from cluster01, cluster02; it keeps running Istio (apply --destroy-removed uninstalls it)\n      - Secret/istio-remote-secret-cluster03 in cluster01\n      - Secret/istio-remote-secret-cluster03 in cluster02\n');
    expect(text).toContain(', 1 leaving.');
  });

  it('with --destroy-removed: also its undo steps, in the order destroy runs them', () => {
    const former = planMesh(threePrimaries());
    const m = memberDiff(two, { added: [], removed }, former, true);
    const undo = destroySteps(former, ['cluster03']).map((s) => s.id);
    expect(undo).toContain('istio:cluster03');
    expect(m.leaves[0]!.destroy).toEqual(undo);
    const text = summarizeChanges([], m);
    expect(text).toContain('then uninstalled as `meshfed destroy` would (--destroy-removed)');
    expect(text).toContain(undo.map((s) => `      - ${s}\n`).join(''));
    // A former mesh that no longer plans: said so, nothing listed.
    const unknown = memberDiff(two, { added: [], removed }, 'cluster03: spec.clusters[2].network: invalid', true).leaves[0]!;
    expect(unknown).toEqual({ cluster: 'cluster03', pruned: [], destroyUnknown: 'cluster03: spec.clusters[2].network: invalid' });
  });

  it('a primary leaves and no primary watches the one that stays: its reader token and RBAC are pruned too', () => {
    const m0 = mesh('multi-primary');
    const alone = planMesh({ ...m0, spec: { ...m0.spec, clusters: [m0.spec.clusters[0]!] } });
    const m = memberDiff(alone, { added: [], removed: [{ name: 'cluster02', spec: two.clusters[1]!.spec }] }, two, false);
    expect(m.leaves[0]!.pruned).toEqual([
      { in: 'cluster01', object: 'Secret/istio-remote-secret-cluster02' },
      { in: 'cluster01', object: 'Secret/istio-reader-service-account-istio-remote-secret-token' },
      { in: 'cluster01', object: 'ClusterRoleBinding/istio-reader-clusterrole-meshfed' },
      { in: 'cluster01', object: 'ClusterRole/istio-reader-clusterrole-meshfed' },
    ]);
  });

  it('nothing joining or leaving prints nothing about members', () => {
    expect(summarizeChanges([], memberDiff(two, { added: [], removed: [] }, undefined, true))).not.toContain('joining and leaving');
  });
});
