/**
 * Rotating CA material with traffic flowing, on a lab mesh (one network, cluster01 and
 * cluster02 multi-primary, the lab data plane: real istiod, Istio's agent and echo app over
 * proxyless gRPC, mTLS STRICT + ISTIO_MUTUAL in the sample namespace). A client in each
 * cluster calls HelloWorld in a loop, a new process (so a new connection) per request, before,
 * during and after each rotation; not one request may fail.
 * Loopback addresses 127.0.53.x belong to this file only.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyObject, getObject, listObjects, readPodLog, rawRequest, type KubeClients, type KubeObject } from '../../src/kube/index.js';
import { ISTIOD_RELOADED } from '../../src/apply/istiodReload.js';
import { podRootDir } from '../../src/lab/podFiles.js';
import { runCli } from '../cli/run.js';
import { HOST, helloService, helloworld, sampleNamespace, samplePod, serviceAccount, sleepClient, startDataplaneLab, type DataplaneLab, type LabPod } from '../lab/dataplaneTools.js';
import { eventually } from '../lab/labTools.js';
import { numberedMeshYaml } from '../lab/numberedMesh.js';

const CLUSTERS = ['cluster01', 'cluster02'] as const;
const MESH = numberedMeshYaml({ name: 'rotate', octet: 53, clusters: CLUSTERS.map(() => ({})) });
const BIN = resolve('bin/meshfed.js');

let l: DataplaneLab;
const k = (c: string): KubeClients => l.clients.get(c)!;
const certFile = (c: string, f: string) => readFileSync(join(l.dir, 'certs', c, f), 'utf8');

/** openssl's verdict on a workload chain against one CA file (partial chain: the CA may be an intermediate). */
function opensslVerify(chainPem: string, caPem: string): boolean {
  const dir = l.dir;
  const ca = join(dir, `ca-${Math.random().toString(36).slice(2)}.pem`);
  spawnSync('sh', ['-c', `cat > ${ca}`], { input: caPem });
  const leaf = chainPem.slice(0, chainPem.indexOf('-----END CERTIFICATE-----') + 25) + '\n';
  const untrusted = chainPem.slice(leaf.length - 1).trim();
  const args = ['verify', '-partial_chain', '-CAfile', ca];
  let untrustedFile: string | undefined;
  if (untrusted.includes('BEGIN CERTIFICATE')) {
    untrustedFile = `${ca}.chain`;
    spawnSync('sh', ['-c', `cat > ${untrustedFile}`], { input: `${untrusted}\n` });
    args.push('-untrusted', untrustedFile);
  }
  const r = spawnSync('openssl', args, { input: leaf, encoding: 'utf8' });
  spawnSync('rm', ['-f', ca, ...(untrustedFile ? [untrustedFile] : [])]);
  return r.status === 0 && r.stdout.includes('OK');
}

/** A workload's certificate chain as its agent wrote it (OUTPUT_CERTS under the lab pod's root): read beside meshfed, not through it. */
async function workloadChain(cluster: string, pod: string): Promise<string> {
  const p = await samplePod(l, cluster, pod);
  return readFileSync(join(p.root, 'var/lib/istio/data/cert-chain.pem'), 'utf8');
}

interface Traffic {
  ok: number;
  failed: string[];
  stop(): Promise<void>;
}

/** The newest running client pod of a cluster whose agent has written its bootstrap: the one a rollout keeps. */
async function newestClient(cluster: string): Promise<LabPod | undefined> {
  const pods = (await listObjects(k(cluster), 'v1', 'Pod', { namespace: 'sample' })) as unknown as { metadata: { name: string; creationTimestamp?: string; deletionTimestamp?: string }; status?: { phase?: string; podIP?: string } }[];
  const running = pods
    .filter((p) => p.metadata.name.startsWith('sleep-') && !p.metadata.deletionTimestamp && p.status?.phase === 'Running' && p.status.podIP)
    .sort((a, b) => String(b.metadata.creationTimestamp).localeCompare(String(a.metadata.creationTimestamp)));
  for (const p of running) {
    // A client pod is taken once its agent has had its bootstrap out for 5 s (its certificate
    // and first xDS answers come after the bootstrap), as a readiness probe would wait; so a
    // client that has only just started does not fail its first call on start-up alone.
    const bootstrap = join(podRootDir(l.lab.stateDir, cluster, 'sample', p.metadata.name), 'etc/istio/proxy/grpc-bootstrap.json');
    if (existsSync(bootstrap) && Date.now() - statSync(bootstrap).mtimeMs > 5_000) return samplePod(l, cluster, p.metadata.name);
  }
  return undefined;
}

/**
 * One echo client process per request (a new gRPC channel, so a new connection each time),
 * until stopped, from the cluster's newest client pod: a restarted client keeps calling, as a
 * rollout's new pod takes over (the Deployments have minReadySeconds, so the old pod stays
 * until the new one has served for a while).
 */
function trafficFrom(cluster: string): Traffic {
  const t: Traffic = { ok: 0, failed: [], stop: async () => undefined };
  let running = true;
  const once = (pod: LabPod) =>
    new Promise<void>((done) => {
      const child = spawn('ip', ['netns', 'exec', pod.netns, l.bins.echoClient, '--count', '1', '--timeout', '5s', HOST], {
        cwd: pod.root,
        env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', GRPC_XDS_BOOTSTRAP: join(pod.root, 'etc/istio/proxy/grpc-bootstrap.json'), GRPC_XDS_EXPERIMENTAL_SECURITY_SUPPORT: 'true' },
      });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (out += d.toString()));
      child.on('close', (code) => {
        if (code === 0 && out.includes('ServiceVersion=')) t.ok++;
        else t.failed.push(`${new Date().toISOString()} ${pod.name}: exit ${code}: ${out.trim().split('\n').slice(-3).join(' | ')}`);
        done();
      });
    });
  const loop = (async () => {
    while (running) {
      const pod = await newestClient(cluster);
      if (pod) await once(pod);
      await new Promise((r) => setTimeout(r, 200));
    }
  })();
  t.stop = async () => {
    running = false;
    await loop;
  };
  return t;
}

/**
 * `meshfed apply -o json` as its own process group, SIGKILLed as soon as `killWhen` holds
 * (polled every 100 ms); its JSON events up to the kill.
 */
function killedApply(killWhen: () => Promise<boolean>): Promise<{ events: string[] }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [BIN, 'apply', '-f', l.meshPath, '-o', 'json'], { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    const events: string[] = [];
    createInterface({ input: child.stdout }).on('line', (line) => events.push(line));
    const timer = setInterval(() => {
      void killWhen().then((yes) => {
        if (!yes) return;
        clearInterval(timer);
        try {
          process.kill(-child.pid!, 'SIGKILL');
        } catch {
          // gone
        }
      });
    }, 100);
    child.on('close', () => {
      clearInterval(timer);
      done({ events });
    });
  });
}

/** The ca-cert.pem a cluster's cacerts Secret holds now. */
async function liveCa(cluster: string): Promise<string> {
  const s = await getObject(k(cluster), { apiVersion: 'v1', kind: 'Secret', namespace: 'istio-system', name: 'cacerts' });
  return Buffer.from(((s as unknown as { data: Record<string, string> }).data['ca-cert.pem'] ?? ''), 'base64').toString('utf8');
}

async function withTraffic<T>(work: () => Promise<T>): Promise<{ result: T; traffic: Traffic[] }> {
  const traffic = CLUSTERS.map(trafficFrom);
  try {
    const result = await work();
    // a little traffic after, too
    await eventually('requests after the change', async () => (traffic.every((t) => t.ok > 5) ? true : undefined), 60_000);
    return { result, traffic };
  } finally {
    await Promise.all(traffic.map((t) => t.stop()));
  }
}

const expectNoFailure = (traffic: Traffic[]) => {
  for (const t of traffic) {
    expect(t.failed, t.failed.join('\n')).toEqual([]);
    expect(t.ok).toBeGreaterThan(5);
  }
};

/** `kubectl rollout restart`: what a user does, through the real Deployment controller. */
async function rolloutRestart(cluster: string, name: string): Promise<void> {
  await rawRequest(k(cluster), 'PATCH', `/apis/apps/v1/namespaces/sample/deployments/${name}`, { spec: { template: { metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': new Date().toISOString() } } } } }, { contentType: 'application/strategic-merge-patch+json' });
}

async function podNames(cluster: string, prefix: string): Promise<string[]> {
  const pods = (await listObjects(k(cluster), 'v1', 'Pod', { namespace: 'sample' })) as unknown as { metadata: { name: string; deletionTimestamp?: string } }[];
  return pods.filter((p) => p.metadata.name.startsWith(prefix) && !p.metadata.deletionTimestamp).map((p) => p.metadata.name);
}

async function istiodLog(cluster: string): Promise<string> {
  const pods = await listObjects(k(cluster), 'v1', 'Pod', { namespace: 'istio-system', labelSelector: 'app=istiod' });
  return (await Promise.all(pods.map((p) => readPodLog(k(cluster), 'istio-system', p.metadata.name, 'discovery')))).join('\n');
}

/**
 * A restart brings the new pod up first and keeps the old one until the new has been ready
 * 10 s: a lab pod is Ready at once (kwok runs no probes) while its agent still fetches a
 * certificate, so without this the old pod could go before the new one serves.
 */
function rollingSlowly(d: KubeObject): KubeObject {
  const spec = (d as unknown as { spec: Record<string, unknown> }).spec;
  spec['minReadySeconds'] = 10;
  spec['strategy'] = { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } };
  return d;
}

beforeAll(async () => {
  l = await startDataplaneLab('rotate', MESH);
  const strict = { apiVersion: 'security.istio.io/v1', kind: 'PeerAuthentication', metadata: { name: 'default', namespace: 'istio-system' }, spec: { mtls: { mode: 'STRICT' } } } as KubeObject;
  const mutual = { apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule', metadata: { name: 'helloworld', namespace: 'sample' }, spec: { host: 'helloworld.sample.svc.cluster.local', trafficPolicy: { tls: { mode: 'ISTIO_MUTUAL' } } } } as KubeObject;
  for (const c of CLUSTERS) for (const o of [sampleNamespace(), helloService(), serviceAccount('helloworld'), serviceAccount('sleep'), rollingSlowly(sleepClient()), strict, mutual]) await applyObject(k(c), o);
  await applyObject(k('cluster01'), rollingSlowly(helloworld('v1')));
  await applyObject(k('cluster02'), rollingSlowly(helloworld('v2')));
  // mTLS is on: a plaintext call to v2's pod is refused, and both versions answer over mTLS.
  const client = await samplePod(l, 'cluster01', 'sleep-');
  const v2 = await samplePod(l, 'cluster02', 'helloworld-v2-');
  await eventually('mTLS in force and both versions answering', async () => {
    const env = { PATH: process.env['PATH'] ?? '', GRPC_XDS_BOOTSTRAP: join(client.root, 'etc/istio/proxy/grpc-bootstrap.json'), GRPC_XDS_EXPERIMENTAL_SECURITY_SUPPORT: 'true' };
    const plain = spawnSync('ip', ['netns', 'exec', client.netns, l.bins.echoClient, '--count', '1', '--timeout', '3s', `grpc://${v2.ip}:5000`], { encoding: 'utf8', cwd: client.root, env });
    if (plain.stdout.includes('ServiceVersion=v2')) return undefined;
    const both = spawnSync('ip', ['netns', 'exec', client.netns, l.bins.echoClient, '--count', '20', '--qps', '10', '--timeout', '5s', HOST], { encoding: 'utf8', cwd: client.root, env });
    return both.stdout.includes('ServiceVersion=v1') && both.stdout.includes('ServiceVersion=v2') ? true : undefined;
  }, 180_000);
}, 600_000);

afterAll(async () => {
  await l?.down();
});

describe('intermediate rotation', () => {
  it('certs --rotate cluster01 + apply: istiod reloads it, apply names the workloads on the old intermediate, restarted workloads get certificates of the new one, and no request fails', async () => {
    const oldCa = certFile('cluster01', 'ca-cert.pem');
    const v1Before = (await podNames('cluster01', 'helloworld-v1-'))[0]!;
    expect(opensslVerify(await workloadChain('cluster01', v1Before), oldCa)).toBe(true);

    const { result, traffic } = await withTraffic(async () => {
      const certs = await runCli('certs', '-f', l.meshPath, '--rotate', 'cluster01');
      expect(certs.code, certs.stderr).toBe(0);
      expect(certs.stdout).toMatch(/cluster01\s+rotated/);
      const newCa = certFile('cluster01', 'ca-cert.pem');
      expect(newCa).not.toBe(oldCa);
      const apply = await runCli('apply', '-f', l.meshPath);
      expect(apply.code, apply.stderr + apply.stdout).toBe(0);
      // istiod itself says it took the new intermediate
      expect(await istiodLog('cluster01')).toContain(ISTIOD_RELOADED);
      expect(await istiodLog('cluster02')).not.toContain(ISTIOD_RELOADED);
      // every workload of cluster01 still holds a certificate of the old intermediate; apply names them
      const text = apply.stdout + apply.stderr;
      expect(text).toContain('istiod loaded it');
      for (const p of [...(await podNames('cluster01', 'helloworld-v1-')), ...(await podNames('cluster01', 'sleep-'))]) expect(text).toContain(`sample/${p}`);
      // a user restarts v1; its new pod's certificate comes from the new intermediate
      await rolloutRestart('cluster01', 'helloworld-v1');
      const fresh = await eventually('a restarted helloworld-v1 pod', async () => (await podNames('cluster01', 'helloworld-v1-')).find((n) => n !== v1Before), 120_000);
      await samplePod(l, 'cluster01', fresh);
      await eventually('the old helloworld-v1 pod gone', async () => ((await podNames('cluster01', 'helloworld-v1-')).includes(v1Before) ? undefined : true), 120_000);
      const chain = await workloadChain('cluster01', fresh);
      return { newCa, chain, fresh };
    });
    expectNoFailure(traffic);
    expect(opensslVerify(result.chain, result.newCa)).toBe(true);
    expect(opensslVerify(result.chain, oldCa)).toBe(false);
    // the next apply names only what still runs on the old intermediate: the client, not v1
    const again = await runCli('apply', '-f', l.meshPath);
    expect(again.code, again.stderr).toBe(0);
    const text = again.stdout + again.stderr;
    expect(text).toMatch(/1 of 2 workloads still hold a certificate from an earlier intermediate: sample\/sleep-/);
    expect(text).not.toContain(`sample/${result.fresh}`);
  }, 300_000);

  it('an apply killed after cacerts changed but before istiod loaded it is completed by the next run', async () => {
    const certs = await runCli('certs', '-f', l.meshPath, '--rotate', 'cluster02');
    expect(certs.code, certs.stderr).toBe(0);
    const newCa = certFile('cluster02', 'ca-cert.pem');
    const { traffic } = await withTraffic(async () => {
      const killed = await killedApply(async () => (await liveCa('cluster02')) === newCa);
      // killed before its cacerts step of cluster02 finished
      expect(killed.events.some((e) => e.includes('"cacerts') && e.includes('cluster02') && e.includes('"done"'))).toBe(false);
      expect(await liveCa('cluster02')).toBe(newCa);
      const next = await runCli('apply', '-f', l.meshPath);
      expect(next.code, next.stderr).toBe(0);
      expect(next.stdout + next.stderr).toMatch(/cluster02[^\n]*istiod loaded it/);
      expect(await istiodLog('cluster02')).toContain(ISTIOD_RELOADED);
    });
    expectNoFailure(traffic);
  }, 300_000);
});

/**
 * Restarts every sample Deployment: the clients of both clusters at once, then each server
 * alone (v1, then v2), so one version serves while the other moves; each restart is done when
 * its new pod serves and the old one is gone.
 */
async function restartAll(): Promise<void> {
  const restart = async (moves: [string, string][]) => {
    const before = new Map<string, string[]>();
    for (const [c, n] of moves) before.set(`${c}/${n}`, await podNames(c, `${n}-`));
    for (const [c, n] of moves) await rolloutRestart(c, n);
    for (const [c, n] of moves) {
      const old = before.get(`${c}/${n}`)!;
      const fresh = await eventually(`${c}: a restarted ${n} pod`, async () => (await podNames(c, `${n}-`)).find((p) => !old.includes(p)), 120_000);
      await samplePod(l, c, fresh);
      await eventually(`${c}: the old ${n} pod gone`, async () => ((await podNames(c, `${n}-`)).some((p) => old.includes(p)) ? undefined : true), 120_000);
    }
  };
  await restart([['cluster01', 'sleep'], ['cluster02', 'sleep']]);
  await restart([['cluster01', 'helloworld-v1']]);
  await restart([['cluster02', 'helloworld-v2']]);
}

const rootsIn = (pem: string) => (pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n?/g) ?? []).map((b) => b.trim());

async function liveRoots(cluster: string): Promise<{ cacerts: string[]; configMap: string[] }> {
  const s = await getObject(k(cluster), { apiVersion: 'v1', kind: 'Secret', namespace: 'istio-system', name: 'cacerts' });
  const cm = await getObject(k(cluster), { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'sample', name: 'istio-ca-root-cert' });
  return { cacerts: rootsIn(Buffer.from((s as unknown as { data: Record<string, string> }).data['root-cert.pem'] ?? '', 'base64').toString('utf8')), configMap: rootsIn((cm as unknown as { data: Record<string, string> }).data['root-cert.pem'] ?? '') };
}

describe('root rotation', () => {
  it('certs --rotate-root + apply, stage by stage (trust-both, reissue, drop-old, done): gates hold, status shows the stage, no request fails, and at the end every workload chains to the new root and the old root is in no cluster', async () => {
    const oldRoot = certFile('.', 'root-cert.pem').trim();
    const step = async (stage: string) => {
      const certs = await runCli('certs', '-f', l.meshPath, '--rotate-root');
      expect(certs.code, certs.stderr).toBe(0);
      expect(certs.stdout).toContain(`-> ${stage}`);
      const status = await runCli('status', '-f', l.meshPath, '-o', 'json');
      expect((JSON.parse(status.stdout) as { rootRotation?: { stage: string } }).rootRotation?.stage).toBe(stage);
      if (stage === 'reissue') expect((await runCli('status', '-f', l.meshPath)).stdout).toContain('root rotation: stage 2/3 reissue');
    };
    const apply = async () => {
      const r = await runCli('apply', '-f', l.meshPath);
      return { code: r.code, text: r.stdout + r.stderr };
    };
    const { result, traffic } = await withTraffic(async () => {
      await step('trust-both');
      const newRoot = certFile('.', 'next-root-cert.pem').trim();
      const a = await apply();
      expect(a.code, a.text).toBe(0);
      for (const c of CLUSTERS) {
        expect(await istiodLog(c)).toContain('Updating new ROOT-CA');
        expect((await liveRoots(c)).cacerts).toEqual([oldRoot, newRoot]);
        await eventually(`${c}: istio-ca-root-cert holds both roots`, async () => ((await liveRoots(c)).configMap.length === 2 ? true : undefined), 60_000);
      }
      // doctor judges cacerts by the stage: a mesh in trust-both is not an error
      const doc = await runCli('doctor', '-f', l.meshPath, '--check', 'MF4041', '--check', 'MF4043', '--no-analyze', '-o', 'json');
      const trustFindings = (JSON.parse(doc.stdout) as { clusters: { findings: { code: string; severity: string; evidence: string }[] }[] }).clusters.flatMap((c) => c.findings).filter((f) => f.code === 'MF4041' || f.code === 'MF4043');
      expect(trustFindings.map((f) => `${f.code} ${f.severity}`), doc.stdout).toEqual(['MF4041 ok', 'MF4043 ok', 'MF4041 ok', 'MF4043 ok']);
      expect(trustFindings[0]!.evidence).toContain('trust-both');
      await step('reissue');
      // the gate: the workloads started before trust-both do not trust the new root yet
      const blocked = await apply();
      expect(blocked.code).not.toBe(0);
      expect(blocked.text).toContain('MF8021');
      expect(blocked.text).toContain('do not trust the new root yet');
      await restartAll();
      // Reissue rolls one cluster at a time. An apply killed once cluster01's cacerts changed
      // (its istiod not yet on the new intermediate) has not touched cluster02's; the next run
      // completes it: cluster01's istiod loads it, and only then does cluster02's cacerts change.
      const reissued = Object.fromEntries(CLUSTERS.map((c) => [c, certFile(c, 'ca-cert.pem')]));
      const before02 = await liveCa('cluster02');
      const killed = await killedApply(async () => (await liveCa('cluster01')) === reissued['cluster01']);
      expect(killed.events.some((e) => e.includes('"cacerts:cluster01"') && e.includes('"finish"'))).toBe(false);
      expect(await liveCa('cluster02')).toBe(before02);
      const b = await runCli('apply', '-f', l.meshPath, '-o', 'json');
      expect(b.code, b.stderr).toBe(0);
      expect(b.stderr).toContain('cacerts rolls one cluster at a time, cluster01 → cluster02');
      const events = b.stdout.trim().split('\n').map((line) => JSON.parse(line) as { type: string; step: string; changed?: boolean; detail?: string });
      const at = (type: string, step: string) => events.findIndex((e) => e.type === type && e.step === step);
      const first = events[at('finish', 'cacerts:cluster01')]!;
      expect(first.changed).toBe(false);
      expect(first.detail).toContain('istiod loaded it');
      expect(at('finish', 'cacerts:cluster01')).toBeLessThan(at('start', 'cacerts:cluster02'));
      expect(events[at('finish', 'cacerts:cluster02')]!.changed).toBe(true);
      for (const c of CLUSTERS) expect(await liveCa(c)).toBe(reissued[c]);
      // the gate again: every workload still holds a certificate of the old root
      await step('drop-old');
      const blocked2 = await apply();
      expect(blocked2.code).not.toBe(0);
      expect(blocked2.text).toContain('still hold a certificate of the old root');
      // nor may the rotation end (the old root's key removed) while drop-old is in force nowhere
      const early = await runCli('certs', '-f', l.meshPath, '--rotate-root');
      expect(early.code).not.toBe(0);
      const earlyText = early.stdout + early.stderr;
      expect(earlyText).toContain('MF8022');
      for (const c of CLUSTERS) expect(earlyText).toContain(`${c}: its cacerts is not stage drop-old's yet`);
      expect(earlyText).toMatch(/cluster01: \d+ workloads still hold a certificate chaining to the old root: cluster01\/sample\//);
      expect(existsSync(join(l.dir, 'certs', 'previous-root-key.pem'))).toBe(true);
      await restartAll();
      const c3 = await apply();
      expect(c3.code, c3.text).toBe(0);
      await restartAll(); // so no workload's trust file keeps the old root either
      return { newRoot };
    });
    expectNoFailure(traffic);
    for (const c of CLUSTERS) {
      const live = await liveRoots(c);
      expect(live.cacerts).toEqual([result.newRoot]);
      await eventually(`${c}: istio-ca-root-cert holds the new root only`, async () => {
        const r = await liveRoots(c);
        return r.configMap.length === 1 && r.configMap[0] === result.newRoot ? true : undefined;
      }, 60_000);
      for (const prefix of ['sleep-', c === 'cluster01' ? 'helloworld-v1-' : 'helloworld-v2-']) {
        const pod = (await podNames(c, prefix))[0]!;
        const chain = await workloadChain(c, pod);
        expect(opensslVerify(chain, result.newRoot + '\n'), `${c}/${pod}`).toBe(true);
        expect(opensslVerify(chain, oldRoot + '\n'), `${c}/${pod}`).toBe(false);
        const p = await samplePod(l, c, pod);
        expect(rootsIn(readFileSync(join(p.root, 'var/lib/istio/data/root-cert.pem'), 'utf8'))).toEqual([result.newRoot]);
      }
    }
    const done = await runCli('certs', '-f', l.meshPath, '--rotate-root');
    expect(done.code, done.stderr).toBe(0);
    expect(done.stdout).toContain('checked: stage drop-old is in force in cluster01, cluster02; 4 workloads checked, none chains to the old root');
    expect(done.stdout).toContain('removed previous-root-key.pem');
    expect(existsSync(join(l.dir, 'certs', 'previous-root-key.pem'))).toBe(false);
  }, 900_000);
});
