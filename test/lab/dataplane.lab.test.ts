/**
 * The lab's data plane, end to end: a mesh applied by `meshfed apply` to three lab clusters on
 * one network — cluster01 and cluster02 multi-primary, cluster03 a remote of cluster01 — with
 * the real istiod (pilot-discovery) of each primary in its pod, and seed 000's HelloWorld v1
 * (cluster01), v2 (cluster02) and a client in every cluster, each pod running Istio's agent in
 * grpc-agent mode beside Istio's echo app (proxyless gRPC). Nothing here is simulated: the
 * answers, certificates and istiod's view are what those processes produce.
 * Loopback addresses 127.0.41.x belong to this file only.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyObject, deleteObject, type KubeObject } from '../../src/kube/index.js';
import { labDown, labRoutes } from '../../src/lab/index.js';
import { labLayout } from '../../src/lab/layout.js';
import { listLabNetns } from '../../src/lab/netns.js';
import { podNetworkPrefix } from '../../src/lab/podNetwork.js';
import { callMesh, echoClient, keepCalling, helloService, hostnames, helloworld, istiodDebug, sampleNamespace, samplePod, serviceAccount, sleepClient, startDataplaneLab, tally, type DataplaneLab } from './dataplaneTools.js';
import { eventually } from './labTools.js';
import { numberedMeshYaml } from './numberedMesh.js';

const MESH = numberedMeshYaml({ name: 'dataplane', octet: 41, clusters: [{}, {}, { controlPlane: 'cluster01' }] });
const CLUSTERS = ['cluster01', 'cluster02', 'cluster03'] as const;
let l: DataplaneLab;

function subjectOf(pem: string, field: 'subject' | 'issuer'): string {
  const r = spawnSync('openssl', ['x509', '-noout', `-${field}`, '-nameopt', 'RFC2253'], { input: pem, encoding: 'utf8' });
  return r.stdout.trim().replace(/^(subject|issuer)=/, '');
}

beforeAll(async () => {
  l = await startDataplaneLab('dataplane', MESH);
  // seed 000's sample: the Service in every cluster, v1 in cluster01, v2 in cluster02, a client everywhere.
  for (const c of CLUSTERS) {
    const k = l.clients.get(c)!;
    for (const o of [sampleNamespace(), helloService(), serviceAccount('helloworld'), serviceAccount('sleep'), sleepClient()]) await applyObject(k, o);
  }
  await applyObject(l.clients.get('cluster01')!, helloworld('v1'));
  await applyObject(l.clients.get('cluster02')!, helloworld('v2'));
}, 600_000);

afterAll(async () => {
  await l?.down();
});

describe('traffic crosses clusters through the real istiod', () => {
  it('the client in every cluster, the remote included, is answered by v1 in cluster01 and by v2 in cluster02', async () => {
    for (const c of CLUSTERS) {
      const client = await samplePod(l, c, 'sleep-');
      const seen = await eventually(
        `${c}: both versions answer`,
        async () => {
          const t = tally(callMesh(l, client).out);
          return (t.get('v1@cluster01') ?? 0) > 0 && (t.get('v2@cluster02') ?? 0) > 0 ? t : undefined;
        },
        180_000,
      );
      expect([...seen.keys()].sort(), c).toEqual(['v1@cluster01', 'v2@cluster02']);
    }
    const v1 = await samplePod(l, 'cluster01', 'helloworld-v1-');
    const v2 = await samplePod(l, 'cluster02', 'helloworld-v2-');
    const names = await eventually('both pods named in the answers', async () => {
      const h = hostnames(callMesh(l, await samplePod(l, 'cluster01', 'sleep-')).out);
      return h.size === 2 ? h : undefined;
    }, 60_000);
    expect([...names].sort()).toEqual([v1.name, v2.name].sort());
  }, 600_000);

  it("each workload certificate is issued by its cluster's intermediate (a remote's by its primary's) and verifies against the mesh root", async () => {
    const root = join(l.dir, 'certs', 'root-cert.pem');
    const cases: [string, string, string, string][] = [
      ['cluster01', 'helloworld-v1-', 'cluster01', 'helloworld'],
      ['cluster02', 'helloworld-v2-', 'cluster02', 'helloworld'],
      ['cluster03', 'sleep-', 'cluster01', 'sleep'],
    ];
    for (const [cluster, prefix, issuer, account] of cases) {
      const pod = await samplePod(l, cluster, prefix);
      const chainPath = join(pod.root, 'var/lib/istio/data/cert-chain.pem');
      await eventually(`${cluster}: ${pod.name} has its certificate`, async () => (existsSync(chainPath) ? true : undefined), 120_000);
      const chain = readFileSync(chainPath, 'utf8');
      const [leaf, ...rest] = chain.split(/(?<=-----END CERTIFICATE-----\n?)/).filter((b) => b.includes('BEGIN CERTIFICATE'));
      const intermediate = readFileSync(join(l.dir, 'certs', issuer, 'ca-cert.pem'), 'utf8');
      expect(subjectOf(leaf!, 'issuer'), `${cluster} ${pod.name}`).toBe(subjectOf(intermediate, 'subject'));
      const leafFile = join(l.dir, `${pod.name}.pem`);
      writeFileSync(leafFile, leaf!);
      // the chain istiod handed out ends at the intermediate (meshfed's, from cacerts) or the root
      if (rest.length > 0) expect(subjectOf(rest[0]!, 'subject')).toBe(subjectOf(intermediate, 'subject'));
      const verify = spawnSync('openssl', ['verify', '-CAfile', root, '-untrusted', join(l.dir, 'certs', issuer, 'ca-cert.pem'), leafFile], { encoding: 'utf8' });
      expect(verify.stdout.trim(), verify.stderr).toBe(`${leafFile}: OK`);
      const san = spawnSync('openssl', ['x509', '-noout', '-ext', 'subjectAltName'], { input: leaf, encoding: 'utf8' }).stdout;
      expect(san).toContain(`URI:spiffe://cluster.local/ns/sample/sa/${account}`);
    }
  }, 300_000);

  it("cluster01's istiod lists its own and its remote's workloads in /debug/syncz", async () => {
    const client03 = await samplePod(l, 'cluster03', 'sleep-');
    const calling = keepCalling(l, client03);
    let synced: { cluster_id: string; proxy: string }[];
    try {
      synced = await eventually('syncz lists cluster01 and cluster03 proxies', async () => {
        const list = JSON.parse(await istiodDebug(l, 'cluster01', '/debug/syncz')) as { cluster_id: string; proxy: string }[];
        const v1 = list.find((p) => p.cluster_id === 'cluster01' && p.proxy.startsWith('helloworld-v1-'));
        const remote = list.find((p) => p.cluster_id === 'cluster03' && p.proxy.startsWith('sleep-'));
        return v1 && remote ? list : undefined;
      });
    } finally {
      calling.stop();
    }
    // cluster02 has its own istiod: none of its proxies is connected here
    expect(synced.some((p) => p.cluster_id === 'cluster02')).toBe(false);
  }, 180_000);

  it('with PeerAuthentication STRICT and DestinationRule ISTIO_MUTUAL a plaintext call is refused, and mTLS calls still cross', async () => {
    const client = await samplePod(l, 'cluster01', 'sleep-');
    const v2 = await samplePod(l, 'cluster02', 'helloworld-v2-');
    const plaintext = () => echoClient(l, client, ['--count', '1', '--timeout', '5s', `grpc://${v2.ip}:5000`]);
    // control: before the policy a plaintext call to v2's pod is answered, so a refusal below is mTLS's doing
    const before = plaintext();
    expect(before.out).toContain('ServiceVersion=v2');
    const strict: KubeObject = { apiVersion: 'security.istio.io/v1', kind: 'PeerAuthentication', metadata: { name: 'default', namespace: 'istio-system' }, spec: { mtls: { mode: 'STRICT' } } } as KubeObject;
    const mutual: KubeObject = { apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule', metadata: { name: 'helloworld', namespace: 'sample' }, spec: { host: 'helloworld.sample.svc.cluster.local', trafficPolicy: { tls: { mode: 'ISTIO_MUTUAL' } } } } as KubeObject;
    const primaries = ['cluster01', 'cluster02'];
    try {
      for (const c of primaries) {
        await applyObject(l.clients.get(c)!, strict);
        await applyObject(l.clients.get(c)!, mutual);
      }
      const refused = await eventually('a plaintext call is refused', async () => {
        const r = plaintext();
        return r.out.includes('ServiceVersion=v2') ? undefined : r;
      }, 120_000);
      expect(refused.ok).toBe(false);
      const t = await eventually('mTLS calls answered by both versions', async () => {
        const c = tally(callMesh(l, client).out);
        return (c.get('v1@cluster01') ?? 0) > 0 && (c.get('v2@cluster02') ?? 0) > 0 ? c : undefined;
      }, 120_000);
      expect([...t.keys()].sort()).toEqual(['v1@cluster01', 'v2@cluster02']);
    } finally {
      for (const c of primaries) {
        await deleteObject(l.clients.get(c)!, { apiVersion: 'security.istio.io/v1', kind: 'PeerAuthentication', name: 'default', namespace: 'istio-system' });
        await deleteObject(l.clients.get(c)!, { apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule', name: 'helloworld', namespace: 'sample' });
      }
    }
  }, 300_000);

  it('routes decide reachability: without the rendered routes only v1 answers cluster01; restored, both do', async () => {
    const client = await samplePod(l, 'cluster01', 'sleep-');
    labRoutes({ mesh: l.mesh, meshPath: l.meshPath, renderDir: l.out, remove: true });
    try {
      const t = await eventually('only v1 answers', async () => {
        const c = tally(callMesh(l, client).out);
        return (c.get('v2@cluster02') ?? 0) === 0 && (c.get('v1@cluster01') ?? 0) > 0 ? c : undefined;
      }, 120_000);
      expect([...t.keys()]).toEqual(['v1@cluster01']);
    } finally {
      labRoutes({ mesh: l.mesh, meshPath: l.meshPath, renderDir: l.out });
    }
    const back = await eventually('both answer again', async () => {
      const c = tally(callMesh(l, client).out);
      return (c.get('v1@cluster01') ?? 0) > 0 && (c.get('v2@cluster02') ?? 0) > 0 ? c : undefined;
    }, 120_000);
    expect([...back.keys()].sort()).toEqual(['v1@cluster01', 'v2@cluster02']);
  }, 300_000);

  it("a deleted pod's processes, namespace and files go with it", async () => {
    const v2 = await samplePod(l, 'cluster02', 'helloworld-v2-');
    await deleteObject(l.clients.get('cluster02')!, { apiVersion: 'apps/v1', kind: 'Deployment', name: 'helloworld-v2', namespace: 'sample' });
    await eventually('the namespace is gone', async () => (spawnSync('ip', ['netns', 'pids', v2.netns]).status !== 0 ? true : undefined));
    await eventually('its root folder (tokens, keys) is gone', async () => (existsSync(v2.root) ? undefined : true));
    expect(existsSync(`/etc/netns/${v2.netns}`)).toBe(false);
  }, 120_000);

  it('lab down leaves no process, namespace, hosts file or socket folder of the data plane behind', async () => {
    const prefix = podNetworkPrefix(l.lab.stateDir);
    const layout = labLayout(l.lab.stateDir);
    const xds = join(layout.externalDir ?? layout.stateDir, `${prefix}xds`);
    expect(listLabNetns(prefix).length).toBeGreaterThan(0);
    expect(existsSync(xds)).toBe(true);
    await labDown({ mesh: l.mesh, meshPath: l.meshPath });
    expect(listLabNetns(prefix)).toEqual([]);
    expect(existsSync('/etc/netns') ? readdirSync('/etc/netns').filter((n) => n.startsWith(prefix)) : []).toEqual([]);
    expect(existsSync(xds)).toBe(false);
    expect(spawnSync('pgrep', ['-f', l.lab.stateDir], { encoding: 'utf8' }).stdout.trim()).toBe('');
    // istiod, the agents and the echo servers ran from the lab's binaries: none is left
    for (const b of [l.bins.pilotDiscovery, l.bins.pilotAgent, l.bins.echoServer]) expect(spawnSync('pgrep', ['-f', b], { encoding: 'utf8' }).stdout.trim(), b).toBe('');
  }, 120_000);
});
