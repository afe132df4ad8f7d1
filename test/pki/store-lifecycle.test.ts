import { chmod, cp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ensureTrust,
  loadRoot,
  PKI_ERROR_CODES,
  readIntermediate,
  type EnsureTrustRequest,
  type TrustOptions,
} from '../../src/pki/index.js';
import { DAY_MS, expectPkiError, mode, openssl, opensslOk, pemCertificates, snapshot, removeTempDirs, tempDir } from './helpers.js';

// The algorithm does not matter for these behaviours, so use fast RSA-2048 keys,
// generate two hierarchies once and copy them per test.
const OPTIONS: Partial<TrustOptions> = { keyAlgorithm: 'rsa-2048' };
const CLUSTERS = ['cluster01', 'cluster02'];
let base: string;
let foreign: string;

beforeAll(async () => {
  base = join(await tempDir('base'), 'certs');
  foreign = join(await tempDir('foreign'), 'certs');
  await ensureTrust({ rootDir: base, clusters: CLUSTERS, options: OPTIONS });
  await ensureTrust({ rootDir: foreign, clusters: CLUSTERS, options: OPTIONS });
}, 60_000);

afterAll(removeTempDirs);

async function copyOf(source: string): Promise<string> {
  const dir = join(await tempDir('copy'), 'certs');
  await cp(source, dir, { recursive: true });
  return dir;
}

const run = (rootDir: string, extra: Partial<EnsureTrustRequest> = {}) =>
  ensureTrust({ rootDir, clusters: CLUSTERS, options: OPTIONS, ...extra });

const verifies = (rootDir: string, cluster: string) =>
  openssl('verify', '-CAfile', join(rootDir, 'root-cert.pem'), join(rootDir, cluster, 'ca-cert.pem')).status === 0;

describe('re-running', () => {
  it('keeps every file byte for byte and says so', async () => {
    const dir = await copyOf(base);
    const before = await snapshot(dir);
    const report = await run(dir);
    expect(report.root.action).toBe('kept');
    expect(report.clusters.map((c) => c.action)).toEqual(['kept', 'kept']);
    expect(report.warnings).toEqual([]);
    expect(await snapshot(dir)).toEqual(before);
  });

  it('adds a new cluster under the existing root without touching the others', async () => {
    const dir = await copyOf(base);
    const before = await snapshot(dir);
    const report = await ensureTrust({ rootDir: dir, clusters: [...CLUSTERS, 'cluster03'], options: OPTIONS });
    expect(report.clusters.map((c) => c.action)).toEqual(['kept', 'kept', 'created']);
    const after = await snapshot(dir);
    for (const [path, bytes] of before) expect(after.get(path), path).toBe(bytes);
    expect(verifies(dir, 'cluster03')).toBe(true);
  });

  it('warns about a kept key that others can read, without changing it', async () => {
    const dir = await copyOf(base);
    await chmod(join(dir, 'cluster01', 'ca-key.pem'), 0o644);
    const report = await run(dir);
    expect(report.warnings).toHaveLength(1);
    expect(report.warnings[0]).toContain(join(dir, 'cluster01', 'ca-key.pem'));
    expect(await mode(join(dir, 'cluster01', 'ca-key.pem'))).toBe(0o644);
  });
});

describe('rotation', () => {
  it("re-issues only that cluster's intermediate, under the same root", async () => {
    const dir = await copyOf(base);
    await chmod(join(dir, 'cluster02', 'ca-key.pem'), 0o644); // rotation must also fix a loose mode
    await chmod(join(dir, 'cluster02'), 0o755);
    const before = await snapshot(dir);
    const report = await run(dir, { rotate: ['cluster02'] });
    expect(report.root.action).toBe('kept');
    expect(report.clusters).toEqual([
      { cluster: 'cluster01', action: 'kept' },
      { cluster: 'cluster02', action: 'rotated' },
    ]);

    const after = await snapshot(dir);
    const changed = [...after.keys()].filter((k) => after.get(k) !== before.get(k)).sort();
    expect(changed).toEqual(['cluster02/ca-cert.pem', 'cluster02/ca-key.pem', 'cluster02/cert-chain.pem']);
    expect([...after.keys()].sort()).toEqual([...before.keys()].sort()); // no stray temp files

    expect(verifies(dir, 'cluster02')).toBe(true);
    expect(opensslOk('verify', '-CAfile', join(dir, 'root-cert.pem'), join(dir, 'cluster02', 'cert-chain.pem'))).toContain(': OK');
    const chain = pemCertificates(await readFile(join(dir, 'cluster02', 'cert-chain.pem'), 'utf8'));
    expect(chain).toEqual([
      await readFile(join(dir, 'cluster02', 'ca-cert.pem'), 'utf8'),
      await readFile(join(dir, 'root-cert.pem'), 'utf8'),
    ]);
    expect(opensslOk('pkey', '-in', join(dir, 'cluster02', 'ca-key.pem'), '-pubout')).toBe(
      opensslOk('x509', '-in', join(dir, 'cluster02', 'ca-cert.pem'), '-pubkey', '-noout'),
    );
    expect(await mode(join(dir, 'cluster02', 'ca-key.pem'))).toBe(0o600);
    // The folder existed: its mode is the user's, not rotation's to change (the key in it is 0600).
    expect(await mode(join(dir, 'cluster02'))).toBe(0o755);
  });

  it('rejects rotating a cluster that is not in the mesh', async () => {
    const dir = await copyOf(base);
    const before = await snapshot(dir);
    const error = await expectPkiError(run(dir, { rotate: ['cluster09'] }), PKI_ERROR_CODES.unknownRotateCluster);
    expect(error.message).toContain('cluster09');
    expect(error.hint).toContain('cluster01');
    expect(await snapshot(dir)).toEqual(before);
  });

  it('rejects rotating when there is no root, and writes nothing', async () => {
    const dir = join(await tempDir('noroot'), 'certs');
    const error = await expectPkiError(run(dir, { rotate: ['cluster01'] }), PKI_ERROR_CODES.rootMissing);
    expect(error.hint).toMatch(/without rotate/);
    await expect(readFile(join(dir, 'root-cert.pem'))).rejects.toThrow(/ENOENT/);
  });
});

describe('damaged trust folders', () => {
  it('refuses a partial cluster bundle before writing anything, naming the file and the fix', async () => {
    const dir = await copyOf(base);
    await rm(join(dir, 'cluster01', 'ca-key.pem'));
    const before = await snapshot(dir);
    const error = await expectPkiError(
      ensureTrust({ rootDir: dir, clusters: [...CLUSTERS, 'cluster03'], options: OPTIONS }),
      PKI_ERROR_CODES.bundleIncomplete,
    );
    expect(error.message).toContain(join(dir, 'cluster01', 'ca-key.pem'));
    expect(error.message).toContain('incomplete signing CA bundle detected');
    expect(error.hint).toContain('--rotate cluster01');
    expect(await snapshot(dir)).toEqual(before); // cluster03 was not created either

    const fixed = await run(dir, { rotate: ['cluster01'] });
    expect(fixed.clusters[0]).toEqual({ cluster: 'cluster01', action: 'rotated' });
    expect(verifies(dir, 'cluster01')).toBe(true);
  });

  it('refuses a root certificate without its key', async () => {
    const dir = await copyOf(base);
    await rm(join(dir, 'root-key.pem'));
    const error = await expectPkiError(run(dir), PKI_ERROR_CODES.rootIncomplete);
    expect(error.message).toContain(join(dir, 'root-key.pem'));
    expect(error.path).toBe(join(dir, 'root-key.pem'));
    await expectPkiError(loadRoot(dir), PKI_ERROR_CODES.rootIncomplete);
  });

  it('refuses a root key without its certificate', async () => {
    const dir = await copyOf(base);
    await rm(join(dir, 'root-cert.pem'));
    const error = await expectPkiError(run(dir), PKI_ERROR_CODES.rootIncomplete);
    expect(error.message).toContain(join(dir, 'root-cert.pem'));
  });

  it('refuses cluster bundles whose root is gone instead of minting a new root', async () => {
    const dir = await copyOf(base);
    await rm(join(dir, 'root-cert.pem'));
    await rm(join(dir, 'root-key.pem'));
    await expectPkiError(run(dir), PKI_ERROR_CODES.rootMissing);
    await expect(readFile(join(dir, 'root-cert.pem'))).rejects.toThrow(/ENOENT/);
  });

  it('refuses an intermediate from another root and lets rotation fix it', async () => {
    const dir = await copyOf(base);
    await rm(join(dir, 'cluster02'), { recursive: true });
    await cp(join(foreign, 'cluster02'), join(dir, 'cluster02'), { recursive: true });
    expect(verifies(dir, 'cluster02')).toBe(false); // openssl agrees it does not chain

    const error = await expectPkiError(run(dir), PKI_ERROR_CODES.chainMismatch);
    expect(error.message).toContain('cluster02');
    expect(error.hint).toContain('--rotate cluster02');

    await run(dir, { rotate: ['cluster02'] });
    expect(verifies(dir, 'cluster02')).toBe(true);
    expect(await readFile(join(dir, 'cluster02', 'root-cert.pem'), 'utf8')).toBe(await readFile(join(dir, 'root-cert.pem'), 'utf8'));
  });

  it('refuses a bundle whose cert-chain.pem is in the wrong order', async () => {
    const dir = await copyOf(base);
    const chainPath = join(dir, 'cluster01', 'cert-chain.pem');
    const [ca, root] = pemCertificates(await readFile(chainPath, 'utf8'));
    await writeFile(chainPath, `${root ?? ''}${ca ?? ''}`);
    await expectPkiError(run(dir), PKI_ERROR_CODES.chainMismatch);
  });

  it("refuses a cluster key that does not belong to the cluster's certificate", async () => {
    const dir = await copyOf(base);
    await cp(join(dir, 'cluster02', 'ca-key.pem'), join(dir, 'cluster01', 'ca-key.pem'));
    const error = await expectPkiError(run(dir), PKI_ERROR_CODES.keyMismatch);
    expect(error.path).toBe(join(dir, 'cluster01', 'ca-key.pem'));
    expect(error.hint).toContain('--rotate cluster01');
  });

  it('refuses a root key that does not belong to the root certificate', async () => {
    const dir = await copyOf(base);
    await cp(join(foreign, 'root-key.pem'), join(dir, 'root-key.pem'));
    await expectPkiError(run(dir), PKI_ERROR_CODES.keyMismatch);
  });

  it('never echoes key file contents in errors', async () => {
    const dir = await copyOf(base);
    const secret = 'TOPSECRETKEYMATERIAL0123456789';
    await writeFile(join(dir, 'root-key.pem'), `-----BEGIN PRIVATE KEY-----\n${secret}\n-----END PRIVATE KEY-----\n`);
    const error = await expectPkiError(run(dir), PKI_ERROR_CODES.malformedPem);
    expect(`${error.message} ${error.hint} ${error.stack ?? ''}`).not.toContain(secret);
    expect(error.message).toContain('root-key.pem');
  });
});

describe('reading back', () => {
  it('readIntermediate returns the files that istiod will get', async () => {
    const bundle = await readIntermediate(base, 'cluster01');
    expect(bundle).toEqual({
      cluster: 'cluster01',
      caCertPem: await readFile(join(base, 'cluster01', 'ca-cert.pem'), 'utf8'),
      caKeyPem: await readFile(join(base, 'cluster01', 'ca-key.pem'), 'utf8'),
      rootCertPem: await readFile(join(base, 'cluster01', 'root-cert.pem'), 'utf8'),
      certChainPem: await readFile(join(base, 'cluster01', 'cert-chain.pem'), 'utf8'),
    });
  });

  it('readIntermediate needs no root key, but rejects missing, partial and foreign bundles', async () => {
    const dir = await copyOf(base);
    await rm(join(dir, 'root-key.pem')); // the root key may live offline
    await expect(readIntermediate(dir, 'cluster01')).resolves.toMatchObject({ cluster: 'cluster01' });
    await expectPkiError(readIntermediate(dir, 'cluster07'), PKI_ERROR_CODES.bundleMissing);
    await rm(join(dir, 'cluster01', 'cert-chain.pem'));
    await expectPkiError(readIntermediate(dir, 'cluster01'), PKI_ERROR_CODES.bundleIncomplete);
    await cp(join(foreign, 'root-cert.pem'), join(dir, 'root-cert.pem'));
    await expectPkiError(readIntermediate(dir, 'cluster02'), PKI_ERROR_CODES.chainMismatch);
  });

  it('loadRoot returns the root, and a typed error for an empty folder', async () => {
    const root = await loadRoot(base);
    expect(root.certPem).toBe(await readFile(join(base, 'root-cert.pem'), 'utf8'));
    expect(root.keyPem).toBe(await readFile(join(base, 'root-key.pem'), 'utf8'));
    const empty = await tempDir('empty');
    await expectPkiError(loadRoot(empty), PKI_ERROR_CODES.rootMissing);
  });
});

describe('expiry report', () => {
  // Half a second past a whole second, so whole-day arithmetic has no rounding edge.
  const realNow = new Date(Math.floor(Date.now() / 1000) * 1000 + 500);
  const daysAgo = (days: number) => () => new Date(realNow.getTime() - days * DAY_MS);

  it('marks CAs issued 3640 days ago as expiring; a fresh intermediate under that root ends with it', async () => {
    const dir = join(await tempDir('old'), 'certs');
    await ensureTrust({ rootDir: dir, clusters: ['cluster01'], options: OPTIONS, now: daysAgo(3640) });
    const report = await ensureTrust({ rootDir: dir, clusters: ['cluster01', 'cluster02'], options: OPTIONS, now: () => realNow });
    expect(report.clusters.map((c) => c.action)).toEqual(['kept', 'created']);
    expect(report.expiry.map((e) => [e.name, e.status, e.daysLeft])).toEqual([
      ['root', 'expiring', 9],
      ['cluster01', 'expiring', 9],
      // Issued now for 3650 days, but cut at the root's notAfter: past it the chain verifies nowhere.
      ['cluster02', 'expiring', 9],
    ]);
    expect(report.expiry[2]?.notAfter.getTime()).toBe(report.expiry[0]?.notAfter.getTime());
    // Issued at (realNow - 3640 days) truncated to the second, valid for 3650 days.
    expect(report.expiry[0]?.notAfter.getTime()).toBe(realNow.getTime() - 500 + 10 * DAY_MS);
  });

  it('marks CAs past notAfter as expired but keeps them (rotation is the operator\'s call)', async () => {
    const dir = join(await tempDir('expired'), 'certs');
    await ensureTrust({ rootDir: dir, clusters: ['cluster01'], options: OPTIONS, now: daysAgo(3651) });
    const report = await ensureTrust({ rootDir: dir, clusters: ['cluster01'], options: OPTIONS, now: () => realNow });
    expect(report.clusters[0]?.action).toBe('kept');
    expect(report.expiry.map((e) => [e.status, e.daysLeft])).toEqual([
      ['expired', -1],
      ['expired', -1],
    ]);
  });
});

describe('input validation', () => {
  it.each(['../escape', 'a/b', '.', '', 'root-cert.pem', '-leading'])('rejects cluster name %j', async (name) => {
    const dir = join(await tempDir('names'), 'certs');
    await expectPkiError(ensureTrust({ rootDir: dir, clusters: [name], options: OPTIONS }), PKI_ERROR_CODES.invalidClusterName);
  });

  it('rejects duplicate cluster names, including case-only duplicates', async () => {
    const dir = join(await tempDir('dups'), 'certs');
    await expectPkiError(ensureTrust({ rootDir: dir, clusters: ['east', 'East'], options: OPTIONS }), PKI_ERROR_CODES.invalidClusterName);
  });

  it('rejects unusable options before generating anything', async () => {
    const dir = join(await tempDir('opts'), 'certs');
    await expectPkiError(ensureTrust({ rootDir: dir, clusters: CLUSTERS, options: { rootValidityDays: 0 } }), PKI_ERROR_CODES.invalidOptions);
    await expectPkiError(
      // @ts-expect-error an algorithm a config file might contain
      ensureTrust({ rootDir: dir, clusters: CLUSTERS, options: { keyAlgorithm: 'rsa-1024' } }),
      PKI_ERROR_CODES.invalidOptions,
    );
    await expect(readFile(join(dir, 'root-cert.pem'))).rejects.toThrow(/ENOENT/);
  });

  it('treats a pre-existing empty cluster folder as absent, and leaves its mode', async () => {
    const dir = await copyOf(base);
    await mkdir(join(dir, 'cluster03'), { mode: 0o755 });
    await chmod(join(dir, 'cluster03'), 0o755);
    const report = await ensureTrust({ rootDir: dir, clusters: ['cluster03'], options: OPTIONS });
    expect(report.clusters).toEqual([{ cluster: 'cluster03', action: 'created' }]);
    expect(await mode(join(dir, 'cluster03'))).toBe(0o755);
    expect(await mode(join(dir, 'cluster03', 'ca-key.pem'))).toBe(0o600);
  });
});
