/**
 * Adding and removing a cluster on a one-network multi-primary lab (control planes only): a
 * third cluster joins with only its own steps and its remote secrets (a run killed half-way is
 * completed by the next), then leaves: its remote secrets are pruned from the primaries, apply
 * says it still runs Istio, and `--destroy-removed` (killed half-way, then run again) leaves it
 * as destroy would and the other two exactly as the two-cluster apply left them.
 * The lab runs all three clusters from the start: `lab up` of a mesh file that gains a cluster
 * starts the whole lab from empty state. Loopback addresses 127.0.55.x belong to this file.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDocument, type YAMLMap, type YAMLSeq } from 'yaml';
import { getObject, isKubeError, listObjects, type KubeClients, type KubeObject } from '../../src/kube/index.js';
import { destroySteps } from '../../src/apply/index.js';
import { planMesh, type MemberDiff } from '../../src/plan/index.js';
import { runCli } from '../cli/run.js';
import { applyChild } from './applyChild.js';
import { startLabMesh, type LabMesh } from './labMesh.js';
import { expectClustersMatchPlan, snapshot } from './live.js';

const IPS = ['127.0.55.1', '127.0.55.2', '127.0.55.3'];
const NS = 'istio-system';

let t: LabMesh;
let exampleDir: string;
let threeExample: string;
/** What each cluster held before any apply (destroy must leave cluster03 so). */
const before = new Map<string, Record<string, string[]>>();
/** The two clusters as the apply of the two-cluster mesh left them, object by object. */
const afterTwo = new Map<string, Map<string, unknown>>();

const k = (name: string) => t.clients.get(name)!;
const useTwo = () => t.use(threeExample, { drop: ['cluster03'] });
const useThree = () => t.use(threeExample);

/** examples/multi-primary with a third primary on its network, as an example file for the lab variant. */
async function writeThreeClusterExample(dir: string): Promise<string> {
  const doc = parseDocument(await readFile('examples/multi-primary/mesh.yaml', 'utf8'));
  const clusters = doc.getIn(['spec', 'clusters']) as YAMLSeq<YAMLMap>;
  const third = clusters.items[1]!.clone() as YAMLMap;
  third.set('name', 'cluster03');
  third.set('podCIDRs', doc.createNode(['10.30.0.0/16']));
  third.set('serviceCIDRs', doc.createNode(['10.31.0.0/16']));
  third.set('loadBalancerPool', '172.18.13.0/24');
  clusters.items.push(third);
  const path = join(dir, 'three-primaries.yaml');
  await writeFile(path, doc.toString());
  return path;
}

/** The kinds meshfed and Istio's install make (namespaced ones read in istio-system). */
const KINDS: [string, string, boolean][] = [
  ['v1', 'Namespace', false],
  ['apiextensions.k8s.io/v1', 'CustomResourceDefinition', false],
  ['rbac.authorization.k8s.io/v1', 'ClusterRole', false],
  ['rbac.authorization.k8s.io/v1', 'ClusterRoleBinding', false],
  ['admissionregistration.k8s.io/v1', 'MutatingWebhookConfiguration', false],
  ['admissionregistration.k8s.io/v1', 'ValidatingWebhookConfiguration', false],
  ['v1', 'ConfigMap', true],
  ['v1', 'Secret', true],
  ['v1', 'Service', true],
  ['v1', 'ServiceAccount', true],
  ['apps/v1', 'Deployment', true],
  ['rbac.authorization.k8s.io/v1', 'Role', true],
  ['rbac.authorization.k8s.io/v1', 'RoleBinding', true],
  ['policy/v1', 'PodDisruptionBudget', true],
  ['networking.istio.io/v1', 'Gateway', true],
  ['networking.istio.io/v1', 'VirtualService', true],
];

/** meshfed's and Istio's objects: everything in istio-system, and the cluster-wide ones named for Istio or labelled by meshfed. */
async function meshObjects(c: KubeClients): Promise<KubeObject[]> {
  const out: KubeObject[] = [];
  for (const [apiVersion, kind, namespaced] of KINDS) {
    const items = await listObjects(c, apiVersion, kind, namespaced ? { namespace: NS } : {}).catch((e: unknown) => {
      if (isKubeError(e) && e.reason === 'notFound') return [];
      throw e;
    });
    for (const o of items) {
      const ours = namespaced ? o.metadata.name !== 'kube-root-ca.crt' : o.metadata.name === NS || o.metadata.name.includes('istio') || o.metadata.labels?.['app.kubernetes.io/managed-by'] === 'meshfed';
      if (ours) out.push({ ...o, apiVersion, kind });
    }
  }
  return out;
}

const keyOf = (o: KubeObject) => `${o.kind} ${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`;

/** Drops what differs between two applies of the same content: uid, versions, timestamps, managedFields. */
function normalized(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(normalized);
  if (!v || typeof v !== 'object') return v;
  const out: Record<string, unknown> = {};
  for (const [key, x] of Object.entries(v as Record<string, unknown>)) {
    if (['uid', 'resourceVersion', 'creationTimestamp', 'managedFields', 'generation', 'observedGeneration'].includes(key) || /(Time|Timestamp)$/.test(key)) continue;
    // istiod's leader election record, renewed every few seconds.
    if (key === 'control-plane.alpha.kubernetes.io/leader') continue;
    out[key] = normalized(x);
  }
  return out;
}

async function dump(c: KubeClients): Promise<Map<string, unknown>> {
  return new Map((await meshObjects(c)).map((o) => [keyOf(o), normalized(o)]));
}

/**
 * Who wrote each object and when, leaving out istiod (the lab runs the real one, which patches
 * its webhooks and writes its own ConfigMaps) and status writers: an apply that touched an
 * object shows up here as a new or later entry of meshfed's or istioctl's field manager.
 */
async function writers(c: KubeClients): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const o of await meshObjects(c)) {
    const fields = (o.metadata.managedFields ?? []) as { manager?: string; operation?: string; time?: string; subresource?: string }[];
    const entries = fields.filter((f) => f.manager !== 'pilot-discovery' && !f.subresource).map((f) => `${f.manager}/${f.operation}@${f.time}`);
    out.set(keyOf(o), entries.sort().join(' '));
  }
  return out;
}

beforeAll(async () => {
  exampleDir = await mkdtemp(join(tmpdir(), 'meshfed-members-example-'));
  threeExample = await writeThreeClusterExample(exampleDir);
  t = await startLabMesh('members', threeExample, IPS);
  for (const name of ['cluster01', 'cluster02', 'cluster03']) before.set(name, await snapshot(k(name)));
});

afterAll(async () => {
  // Down with the three-cluster file: the lab runs all three.
  await useThree().catch(() => undefined);
  await t?.down();
  await rm(exampleDir, { recursive: true, force: true });
});

describe('a cluster joins the mesh', () => {
  it("applies only the new cluster's steps and its remote secrets; a run killed half-way is completed by the next", async () => {
    await useTwo();
    const two = await runCli('apply', '-f', t.meshPath);
    expect(two.code, two.stderr).toBe(0);
    expect(two.stderr, 'a first apply names no cluster as joining').not.toContain('joins the mesh');
    for (const name of ['cluster01', 'cluster02']) afterTwo.set(name, await dump(k(name)));
    // The steady state to compare with: a second apply of the same file changes nothing. (Its
    // server-side apply may still add the API server's "before-first-apply" managedFields entry
    // to objects istioctl left with none: bookkeeping, not a change.)
    const again = await runCli('apply', '-f', t.meshPath);
    expect(again.stderr).toContain('No changes: the clusters already match the mesh file.');
    const writtenBefore = new Map([
      ['cluster01', await writers(k('cluster01'))],
      ['cluster02', await writers(k('cluster02'))],
    ]);

    await useThree();
    const plan = planMesh(t.mesh);
    // `meshfed plan` names the join before apply: cluster03's steps and its new remote secrets.
    const planned = await runCli('plan', '-f', t.meshPath);
    expect(planned.code, planned.stderr).toBe(0);
    expect(planned.stdout).toContain(`  + cluster03 joins: ${plan.steps.filter((s) => s.cluster === 'cluster03').length} steps of its own, and its remote secret in cluster01, cluster02\n      + remote-secret:cluster01:cluster03\n      + remote-secret:cluster02:cluster03\n`);
    expect(planned.stdout).toContain(', 1 joining.');
    const aboutNew = (e: { step: string; cluster: string }) => e.cluster === 'cluster03' || e.step.endsWith(':cluster03');
    const killed = await applyChild(t.meshPath, [], (e, _run, kill) => {
      if (e.type === 'finish' && e.step === 'istio:cluster03') kill();
    });
    expect(killed.signal, `the first run was killed, not finished: ${killed.stderr}`).toBe('SIGKILL');
    const finished = killed.events.filter((e) => e.type === 'finish');
    expect(finished.map((e) => e.step)).toContain('istio:cluster03');
    expect(finished.length).toBeLessThan(plan.steps.length);

    const resumed = await applyChild(t.meshPath, []);
    expect(resumed.code, resumed.stderr).toBe(0);
    // The killed run recorded nothing, so the resumed one still sees cluster03 join.
    expect(resumed.stderr).toContain('cluster03 joins the mesh: ');
    expect(resumed.stderr).toContain('and its remote secret in cluster01, cluster02');
    // Per step: every step of the two clusters that is not about cluster03 changed nothing, in either run.
    for (const e of [...finished, ...resumed.events.filter((x) => x.type === 'finish')]) {
      expect(e.status, `${e.step}`).toBe('done');
      if (!aboutNew(e)) expect(e.changed, `${e.step} changed nothing`).toBe(false);
    }
    const resumedSteps = resumed.events.filter((x) => x.type === 'finish').map((x) => x.step);
    expect(resumedSteps.sort()).toEqual(plan.steps.map((s) => s.id).sort());
    await expectClustersMatchPlan(plan, t.clients, t.root);

    // Per object: in the two clusters nothing was written again; new are only cluster03's
    // remote secret and (changed) meshfed's record of the members.
    for (const name of ['cluster01', 'cluster02']) {
      const now = await writers(k(name));
      const was = writtenBefore.get(name)!;
      const added = [...now.keys()].filter((key) => !was.has(key));
      expect(added, `${name}: new objects`).toEqual([`Secret ${NS}/istio-remote-secret-cluster03`]);
      for (const [key, w] of was) {
        if (key === `ConfigMap ${NS}/meshfed-members`) continue;
        expect(now.get(key), `${name}: ${key} untouched`).toBe(w);
      }
      const record = await getObject(k(name), { apiVersion: 'v1', kind: 'ConfigMap', name: 'meshfed-members', namespace: NS });
      expect(Object.keys((record?.['data'] ?? {}) as object).sort()).toEqual(['cluster.cluster01', 'cluster.cluster02', 'cluster.cluster03']);
    }
  });
});

describe('a cluster leaves the mesh', () => {
  it('prunes its remote secrets and says it still runs Istio; --destroy-removed (killed half-way, run again) destroys it and leaves the others as the smaller mesh had them', async () => {
    const former = planMesh(await useThree());
    await useTwo();
    // `meshfed plan` names the leave before apply: the remote secrets pruned; with
    // --destroy-removed, cluster03's undo steps too.
    const planned = await runCli('plan', '-f', t.meshPath);
    expect(planned.code, planned.stderr).toBe(0);
    expect(planned.stdout).toContain('  - cluster03 leaves: pruned from cluster01, cluster02; it keeps running Istio (apply --destroy-removed uninstalls it)\n      - Secret/istio-remote-secret-cluster03 in cluster01\n      - Secret/istio-remote-secret-cluster03 in cluster02\n');
    const plannedDestroy = await runCli('plan', '-f', t.meshPath, '--destroy-removed', '-o', 'json');
    const leave = (JSON.parse(plannedDestroy.stdout) as { members: MemberDiff }).members.leaves[0]!;
    expect(leave.cluster).toBe('cluster03');
    expect(leave.destroy).toEqual(destroySteps(former, ['cluster03']).map((s) => s.id));
    const left = await runCli('apply', '-f', t.meshPath);
    expect(left.code, left.stderr).toBe(0);
    expect(left.stderr).toContain('pruned in cluster01: Secret/istio-remote-secret-cluster03');
    expect(left.stderr).toContain('pruned in cluster02: Secret/istio-remote-secret-cluster03');
    expect(left.stderr).toContain('cluster03 left the mesh file: its remote secrets are pruned from every primary, but cluster03 still runs Istio');
    expect(left.stderr).toContain(`To uninstall it: meshfed apply -f ${t.meshPath} --destroy-removed`);
    expect(await getObject(k('cluster03'), { apiVersion: 'apps/v1', kind: 'Deployment', name: 'istiod', namespace: NS }), 'cluster03 still runs istiod').toBeDefined();
    // The next apply still knows about it (its remote secrets are gone, the record is not).
    const reminded = await runCli('apply', '-f', t.meshPath);
    expect(reminded.code, reminded.stderr).toBe(0);
    expect(reminded.stderr).toContain('but cluster03 still runs Istio');

    const killed = await applyChild(t.meshPath, ['--destroy-removed'], (e, _run, kill) => {
      // The apply's own steps are the two clusters'; cluster03's are destroy's: kill at its first.
      if (e.type === 'finish' && e.cluster === 'cluster03') kill();
    });
    expect(killed.signal, `the destroy was killed, not finished: ${killed.stderr}`).toBe('SIGKILL');
    const destroyed = await runCli('apply', '-f', t.meshPath, '--destroy-removed');
    expect(destroyed.code, destroyed.stderr).toBe(0);
    expect(destroyed.stderr).toContain('cluster03 left the mesh file: its remote secrets are pruned from every primary, and it was destroyed');

    expect(await snapshot(k('cluster03')), 'cluster03 as destroy leaves it').toEqual(before.get('cluster03'));
    for (const name of ['cluster01', 'cluster02']) {
      const now = await dump(k(name));
      const was = afterTwo.get(name)!;
      expect([...now.keys()].sort(), `${name}: the same objects as after the two-cluster apply`).toEqual([...was.keys()].sort());
      for (const [key, o] of was) expect(now.get(key), `${name}: ${key}`).toEqual(o);
    }
    await expectClustersMatchPlan(planMesh(t.mesh), t.clients, t.root);

    const quiet = await runCli('apply', '-f', t.meshPath, '--destroy-removed');
    expect(quiet.code, quiet.stderr).toBe(0);
    expect(quiet.stderr).not.toContain('cluster03');
    expect(quiet.stderr).toContain('No changes: the clusters already match the mesh file.');
    expect((await runCli('plan', '-f', t.meshPath)).stdout, 'nothing joins or leaves any more').not.toContain('joining and leaving');
  });
});

describe('a primary leaves and no primary watches the one that stays', () => {
  it("the reader token and RBAC it was watched through go, so the removed primary's copy of the remote secret stops working", async () => {
    const secret = await getObject(k('cluster02'), { apiVersion: 'v1', kind: 'Secret', name: 'istio-remote-secret-cluster01', namespace: NS });
    const kc = new KubeConfig();
    kc.loadFromString(Buffer.from(((secret?.['data'] ?? {}) as Record<string, string>)['cluster01'] ?? '', 'base64').toString('utf8'));
    const core = kc.makeApiClient(CoreV1Api);
    expect((await core.listNamespacedService({ namespace: 'default' })).items.length, 'the remote secret works while cluster02 watches cluster01').toBeGreaterThan(0);

    await t.use(threeExample, { drop: ['cluster02', 'cluster03'] });
    const planned = await runCli('plan', '-f', t.meshPath);
    expect(planned.stdout).toContain('  - cluster02 leaves: pruned from cluster01; it keeps running Istio');
    expect(planned.stdout).toContain('      - Secret/istio-reader-service-account-istio-remote-secret-token in cluster01\n      - ClusterRoleBinding/istio-reader-clusterrole-meshfed in cluster01\n      - ClusterRole/istio-reader-clusterrole-meshfed in cluster01\n');
    const alone = await runCli('apply', '-f', t.meshPath);
    expect(alone.code, alone.stderr).toBe(0);
    expect(alone.stderr).toMatch(/pruned in cluster01: .*Secret\/istio-remote-secret-cluster02, Secret\/istio-reader-service-account-istio-remote-secret-token, ClusterRoleBinding\/istio-reader-clusterrole-meshfed, ClusterRole\/istio-reader-clusterrole-meshfed/);
    expect(alone.stderr).toContain('but cluster02 still runs Istio');
    // The API server's token authenticator reads the token Secret through its informer: wait for it to see the deletion.
    let refused: { code?: number } | undefined;
    for (const deadline = Date.now() + 30_000; Date.now() < deadline && refused?.code !== 401; await new Promise((r) => setTimeout(r, 500)))
      refused = await core.listNamespacedService({ namespace: 'default' }).then(
        () => undefined,
        (e: unknown) => e as { code?: number },
      );
    expect(refused?.code, "the token in cluster02's copy of the remote secret is revoked").toBe(401);
  });
});
