/**
 * Each check's pure judgement, on a plan of seed 000's primary-remote on two networks and a
 * reading of the clusters built to match it: the healthy reading has no finding above ok, and
 * breaking one fact makes exactly the check that judges it report, with its code and cluster.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { remoteKubeconfig } from '../../src/apply/steps.js';
import { readRemoteSecrets } from '../../src/discovery/index.js';
import { CHECKS, destinationRuleFacts, judgeMesh, parseAnalyze, meshStatus, missingPermissions, type DoctorInput, type LiveCluster, type Finding } from '../../src/doctor/index.js';
import { imageVersion, parseClusterz } from '../../src/kube/index.js';
import type { KubeObject, ResourceRule } from '../../src/kube/index.js';
import { advanceRootRotation, createIntermediateCA, createRootCA, ensureTrust, readIntermediate } from '../../src/pki/index.js';
import { readMeshTrustView } from '../../src/doctor/index.js';
import { removeTempDirs, tempDir } from '../pki/helpers.js';
import { objectKey, planMesh, type Plan } from '../../src/plan/index.js';
import { validateMeshFile } from '../../src/topology/index.js';

const DAY_MS = 86_400_000;
const NOW = new Date('2026-06-01T00:00:00Z');
let plan: Plan;
let root: string;
const cacerts = new Map<string, { caCert: string; rootCert: string; certChain: string }>();
let foreign: { caCert: string; rootCert: string; certChain: string };

const READER_RULES: ResourceRule[] = [
  { apiGroups: [''], resources: ['pods', 'services', 'namespaces', 'nodes', 'endpoints'], verbs: ['get', 'list', 'watch'] },
  { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['get', 'list', 'watch'] },
];

function remoteSecret(primary: string, watched: string, server: string, name = `istio-remote-secret-${watched}`): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace: 'istio-system', labels: { 'istio/multiCluster': 'true' } },
    data: { [watched]: Buffer.from(remoteKubeconfig(watched, server, 'Y2E=', 'a-token')).toString('base64') },
  };
}

/** What a correctly applied mesh reads as. */
function healthy(): Map<string, LiveCluster> {
  const live = new Map<string, LiveCluster>();
  for (const c of plan.clusters) {
    const l: LiveCluster = {
      name: c.name,
      forbidden: [],
      namespace: { labels: { ...c.namespace.labels }, annotations: { ...c.namespace.annotations } },
      present: Object.fromEntries(c.resources.map((r) => [objectKey(r), true])),
      cacerts: { ...cacerts.get(c.name)! },
      caRootCert: root,
      state: { mesh: plan.mesh.name, 'hash.istio': 'abc' },
    };
    if (c.role === 'primary') {
      l.istiod = { name: 'istiod', revision: 'default', container: { image: `docker.io/istio/pilot:${plan.mesh.istio.version}`, env: {} }, readyReplicas: 1 };
      l.meshIdentity = { meshId: plan.mesh.meshID, trustDomain: plan.mesh.trustDomain };
      const secrets = c.watches.map((w) => remoteSecret(c.name, w, plan.clusters.find((x) => x.name === w)!.apiServer!));
      l.remoteSecrets = { names: secrets.map((s) => s.metadata.name), managed: secrets.map((s) => s.metadata.name), read: readRemoteSecrets(secrets, { localClusterId: c.name }) };
    } else {
      l.injectorPaths = [c.injectionPath!];
      l.istiodEndpoints = ['172.18.11.1'];
    }
    if (c.eastWestGateway) l.gateway = { labels: { 'topology.istio.io/network': c.network }, address: c.name === 'cluster01' ? '172.18.11.1' : '172.18.12.1', container: { image: 'auto', env: { ISTIO_META_REQUESTED_NETWORK_VIEW: c.network } } };
    live.set(c.name, l);
  }
  return live;
}

function input(live = healthy(), more: Partial<DoctorInput> = {}): DoctorInput {
  const probes = new Map(plan.clusters.filter((c) => c.role === 'primary').map((c) => [c.name, new Map(c.watches.map((w) => [w, { ok: true as const, rules: READER_RULES, incomplete: false }]))]));
  const views = new Map(plan.clusters.filter((c) => c.role === 'primary').map((c) => [c.name, { source: 'discovery' as const, why: 'a lab mesh', clusters: [c.name, ...c.watches].map((id) => ({ id, syncStatus: 'synced' })) }]));
  return { plan, live, probes, views, meshRoot: root, now: NOW, meshFile: 'mesh.yaml', applyCommand: 'meshfed apply -f mesh.yaml', ...more };
}

const problems = (i: DoctorInput): Finding[] => judgeMesh(i).clusters.flatMap((c) => c.findings).filter((f) => f.severity !== 'ok');
/** The one kind of problem the reading has: its code(s) and cluster(s). */
const found = (i: DoctorInput) => problems(i).map((f) => `${f.code} ${f.severity} ${f.cluster}`);
const l = (live: Map<string, LiveCluster>, name: string) => live.get(name)!;

beforeAll(async () => {
  const v = await validateMeshFile('examples/primary-remote-multi-network/mesh.yaml');
  plan = planMesh(v.mesh!);
  const deps = { now: () => new Date(NOW.getTime() - DAY_MS) };
  const ca = await createRootCA({ keyAlgorithm: 'ecdsa-p256' }, deps);
  root = ca.certPem;
  for (const c of plan.clusters) {
    const b = await createIntermediateCA(ca, c.name, { keyAlgorithm: 'ecdsa-p256' }, deps);
    cacerts.set(c.name, { caCert: b.caCertPem, rootCert: b.rootCertPem, certChain: b.certChainPem });
  }
  const other = await createRootCA({ keyAlgorithm: 'ecdsa-p256' }, deps);
  const ob = await createIntermediateCA(other, 'cluster01', { keyAlgorithm: 'ecdsa-p256' }, deps);
  foreign = { caCert: ob.caCertPem, rootCert: ob.rootCertPem, certChain: ob.certChainPem };
});

describe('the check registry', () => {
  it('one check per code, each with a title', () => {
    const codes = CHECKS.map((c) => c.code);
    expect(new Set(codes).size).toBe(codes.length);
    for (const c of CHECKS) expect(c.title.length).toBeGreaterThan(3);
  });

  it('a healthy reading: every check ok, nothing above ok, and no drift', () => {
    const i = input();
    expect(problems(i)).toEqual([]);
    const report = judgeMesh(i);
    expect(report.summary).toMatchObject({ warnings: 0, errors: 0, unreachable: [] });
    expect(report.summary.ok).toBeGreaterThan(20);
    expect(JSON.parse(JSON.stringify(report))).toEqual(report);
    expect(meshStatus(plan, i.live).drift).toBe(false);
  });

  it('the report holds no token', () => {
    expect(JSON.stringify(judgeMesh(input()))).not.toContain('a-token');
    expect(JSON.stringify(meshStatus(plan, healthy()))).not.toContain('a-token');
  });
});

describe('each judgement', () => {
  it('MF4001 / MF4002: unreachable vs refused credentials; only the access checks run there', () => {
    const live = healthy();
    live.set('cluster02', { name: 'cluster02', forbidden: [], present: {}, unreachable: { reason: 'unreachable', message: 'ECONNREFUSED' } });
    const r = judgeMesh(input(live));
    expect(r.summary.unreachable).toEqual(['cluster02']);
    expect(r.clusters[1]!.findings.map((f) => `${f.code} ${f.severity}`)).toEqual(['MF4001 error']);
    // The context at the mesh file's apiServer: the cluster itself did not answer.
    const apiServer = plan.clusters[1]!.apiServer!;
    live.set('cluster02', { name: 'cluster02', forbidden: [], present: {}, unreachable: { reason: 'unreachable', message: 'ECONNREFUSED', server: apiServer, kubeconfigCluster: 'c2' } });
    expect(problems(input(live))[0]!.fix).toBe('check that the cluster runs and that kubeconfig context kind-cluster02 points at it (kubectl --context kind-cluster02 get --raw /readyz)');
    // The context elsewhere: the fix points the kubeconfig's entry at the mesh file's apiServer, in the kubeconfig doctor read.
    live.set('cluster02', { name: 'cluster02', forbidden: [], present: {}, unreachable: { reason: 'unreachable', message: 'ECONNREFUSED', server: 'https://10.0.0.9:6443', kubeconfigCluster: 'c2' } });
    const moved = problems(input(live, { kubeconfig: '/k/config' }))[0]!;
    expect(moved.fix).toBe(`kubectl config set-cluster c2 --server=${apiServer} --kubeconfig /k/config`);
    expect(moved.cause).toContain(`at https://10.0.0.9:6443, which context kind-cluster02 points at; the mesh file says it is at ${apiServer}`);
    live.set('cluster02', { name: 'cluster02', forbidden: [], present: {}, unreachable: { reason: 'unauthorized', message: '401' } });
    expect(found(input(live))).toEqual(['MF4002 error cluster02']);
    const forbidden = healthy();
    l(forbidden, 'cluster01').forbidden.push('Secret/istio-system/cacerts');
    expect(found(input(forbidden))).toEqual(['MF4002 error cluster01']);
    expect(problems(input(forbidden))[0]!.fix).toContain('(e.g. cluster-admin)');
    // The user known (a SelfSubjectReview): the fix grants it read, as kubectl commands.
    l(forbidden, 'cluster01').user = 'system:serviceaccount:default:reader';
    expect(problems(input(forbidden))[0]!.fix).toBe(
      "kubectl --context kind-cluster01 create clusterrole meshfed-doctor-read --verb=get,list,watch --resource='*.*' --dry-run=client -o yaml | kubectl --context kind-cluster01 apply -f - && " +
        'kubectl --context kind-cluster01 create clusterrolebinding meshfed-doctor-read-system-serviceaccount-default-reader --clusterrole=meshfed-doctor-read --user=system:serviceaccount:default:reader --dry-run=client -o yaml | kubectl --context kind-cluster01 apply -f -',
    );
  });

  it('MF4013 / MF4010 / MF4011: istiod missing, another meshID, another trust domain', () => {
    const a = healthy();
    delete l(a, 'cluster01').istiod;
    expect(found(input(a))).toEqual(['MF4013 error cluster01']);
    const b = healthy();
    l(b, 'cluster01').meshIdentity = { meshId: 'other', trustDomain: 'other.local' };
    expect(found(input(b))).toEqual(['MF4010 error cluster01', 'MF4011 error cluster01']);
  });

  it('MF4012: a patch or one-minor difference warns, beyond one minor is an error', () => {
    const v = (image: string) => {
      const live = healthy();
      l(live, 'cluster01').istiod!.container.image = image;
      return found(input(live));
    };
    expect(v('docker.io/istio/pilot:1.31.2')).toEqual(['MF4012 warning cluster01']);
    expect(v('docker.io/istio/pilot:1.30.0-distroless')).toEqual(['MF4012 warning cluster01']);
    expect(v('docker.io/istio/pilot:1.29.4')).toEqual(['MF4012 error cluster01']);
    expect(v('docker.io/istio/pilot:2.31.0')).toEqual(['MF4012 error cluster01']);
    expect(v('docker.io/istio/pilot@sha256:abc')).toEqual(['MF4012 warning cluster01']);
    expect(imageVersion('localhost:5000/istio/pilot:1.31.0')).toBe('1.31.0');
    expect(imageVersion('localhost:5000/istio/pilot')).toBeUndefined();
  });

  it('MF4020 / MF4021 / MF4022: the namespace, gateway label and network view name another network', () => {
    const a = healthy();
    l(a, 'cluster02').namespace!.labels['topology.istio.io/network'] = 'network1';
    const f = problems(input(a));
    expect(f.map((x) => x.code)).toEqual(['MF4020']);
    expect(f[0]!.evidence).toBe('label topology.istio.io/network=network1 (plan: network2)');
    const b = healthy();
    delete l(b, 'cluster02').namespace!.annotations['topology.istio.io/controlPlaneClusters'];
    expect(found(input(b))).toEqual(['MF4020 error cluster02']);
    const c = healthy();
    l(c, 'cluster02').gateway!.labels['topology.istio.io/network'] = 'x';
    l(c, 'cluster02').gateway!.container!.env = {};
    const g = problems(input(c));
    expect(g.map((x) => `${x.code} ${x.cluster}`)).toEqual(['MF4021 cluster02', 'MF4022 cluster02']);
    expect(g[0]!.fix).toBe('kubectl --context kind-cluster02 -n istio-system label service istio-eastwestgateway topology.istio.io/network=network2 --overwrite');
  });

  it('MF4030 / MF4031 / MF4032 / MF4033: missing, unknown, duplicate and stale or loopback secrets', () => {
    const set = (secrets: KubeObject[], managed: string[] = []) => {
      const live = healthy();
      l(live, 'cluster01').remoteSecrets = { names: secrets.map((s) => s.metadata.name), managed, read: readRemoteSecrets(secrets, { localClusterId: 'cluster01' }) };
      return input(live);
    };
    const server = plan.clusters[1]!.apiServer!;
    expect(found(set([]))).toEqual(['MF4030 error cluster01']);
    const unknown = set([remoteSecret('cluster01', 'cluster02', server), remoteSecret('cluster01', 'ghost', 'https://10.0.0.9:6443')], ['istio-remote-secret-ghost']);
    const u = problems(unknown);
    expect(u.map((x) => x.code)).toEqual(['MF4031']);
    expect(u[0]!.fix).toBe('meshfed apply -f mesh.yaml');
    expect(problems(set([remoteSecret('cluster01', 'cluster02', server), remoteSecret('cluster01', 'ghost', 'https://10.0.0.9:6443')]))[0]!.fix).toBe('kubectl --context kind-cluster01 -n istio-system delete secret istio-remote-secret-ghost');
    const dup = problems(set([remoteSecret('cluster01', 'cluster02', server), remoteSecret('cluster01', 'cluster02', server, 'a-copy')]));
    expect(dup.map((x) => x.code)).toEqual(['MF4032']);
    expect(dup[0]!.fix).toBe('kubectl --context kind-cluster01 -n istio-system delete secret a-copy');
    const stale = problems(set([remoteSecret('cluster01', 'cluster02', 'https://172.18.0.9:6443')]));
    expect(stale.map((x) => x.code)).toEqual(['MF4033']);
    expect(stale[0]!.evidence).toContain(`mesh file: ${server}`);
    const loop = problems(set([remoteSecret('cluster01', 'cluster02', 'https://127.0.0.1:6443')]));
    expect(loop.map((x) => x.code)).toEqual(['MF4033']);
    expect(loop[0]!.cause).toContain('loopback');
    // In a lab mesh loopback is the address; only a stale one is wrong.
    const lab = { ...plan, mesh: { ...plan.mesh, lab: true } };
    expect(found({ ...set([remoteSecret('cluster01', 'cluster02', 'https://127.0.0.1:6443')]), plan: lab }).map((x) => x.split(' ')[0])).toEqual(['MF4033']);
  });

  it('MF4034 / MF4035: a refused kubeconfig, a rejected token, an unreachable watched cluster, missing list/watch', () => {
    const exec = remoteSecret('cluster01', 'cluster02', 'https://x:6443');
    exec['data'] = { cluster02: Buffer.from('apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "https://x:6443"}}]\nusers: [{name: u, user: {exec: {command: sh}}}]\ncontexts: [{name: c, context: {cluster: c, user: u}}]\ncurrent-context: c\n').toString('base64') };
    const live = healthy();
    l(live, 'cluster01').remoteSecrets = { names: ['istio-remote-secret-cluster02'], managed: [], read: readRemoteSecrets([exec], { localClusterId: 'cluster01' }) };
    const refused = problems(input(live));
    expect(refused.map((x) => x.code)).toEqual(['MF4034']);
    expect(refused[0]!.evidence).toContain('MF9005');
    const probed = (probe: DoctorInput['probes'] extends ReadonlyMap<string, ReadonlyMap<string, infer P>> ? P : never) => found(input(healthy(), { probes: new Map([['cluster01', new Map([['cluster02', probe]])]]) }));
    expect(probed({ ok: false, reason: 'unauthorized', message: '401' })).toEqual(['MF4034 error cluster01']);
    expect(probed({ ok: false, reason: 'unreachable', message: 'ECONNREFUSED' })).toEqual(['MF4034 warning cluster01']);
    expect(probed({ ok: true, rules: [READER_RULES[0]!], incomplete: false })).toEqual(['MF4035 error cluster01']);
    expect(probed({ ok: true, rules: [READER_RULES[0]!], incomplete: true })).toEqual(['MF4035 warning cluster01']);
    expect(missingPermissions(READER_RULES)).toEqual([]);
    expect(missingPermissions([{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }])).toEqual([]);
    expect(missingPermissions([{ apiGroups: [''], resources: ['pods', 'services', 'namespaces', 'nodes'], verbs: ['list'] }, READER_RULES[1]!])).toEqual(['watch pods', 'watch services', 'watch namespaces', 'watch nodes']);
  });

  it('MF4050: a member not synced, or not a member, in the view; the evidence says whose view it is', () => {
    const view = (clusters: { id: string; syncStatus: string }[], source: 'istiod' | 'discovery' = 'istiod') => problems(input(healthy(), { views: new Map([['cluster01', { source, clusters }]]) }));
    const timeout = view([{ id: 'cluster01', syncStatus: 'synced' }, { id: 'cluster02', syncStatus: 'timeout' }]);
    expect(timeout.map((x) => x.code)).toEqual(['MF4050']);
    expect(timeout[0]!.evidence).toBe("istiod's /debug/clusterz: cluster cluster02 timeout");
    expect(view([{ id: 'cluster01', syncStatus: 'synced' }], 'discovery')[0]!.evidence).toContain("meshfed's discovery engine");
  });

  it("MF4040 / MF4041 / MF4043: cacerts missing, of another root, and a workload root that is not the mesh's", () => {
    const a = healthy();
    delete l(a, 'cluster02').cacerts;
    expect(found(input(a))).toEqual(['MF4040 error cluster02']);
    const b = healthy();
    l(b, 'cluster01').cacerts = { ...foreign };
    const f = problems(input(b));
    expect(f.map((x) => x.code)).toEqual(['MF4041']);
    expect(f[0]!.evidence).toBe("root-cert.pem is not a copy of the mesh's root certificate");
    // The foreign intermediate with the mesh's root files beside it: the signature is what fails.
    l(b, 'cluster01').cacerts = { caCert: foreign.caCert, rootCert: root, certChain: foreign.caCert + root };
    expect(problems(input(b))[0]!.evidence).toBe('ca-cert.pem was not signed by this root');
    expect(found(input(healthy(), { meshRoot: undefined }))).toEqual(['MF4041 warning cluster01', 'MF4041 warning cluster02']);
    const c = healthy();
    l(c, 'cluster02').caRootCert = foreign.rootCert;
    expect(found(input(c))).toEqual(['MF4043 error cluster02']);
    // cluster02 is a remote: its primary's istiod writes its ConfigMap, so the fix restarts that one.
    expect(problems(input(c))[0]!.fix).toBe('kubectl --context kind-cluster01 -n istio-system rollout restart deployment istiod');
    const d = healthy();
    l(d, 'cluster01').caRootCert = foreign.rootCert;
    expect(problems(input(d))[0]!.fix).toBe('kubectl --context kind-cluster01 -n istio-system rollout restart deployment istiod');
  });

  it('MF4041 / MF4043 during a root rotation: judged by the stage (its roots, its signing root); a cluster still on the stage before warns; a third root is still an error', async () => {
    const dir = await tempDir('doctor-rotation');
    const clusters = plan.clusters.map((c) => c.name);
    const options = { keyAlgorithm: 'ecdsa-p256' as const };
    await ensureTrust({ rootDir: dir, clusters, options });
    const shipped = async () => {
      const m = new Map<string, { caCert: string; rootCert: string; certChain: string }>();
      for (const c of clusters) {
        const b = await readIntermediate(dir, c);
        m.set(c, { caCert: b.caCertPem, rootCert: b.rootCertPem, certChain: b.certChainPem });
      }
      return m;
    };
    /** The live mesh with each cluster's cacerts (and istiod's published roots) from `byCluster`. */
    const mesh = (byCluster: (c: string) => { caCert: string; rootCert: string; certChain: string }) => {
      const live = healthy();
      for (const c of clusters) {
        l(live, c).cacerts = { ...byCluster(c) };
        // istiod publishes its roots; the order is not what matters
        l(live, c).caRootCert = byCluster(c).rootCert.split(/(?<=-----END CERTIFICATE-----\n?)/).reverse().join('\n');
      }
      return live;
    };
    const before = await shipped();
    const oldRoot = before.get(clusters[0]!)!.rootCert;

    await advanceRootRotation({ rootDir: dir, clusters, options });
    const trustBoth = await shipped();
    let view = await readMeshTrustView(dir);
    expect(view.rootRotation?.stage).toBe('trust-both');
    // every cluster shipped stage trust-both: nothing wrong, and the evidence names the stage
    const ok = judgeMesh(input(mesh((c) => trustBoth.get(c)!), view)).clusters.flatMap((c) => c.findings).filter((f) => f.code === 'MF4041' || f.code === 'MF4043');
    expect(ok.map((f) => f.severity)).toEqual(['ok', 'ok', 'ok', 'ok']);
    expect(ok.find((f) => f.code === 'MF4041')!.evidence).toContain('trust-both');
    // judged by the old root alone (what doctor did before), the same healthy mesh was an error
    expect(found(input(mesh((c) => trustBoth.get(c)!), { meshRoot: oldRoot }))).toEqual(['MF4041 error cluster01', 'MF4043 error cluster01', 'MF4041 error cluster02', 'MF4043 error cluster02']);
    // cluster02 not shipped yet: a warning naming both stages, with apply as the fix
    const half = problems(input(mesh((c) => (c === 'cluster02' ? before : trustBoth).get(c)!), view));
    expect(half.map((f) => `${f.code} ${f.severity} ${f.cluster}`)).toEqual(['MF4041 warning cluster02', 'MF4043 warning cluster02']);
    expect(half[0]!.evidence).toContain('still holds the mesh before the rotation, not root rotation stage trust-both yet');
    expect(half[0]!.fix).toBe('meshfed apply -f mesh.yaml');

    await advanceRootRotation({ rootDir: dir, clusters, options });
    const reissued = await shipped();
    view = await readMeshTrustView(dir);
    // reissue, cluster by cluster: cluster01 re-issued, cluster02 still on trust-both's intermediate
    expect(found(input(mesh((c) => reissued.get(c)!), view))).toEqual([]);
    expect(found(input(mesh((c) => (c === 'cluster02' ? trustBoth : reissued).get(c)!), view))).toEqual(['MF4041 warning cluster02']);
    // a cacerts from a third root is an error in any stage
    const third = mesh((c) => reissued.get(c)!);
    l(third, 'cluster01').cacerts = { ...foreign };
    const bad = problems(input(third, view));
    expect(bad.map((f) => `${f.code} ${f.severity} ${f.cluster}`)).toEqual(['MF4041 error cluster01']);
    expect(bad[0]!.evidence).toContain('root rotation stage 2/3 reissue');
    // two stages behind (the mesh before the rotation, in stage reissue) is not the stage before: an error
    expect(found(input(mesh((c) => (c === 'cluster02' ? before : reissued).get(c)!), view))).toEqual(['MF4041 error cluster02', 'MF4043 error cluster02']);
  });

  it('MF4042: an intermediate expiring within 30 days warns, an expired one is an error (injected clock)', () => {
    const notAfter = NOW.getTime() - DAY_MS + 3650 * DAY_MS;
    expect(found(input(healthy(), { now: new Date(notAfter - 10 * DAY_MS) }))).toEqual(['MF4042 warning cluster01', 'MF4042 warning cluster02']);
    expect(found(input(healthy(), { now: new Date(notAfter + DAY_MS) }))).toEqual(['MF4042 error cluster01', 'MF4042 error cluster02']);
  });

  it('MF4060 / MF4061 / MF4062 / MF4063: gateway address, remote istiod address, expose objects, injection path', () => {
    const a = healthy();
    delete l(a, 'cluster01').gateway!.address;
    expect(found(input(a))).toEqual(['MF4060 error cluster01']);
    const b = healthy();
    l(b, 'cluster02').istiodEndpoints = ['10.9.9.9'];
    expect(found(input(b))).toEqual(['MF4061 error cluster02']);
    const c = healthy();
    const key = objectKey(plan.clusters[0]!.resources.find((r) => r.step.startsWith('expose-istiod:'))!);
    l(c, 'cluster01').present[key] = false;
    const e = problems(input(c));
    expect(e.map((x) => x.code)).toEqual(['MF4062']);
    expect(e[0]!.evidence).toContain(key);
    expect(meshStatus(plan, c).drift).toBe(true);
    const d = healthy();
    l(d, 'cluster02').injectorPaths = ['/inject/cluster/cluster09/net/network2'];
    expect(found(input(d))).toEqual(['MF4063 error cluster02']);
  });
});

describe('MF4070: live ranges on one network', () => {
  const withRanges = (ranges: Record<string, LiveCluster['ranges']>) => {
    const onePlan = { ...plan, clusters: plan.clusters.map((c) => ({ ...c, network: 'network1' })) };
    const live = healthy();
    for (const [name, r] of Object.entries(ranges)) l(live, name).ranges = r;
    return { ...input(live), plan: onePlan };
  };
  const c1 = { services: [{ name: 'kubernetes', cidr: '10.11.0.0/16' }], pods: [], podIPs: ['10.10.0.5'] };

  it('disjoint ranges are ok; only clusters of one network are compared', () => {
    expect(problems(withRanges({ cluster01: c1, cluster02: { services: [{ name: 'kubernetes', cidr: '10.21.0.0/16' }], pods: ['10.20.0.0/24'], podIPs: [] } }))).toEqual([]);
    // The two-network plan compares nothing, whatever the ranges.
    const live = healthy();
    l(live, 'cluster01').ranges = c1;
    l(live, 'cluster02').ranges = c1;
    expect(problems(input(live))).toEqual([]);
  });

  it('an added ServiceCIDR overlapping the other cluster: error on both, the fix deletes the added one', () => {
    const f = problems(withRanges({ cluster01: c1, cluster02: { services: [{ name: 'kubernetes', cidr: '10.21.0.0/16' }, { name: 'extra', cidr: '10.11.128.0/17' }], pods: [], podIPs: [] } }));
    expect(f.map((x) => `${x.code} ${x.cluster}`)).toEqual(['MF4070 cluster01', 'MF4070 cluster02']);
    expect(f[1]!.evidence).toBe("service range (ServiceCIDR extra) 10.11.128.0/17 overlaps cluster01's service range (ServiceCIDR kubernetes) 10.11.0.0/16");
    expect(f[1]!.fix).toBe('kubectl --context kind-cluster02 delete servicecidr extra');
    expect(f[0]!.fix).not.toContain('delete servicecidr kubernetes');
  });

  it("a pod IP inside the other's range, and one pod IP in both clusters", () => {
    const f = problems(withRanges({ cluster01: c1, cluster02: { services: [{ name: 'kubernetes', cidr: '10.21.0.0/16' }], pods: [], podIPs: ['10.11.0.9', '10.10.0.5'] } }));
    expect(f.map((x) => x.evidence)).toEqual(['pod IP(s) 10.10.0.5 also used in cluster02', "pod IP 10.11.0.9 is inside cluster01's service range (ServiceCIDR kubernetes) 10.11.0.0/16", 'pod IP(s) 10.10.0.5 also used in cluster01']);
  });
});

describe('MF4071: services that resolve only where they exist', () => {
  it('a Service with endpoints only in cluster01 warns in cluster02 without DNS proxying; with it, or with the Service in both, ok', () => {
    const live = healthy();
    l(live, 'cluster01').services = [{ namespace: 'sample', name: 'helloworld', endpoints: true }, { namespace: 'sample', name: 'idle', endpoints: false }];
    l(live, 'cluster02').services = [];
    const f = problems(input(live));
    expect(f.map((x) => `${x.code} ${x.severity} ${x.cluster}`)).toEqual(['MF4071 warning cluster02']);
    expect(f[0]!.evidence).toBe('not here: sample/helloworld (endpoints in cluster01); DNS proxying off');
    // cluster02 is a remote: the mesh config of its primary's istiod decides.
    l(live, 'cluster01').meshIdentity = { ...l(live, 'cluster01').meshIdentity!, dnsCapture: true };
    expect(problems(input(live))).toEqual([]);
    const both = healthy();
    l(both, 'cluster01').services = [{ namespace: 'sample', name: 'helloworld', endpoints: true }];
    l(both, 'cluster02').services = [{ namespace: 'sample', name: 'helloworld', endpoints: false }];
    expect(problems(input(both))).toEqual([]);
  });
});

describe('MF4072: locality failover and outlier detection', () => {
  const dr = (spec: Record<string, unknown>): KubeObject => ({ apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule', metadata: { name: 'web', namespace: 'sample' }, spec: { host: 'web.sample.svc.cluster.local', ...spec } });
  const judge = (...rules: KubeObject[]) => {
    const live = healthy();
    l(live, 'cluster01').destinationRules = rules.map(destinationRuleFacts);
    return problems(input(live));
  };
  const failover = { loadBalancer: { localityLbSetting: { failover: [{ from: 'r1', to: 'r2' }] } } };
  const outlier = { outlierDetection: { consecutive5xxErrors: 5 } };

  it('failover with outlier detection, or neither, or locality turned off: ok', () => {
    expect(judge(dr({ trafficPolicy: { ...failover, ...outlier } }), dr({}), dr({ trafficPolicy: { loadBalancer: { localityLbSetting: { enabled: false } }, ...outlier } }))).toEqual([]);
  });

  it('failover without outlier detection: the patch given adds it', () => {
    const f = judge(dr({ trafficPolicy: failover }));
    expect(f.map((x) => `${x.code} ${x.severity}`)).toEqual(['MF4072 warning']);
    expect(f[0]!.evidence).toBe('sample/web, host web.sample.svc.cluster.local: localityLbSetting (failover) without outlierDetection');
    expect(f[0]!.fix).toBe(`kubectl --context kind-cluster01 -n sample patch destinationrule web --type merge -p '{"spec":{"trafficPolicy":{"outlierDetection":{"consecutive5xxErrors":5,"interval":"10s","baseEjectionTime":"30s"}}}}'`);
    expect(judge(dr({ subsets: [{ name: 'v1', trafficPolicy: { loadBalancer: { localityLbSetting: { enabled: true } } } }] }))[0]!.evidence).toContain('(subsets v1 trafficPolicy)');
  });

  it('outlier detection alone turns failover on: warned, the patch given says so explicitly', () => {
    const f = judge(dr({ trafficPolicy: outlier }));
    expect(f.map((x) => x.evidence)).toEqual(['sample/web, host web.sample.svc.cluster.local: outlierDetection without localityLbSetting']);
    expect(f[0]!.fix).toContain(`'{"spec":{"trafficPolicy":{"loadBalancer":{"localityLbSetting":{"enabled":true}}}}}'`);
  });
});

describe('MF4080: istioctl analyze beside our checks', () => {
  const run = (messages: string, lab = false) => {
    const parsed = parseAnalyze(messages);
    expect(parsed).toBeDefined();
    const i = input(healthy(), { analysis: new Map([['cluster01', { messages: parsed! }]]) });
    return judgeMesh(lab ? { ...i, plan: { ...plan, mesh: { ...plan.mesh, lab: true } } } : i).clusters[0]!.findings.filter((f) => f.code === 'MF4080');
  };
  const gw = '{"code":"IST0147","level":"Warning","origin":"Pod istio-system/istio-eastwestgateway-6b7c","message":"Deployment uses image: auto but the namespace is not injected","documentationUrl":"x"}';

  it('no messages (istioctl prints [] or nothing): one ok finding', () => {
    expect(run('[]').map((f) => f.severity)).toEqual(['ok']);
    expect(run('').map((f) => f.severity)).toEqual(['ok']);
  });

  it('warnings and errors become findings with the IST code; info is left out', () => {
    const f = run(`[${gw},{"code":"IST0101","level":"Error","origin":"VirtualService default/x","message":"Referenced host not found"},{"code":"IST0102","level":"Info","origin":"Namespace default","message":"not injected"}]`);
    expect(f.map((x) => `${x.severity} ${x.evidence.split(':')[0]}`)).toEqual(['warning IST0147 Pod istio-system/istio-eastwestgateway-6b7c', 'error IST0101 VirtualService default/x']);
  });

  it("IST0170 'service ports are inconsistent' of istiod and the east-west gateway is expected in a mesh with remotes; another inconsistency is not", () => {
    const ist0170 = (svc: string, what: string) => `[{"code":"IST0170","level":"Warning","origin":"Service istio-system/${svc}","message":"The service ${svc} in namespace \\"istio-system\\" is inconsistent across clusters [\\"default\\" \\"cluster02\\"], which can lead to undefined behaviors. The inconsistent behaviors are: ${what}.","cluster":"default"}]`;
    expect(run(ist0170('istiod', 'service ports are inconsistent')).map((x) => x.severity)).toEqual(['ok']);
    expect(run(ist0170('istio-eastwestgateway', 'service ports are inconsistent')).map((x) => x.severity)).toEqual(['ok']);
    expect(run(ist0170('istiod', 'service type is inconsistent')).map((x) => x.severity)).toEqual(['warning']);
    expect(run(ist0170('web', 'service ports are inconsistent')).map((x) => x.severity)).toEqual(['warning']);
    // istiod's ports differ only where remotes run the remote profile; the gateway's nodePorts differ anywhere.
    const noRemotes = (svc: string) => {
      const i = input(healthy(), { analysis: new Map([['cluster01', { messages: parseAnalyze(ist0170(svc, 'service ports are inconsistent'))! }]]) });
      return judgeMesh({ ...i, plan: { ...plan, clusters: plan.clusters.map((c) => ({ ...c, role: 'primary' as const })) } }).clusters[0]!.findings.filter((f) => f.code === 'MF4080').map((f) => f.severity);
    };
    expect(noRemotes('istiod')).toEqual(['warning']);
    expect(noRemotes('istio-eastwestgateway')).toEqual(['ok']);
    expect(noRemotes('istio-ingressgateway')).toEqual(['ok']);
  });

  it("IST0147 on the east-west gateway is expected in a lab mesh (no admission webhooks), and said why", () => {
    const f = run(`[${gw}]`, true);
    expect(f.map((x) => x.severity)).toEqual(['ok']);
    expect(f[0]!.evidence).toContain('expected: ');
  });

  it('a run that failed is a warning; output that is not its JSON is refused', () => {
    const i = input(healthy(), { analysis: new Map([['cluster01', { error: 'cannot run istioctl: ENOENT' }]]) });
    expect(found(i)).toEqual(['MF4080 warning cluster01']);
    expect(parseAnalyze('Error: something')).toBeUndefined();
    expect(parseAnalyze('[{"code":"IST0101","level":"Bad"}]')).toBeUndefined();
  });
});

describe('status', () => {
  it('drift: a missing step, a stale and a missing secret, another version', () => {
    const live = healthy();
    l(live, 'cluster01').istiod!.container.image = 'docker.io/istio/pilot:1.30.1';
    l(live, 'cluster01').remoteSecrets = { names: [], managed: [], read: readRemoteSecrets([], { localClusterId: 'cluster01' }) };
    const key = objectKey(plan.clusters[1]!.resources.find((r) => r.kind === 'Secret' && r.name === 'cacerts')!);
    l(live, 'cluster02').present[key] = false;
    const s = meshStatus(plan, live);
    expect(s.drift).toBe(true);
    expect(s.clusters[0]!.drift).toEqual([`istiod runs 1.30.1, mesh file: ${plan.mesh.istio.version}`, 'remote secret for cluster02: missing']);
    expect(s.clusters[1]!.drift).toEqual([`step cacerts:cluster02 not applied (missing ${key})`]);
    expect(s.clusters[1]!.steps.find((x) => x.id === 'cacerts:cluster02')?.state).toBe('missing');
  });
});

describe('istiod debug view', () => {
  it("parses /debug/clusterz as istiod writes it (pkg/cluster DebugInfo), refuses other shapes", () => {
    expect(parseClusterz('[{"id":"cluster01","secretName":"","syncStatus":"synced"},{"id":"cluster02","secretName":"istio-system/istio-remote-secret-cluster02","syncStatus":"timeout"}]')).toEqual([
      { id: 'cluster01', secretName: '', syncStatus: 'synced' },
      { id: 'cluster02', secretName: 'istio-system/istio-remote-secret-cluster02', syncStatus: 'timeout' },
    ]);
    expect(parseClusterz('{"id":"x"}')).toBeUndefined();
    expect(parseClusterz('[{"secretName":"x"}]')).toBeUndefined();
    expect(parseClusterz('not json')).toBeUndefined();
  });
});

afterAll(removeTempDirs);
