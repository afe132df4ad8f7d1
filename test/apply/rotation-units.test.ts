/**
 * The pure parts of CA rotation: whether istiod's log says it loaded cacerts since it changed,
 * when meshfed last changed an object, which intermediate issued a workload certificate, and
 * which volume files the lab's kubelet stand-in rewrites.
 */
import { describe, expect, it } from 'vitest';
import { ISTIOD_CACERTS_EVENT, ISTIOD_RELOADED, lastChangedAt, reloadStateFromLog, settledWithoutEvent, volumeSyncMs } from '../../src/apply/istiodReload.js';
import { bootstrapCertificateFiles, certState, inMesh } from '../../src/apply/workloadCerts.js';
import { volumeUpdates } from '../../src/lab/podSpec.js';
import { chainsToRoot, createIntermediateCA, createRootCA, issuedBy } from '../../src/pki/index.js';
import { holdsRoot, stageBlockers } from '../../src/apply/rootStageGate.js';
import { rotationEndBlockers } from '../../src/apply/rootRotationEnd.js';
import type { KubeObject } from '../../src/kube/index.js';

const CHANGED = new Date('2026-12-02T04:00:10Z');
const line = (at: string, text: string) => `${at}\tinfo\t${text}`;

describe('reloadStateFromLog', () => {
  it('an istiod started at or after the change loaded it at start, whatever its log says', () => {
    expect(reloadStateFromLog('', CHANGED, new Date('2026-12-02T04:00:10Z'))).toEqual({ kind: 'loaded', how: 'started after the change' });
  });
  it('is pending until the reload line appears after the change; a line from before does not count', () => {
    const started = new Date('2026-12-02T03:00:00Z');
    const before = line('2026-12-02T04:00:09.999999Z', ISTIOD_RELOADED);
    expect(reloadStateFromLog(before, CHANGED, started)).toEqual({ kind: 'pending', sawEvent: false });
    expect(reloadStateFromLog(`${before}\n${line('2026-12-02T04:00:30.1Z', ISTIOD_RELOADED)}`, CHANGED, started)).toEqual({ kind: 'loaded', how: 'reloaded' });
  });
  it('reports a refusal with its line, and the last word wins', () => {
    const started = new Date('2026-12-02T03:00:00Z');
    const refused = line('2026-12-02T04:00:20Z', 'Multi root is disabled, updating new ROOT-CA not supported');
    expect(reloadStateFromLog(refused, CHANGED, started)).toEqual({ kind: 'refused', line: refused });
    expect(reloadStateFromLog(`${refused}\n${line('2026-12-02T04:01:00Z', ISTIOD_RELOADED)}`, CHANGED, started).kind).toBe('loaded');
  });
  it('reads the time of JSON lines (global.logAsJson), so a refusal there is seen too', () => {
    const started = new Date('2026-12-02T03:00:00Z');
    const json = (at: string, level: string, msg: string) => JSON.stringify({ level, time: at, msg });
    const refused = json('2026-12-02T04:00:20.104239Z', 'warn', 'Updating new ROOT-CA not supported');
    expect(reloadStateFromLog(`${json('2026-12-02T04:00:20.103889Z', 'info', ISTIOD_CACERTS_EVENT)}\n${refused}`, CHANGED, started)).toEqual({ kind: 'refused', line: refused });
    expect(reloadStateFromLog(json('2026-12-02T04:00:21Z', 'info', ISTIOD_RELOADED), CHANGED, started)).toEqual({ kind: 'loaded', how: 'reloaded' });
    expect(reloadStateFromLog(json('2026-12-02T04:00:09Z', 'info', ISTIOD_RELOADED), CHANGED, started)).toEqual({ kind: 'pending', sawEvent: false });
    // A refusal in the second of the change (managedFields has whole seconds) may be about the content before it: marked early; a later reload still wins.
    const early = json('2026-12-02T04:00:10.2Z', 'warn', 'Updating new ROOT-CA not supported');
    expect(reloadStateFromLog(early, CHANGED, started)).toEqual({ kind: 'refused', line: early, early: true });
    expect(reloadStateFromLog(`${early}\n${json('2026-12-02T04:00:12Z', 'info', ISTIOD_RELOADED)}`, CHANGED, started).kind).toBe('loaded');
    expect(reloadStateFromLog(`{"msg":"${ISTIOD_RELOADED}"}\n{not json ${ISTIOD_RELOADED}`, CHANGED, started)).toEqual({ kind: 'pending', sawEvent: false });
  });
  it('ignores lines without a time', () => {
    expect(reloadStateFromLog(`garbage ${ISTIOD_RELOADED}`, CHANGED, undefined)).toEqual({ kind: 'pending', sawEvent: false });
  });
});

describe('settledWithoutEvent', () => {
  const started = new Date('2026-12-02T03:00:00Z');
  const after = (s: number) => new Date(CHANGED.getTime() + s * 1000);
  it('an istiod that logged no change of its files for the volume sync time has nothing to load (the Secret was put back as the pod already held it)', () => {
    const quiet = reloadStateFromLog('', CHANGED, started);
    expect(settledWithoutEvent(quiet, CHANGED, after(14), volumeSyncMs(true))).toEqual({ kind: 'pending', sawEvent: false });
    expect(settledWithoutEvent(quiet, CHANGED, after(15), volumeSyncMs(true))).toEqual({ kind: 'loaded', how: 'files unchanged' });
    // a real kubelet may take its sync period plus its cache TTL
    expect(settledWithoutEvent(quiet, CHANGED, after(119), volumeSyncMs(false)).kind).toBe('pending');
  });
  it('once istiod logged that its files changed, only its verdict ends the wait', () => {
    const seen = reloadStateFromLog(line('2026-12-02T04:00:20Z', ISTIOD_CACERTS_EVENT), CHANGED, started);
    expect(seen).toEqual({ kind: 'pending', sawEvent: true });
    expect(settledWithoutEvent(seen, CHANGED, after(600), volumeSyncMs(true))).toEqual(seen);
    const refused = reloadStateFromLog(`${line('2026-12-02T04:00:20Z', ISTIOD_CACERTS_EVENT)}\n${line('2026-12-02T04:00:20Z', 'Updating new ROOT-CA not supported')}`, CHANGED, started);
    expect(settledWithoutEvent(refused, CHANGED, after(600), volumeSyncMs(true)).kind).toBe('refused');
  });
});

describe('lastChangedAt', () => {
  it("is the newest time of the manager's managedFields entries, undefined without one", () => {
    const o = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'cacerts', managedFields: [
      { manager: 'meshfed', time: '2026-12-02T04:00:10Z' },
      { manager: 'kubectl', time: '2026-12-02T05:00:00Z' },
      { manager: 'meshfed', time: '2026-12-02T04:30:00Z' },
    ] } } as unknown as KubeObject;
    expect(lastChangedAt(o, 'meshfed')?.toISOString()).toBe('2026-12-02T04:30:00.000Z');
    expect(lastChangedAt(o, 'helm')).toBeUndefined();
  });
});

describe('issuedBy / certState', () => {
  it('tells the intermediate that signed a certificate from another of the same root and name', async () => {
    const deps = { now: () => new Date() };
    const root = await createRootCA({ keyAlgorithm: 'ecdsa-p256' }, deps);
    const old = await createIntermediateCA(root, 'cluster01', { keyAlgorithm: 'ecdsa-p256' }, deps);
    const fresh = await createIntermediateCA(root, 'cluster01', { keyAlgorithm: 'ecdsa-p256' }, deps);
    // an intermediate's own chain starts with a certificate the root issued
    expect(issuedBy(old.certChainPem, root.certPem)).toBe(true);
    expect(issuedBy(old.caCertPem, fresh.caCertPem)).toBe(false);
    // a certificate issued by the old intermediate; the fresh one has the same subject
    // (O=Istio, CN=Intermediate CA, L=cluster01) and another key: the signature decides
    const leaf = await createIntermediateCA({ certPem: old.caCertPem, keyPem: old.caKeyPem }, 'workload', { keyAlgorithm: 'ecdsa-p256' }, deps);
    expect(issuedBy(leaf.caCertPem, old.caCertPem)).toBe(true);
    expect(issuedBy(leaf.caCertPem, fresh.caCertPem)).toBe(false);
    expect(certState(leaf.certChainPem, old.caCertPem)).toBe('current');
    expect(certState(leaf.certChainPem, fresh.caCertPem)).toBe('previous');
    expect(issuedBy('not a pem', root.certPem)).toBe(false);
  });
});

describe('volumeUpdates', () => {
  it('returns the new and changed files only', () => {
    const prev = [{ path: 'etc/cacerts/ca-cert.pem', content: 'a', mode: 0o600 }, { path: 'etc/cacerts/root-cert.pem', content: 'r', mode: 0o600 }];
    const next = [{ path: 'etc/cacerts/ca-cert.pem', content: 'b', mode: 0o600 }, { path: 'etc/cacerts/root-cert.pem', content: 'r', mode: 0o600 }, { path: 'etc/cacerts/new.pem', content: 'n', mode: 0o600 }];
    expect(volumeUpdates(prev, next).map((f) => f.path)).toEqual(['etc/cacerts/ca-cert.pem', 'etc/cacerts/new.pem']);
    expect(volumeUpdates(next, next)).toEqual([]);
  });
});

describe('inMesh / bootstrapCertificateFiles', () => {
  const pod = (containers: string[], labels: Record<string, string> = {}) => ({ metadata: { name: 'p', namespace: 'sample', labels }, spec: { containers: containers.map((name) => ({ name })) } });
  const ns = (labels: Record<string, string>) => ({ metadata: { name: 'sample', labels } });
  it('a pod is in the mesh when it carries the agent or its namespace asks for injection and it does not opt out', () => {
    expect(inMesh(pod(['app', 'istio-proxy']), undefined)).toBe(true);
    expect(inMesh(pod(['app']), ns({ 'istio-injection': 'enabled' }))).toBe(true);
    expect(inMesh(pod(['app']), ns({ 'istio.io/rev': 'canary' }))).toBe(true);
    expect(inMesh(pod(['app'], { 'sidecar.istio.io/inject': 'false' }), ns({ 'istio-injection': 'enabled' }))).toBe(false);
    expect(inMesh(pod(['app']), ns({}))).toBe(false);
  });
  it("reads file_watcher's certificate_file from a gRPC xDS bootstrap, undefined otherwise", () => {
    const b = JSON.stringify({ xds_servers: [], certificate_providers: { default: { plugin_name: 'file_watcher', config: { certificate_file: '/var/lib/istio/data/cert-chain.pem', private_key_file: '/var/lib/istio/data/key.pem', ca_certificate_file: '/var/lib/istio/data/root-cert.pem' } } } });
    expect(bootstrapCertificateFiles(b)).toEqual({ cert: '/var/lib/istio/data/cert-chain.pem', ca: '/var/lib/istio/data/root-cert.pem' });
    expect(bootstrapCertificateFiles('{}')).toBeUndefined();
    expect(bootstrapCertificateFiles('not json')).toBeUndefined();
  });
});

/**
 * A root rotation's certificates: the old and the new root, cluster01's intermediate of each,
 * and a workload leaf under each (CA-shaped, which chainsToRoot does not mind).
 */
async function twoRoots() {
  const deps = { now: () => new Date() };
  const opts = { keyAlgorithm: 'ecdsa-p256' as const };
  const oldRoot = await createRootCA(opts, deps);
  const newRoot = await createRootCA(opts, deps);
  const oldCa = await createIntermediateCA(oldRoot, 'cluster01', opts, deps);
  const newCa = await createIntermediateCA(newRoot, 'cluster01', opts, deps);
  const oldLeaf = await createIntermediateCA({ certPem: oldCa.caCertPem, keyPem: oldCa.caKeyPem }, 'w', opts, deps);
  const newLeaf = await createIntermediateCA({ certPem: newCa.caCertPem, keyPem: newCa.caKeyPem }, 'w', opts, deps);
  return { oldRoot, newRoot, oldCa, newCa, oldLeaf, newLeaf };
}

describe('root stage gate (chainsToRoot, holdsRoot, stageBlockers)', () => {
  it('blocks reissue on a workload not trusting the new root, and drop-old on a certificate of the old root', async () => {
    const { oldRoot, newRoot, oldCa, newCa, oldLeaf, newLeaf } = await twoRoots();
    const oldChain = oldLeaf.caCertPem + oldCa.caCertPem;
    const newChain = newLeaf.caCertPem + newCa.caCertPem + newRoot.certPem;
    expect(chainsToRoot(oldChain, oldRoot.certPem)).toBe(true);
    expect(chainsToRoot(oldChain, newRoot.certPem)).toBe(false);
    expect(chainsToRoot(newChain, newRoot.certPem)).toBe(true);
    expect(chainsToRoot(newChain, oldRoot.certPem)).toBe(false);
    expect(chainsToRoot(newChain, oldRoot.certPem + newRoot.certPem)).toBe(true);
    expect(holdsRoot(oldRoot.certPem + newRoot.certPem, newRoot.certPem)).toBe(true);
    expect(holdsRoot(oldRoot.certPem, newRoot.certPem)).toBe(false);
    const roots = { old: oldRoot.certPem, new: newRoot.certPem };
    const w = (pod: string, chainPem: string | undefined, rootsPem?: string) => ({ cluster: 'c1', namespace: 'sample', pod, state: 'current' as const, ...(chainPem ? { chainPem } : {}), ...(rootsPem ? { rootsPem } : {}) });
    const workloads = [w('a', oldChain, oldRoot.certPem), w('b', oldChain, oldRoot.certPem + newRoot.certPem), w('c', newChain, newRoot.certPem), w('envoy', undefined)];
    expect(stageBlockers('reissue', workloads, roots)).toEqual({ blocking: ['c1/sample/a'], unreadable: ['c1/sample/envoy'] });
    expect(stageBlockers('drop-old', workloads, roots)).toEqual({ blocking: ['c1/sample/a', 'c1/sample/b'], unreadable: ['c1/sample/envoy'] });
  });
});

describe('rotationEndBlockers (the last certs --rotate-root, before the old root key goes)', () => {
  it('ends only when every cluster has drop-old in force, loaded by istiod, and no workload chains to the old root; names each cluster and workload in the way', async () => {
    const { oldRoot, newRoot, oldCa, newCa, oldLeaf, newLeaf } = await twoRoots();
    const roots = { old: oldRoot.certPem, new: newRoot.certPem };
    const w = (pod: string, chainPem?: string) => ({ namespace: 'sample', pod, state: 'current' as const, ...(chainPem ? { chainPem } : {}) });
    const fresh = w('v1', newLeaf.caCertPem + newCa.caCertPem + newRoot.certPem);
    const stale = w('sleep', oldLeaf.caCertPem + oldCa.caCertPem);
    const done = { cluster: 'cluster01', shipped: true, notLoaded: [], workloads: [fresh, w('envoy')] };
    // in force everywhere: nothing in the way (an unreadable Envoy pod does not block, as in apply's gate)
    expect(rotationEndBlockers([done, { ...done, cluster: 'cluster02' }], roots)).toEqual([]);
    expect(rotationEndBlockers([done, { cluster: 'cluster02', shipped: false, workloads: [stale] }, { cluster: 'cluster03', shipped: true, notLoaded: ['istiod-x: pending'], workloads: [] }, { cluster: 'cluster04', error: 'connect ECONNREFUSED' }], roots)).toEqual([
      "cluster02: its cacerts is not stage drop-old's yet (apply has not shipped it there)",
      'cluster02: 1 workloads still hold a certificate chaining to the old root: cluster02/sample/sleep',
      "cluster03: istiod has not loaded stage drop-old's cacerts yet (istiod-x: pending)",
      'cluster04: cannot be read (connect ECONNREFUSED)',
    ]);
    // a workload of the old root blocks even where drop-old is in force
    expect(rotationEndBlockers([{ ...done, workloads: [fresh, stale] }], roots)).toEqual(['cluster01: 1 workloads still hold a certificate chaining to the old root: cluster01/sample/sleep']);
  });
});
