/**
 * Root rotation in the trust folder, stage by stage (`certs --rotate-root`): what each stage
 * leaves on disk, checked with openssl; that readIntermediate (what apply ships) accepts every
 * stage; that a transition killed half-way is completed by the next run; keys stay 0600 and
 * the old root key goes only at the end. Plus the pure stage logic.
 */
import { copyFile, readFile, unlink, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  advanceRootRotation,
  createIntermediateCA,
  ensureTrust,
  nextRootStage,
  PKI_ERROR_CODES,
  readIntermediate,
  readMeshTrust,
  readRootStage,
  ROOT_FILES,
  signingRootOf,
  trustedRootsOf,
} from '../../src/pki/index.js';
import { loadCa, withTrusted, writeBundle } from '../../src/pki/store.js';
import { expectPkiError, mode, openssl, opensslOk, pemCertificates, removeTempDirs, tempDir } from './helpers.js';

const CLUSTERS = ['cluster01', 'cluster02'];
const OPTIONS = { keyAlgorithm: 'ecdsa-p256' as const };

afterAll(removeTempDirs);

async function fresh(): Promise<string> {
  const dir = join(await tempDir('rootrot'), 'certs');
  await ensureTrust({ rootDir: dir, clusters: CLUSTERS, options: OPTIONS });
  return dir;
}
const read = (dir: string, ...p: string[]) => readFile(join(dir, ...p), 'utf8');
const advance = (dir: string) => advanceRootRotation({ rootDir: dir, clusters: CLUSTERS, options: OPTIONS });

/** openssl: the cluster's intermediate verifies against exactly the roots in `rootsFile`. */
async function verifies(dir: string, cluster: string, rootsFile: string): Promise<boolean> {
  const r = opensslOk('verify', '-CAfile', rootsFile, join(dir, cluster, 'ca-cert.pem'));
  return r.includes(': OK');
}

describe('stage logic', () => {
  it('moves trust-both → reissue → drop-old → done; signs with the old root only in trust-both; trusts both until drop-old', () => {
    expect(nextRootStage(undefined)).toBe('trust-both');
    expect(nextRootStage('trust-both')).toBe('reissue');
    expect(nextRootStage('reissue')).toBe('drop-old');
    expect(nextRootStage('drop-old')).toBe('done');
    expect([undefined, 'trust-both', 'reissue', 'drop-old'].map((s) => signingRootOf(s as never))).toEqual(['old', 'old', 'new', 'new']);
    expect(trustedRootsOf(undefined, { old: 'O' })).toEqual(['O']);
    expect(trustedRootsOf('trust-both', { old: 'O', new: 'N' })).toEqual(['O', 'N']);
    expect(trustedRootsOf('reissue', { old: 'O', new: 'N' })).toEqual(['O', 'N']);
    expect(trustedRootsOf('drop-old', { old: 'O', new: 'N' })).toEqual(['N']);
  });
});

describe('certs --rotate-root, stage by stage', () => {
  it('leaves each stage on disk as istiod needs it, and apply can ship every stage', async () => {
    const dir = await fresh();
    const oldRoot = await read(dir, 'root-cert.pem');
    const oldCa = await read(dir, 'cluster01', 'ca-cert.pem');

    const a = await advance(dir);
    expect([a.from, a.to]).toEqual([undefined, 'trust-both']);
    const newRoot = await read(dir, ROOT_FILES.nextCert);
    expect(newRoot).not.toBe(oldRoot);
    expect(await mode(join(dir, ROOT_FILES.nextKey))).toBe(0o600);
    for (const c of CLUSTERS) {
      expect(pemCertificates(await read(dir, c, 'root-cert.pem'))).toEqual([oldRoot, newRoot]);
      expect(await verifies(dir, c, join(dir, 'root-cert.pem'))).toBe(true); // still from the old root
      await readIntermediate(dir, c);
    }
    expect(await read(dir, 'cluster01', 'ca-cert.pem')).toBe(oldCa);
    expect(await readRootStage(dir)).toBe('trust-both');

    const b = await advance(dir);
    expect(b.to).toBe('reissue');
    expect(b.clusters.map((c) => c.action)).toEqual(['reissued', 'reissued']);
    for (const c of CLUSTERS) {
      expect(await verifies(dir, c, join(dir, ROOT_FILES.nextCert))).toBe(true);
      expect(pemCertificates(await read(dir, c, 'cert-chain.pem'))[1]).toBe(newRoot);
      expect(pemCertificates(await read(dir, c, 'root-cert.pem'))).toEqual([oldRoot, newRoot]);
      expect(await mode(join(dir, c, 'ca-key.pem'))).toBe(0o600);
      await readIntermediate(dir, c);
    }

    const c3 = await advance(dir);
    expect(c3.to).toBe('drop-old');
    expect(await read(dir, 'root-cert.pem')).toBe(newRoot);
    expect(await read(dir, ROOT_FILES.previousCert)).toBe(oldRoot);
    expect(await mode(join(dir, ROOT_FILES.previousKey))).toBe(0o600);
    expect(await mode(join(dir, 'root-key.pem'))).toBe(0o600);
    expect(existsSync(join(dir, ROOT_FILES.nextKey))).toBe(false);
    for (const c of CLUSTERS) {
      expect(pemCertificates(await read(dir, c, 'root-cert.pem'))).toEqual([newRoot]);
      await readIntermediate(dir, c);
    }
    // plain certs in the middle of a rotation keeps everything and issues under the new root
    const kept = await ensureTrust({ rootDir: dir, clusters: CLUSTERS, options: OPTIONS });
    expect(kept.clusters.map((c) => c.action)).toEqual(['kept', 'kept']);

    const d = await advance(dir);
    expect(d.to).toBe('done');
    expect(d.removed).toEqual([ROOT_FILES.previousKey, ROOT_FILES.previousCert, ROOT_FILES.stage]);
    expect(existsSync(join(dir, ROOT_FILES.previousKey))).toBe(false);
    expect(await readRootStage(dir)).toBeUndefined();
    for (const c of CLUSTERS) await readIntermediate(dir, c);
    // the old root verifies nothing any more; the next rotation starts afresh
    const stray = join(dir, 'old-root.pem');
    await writeFile(stray, oldRoot);
    const r = openssl('verify', '-CAfile', stray, join(dir, 'cluster01', 'ca-cert.pem'));
    expect(r.status).not.toBe(0);
    expect((await advance(dir)).to).toBe('trust-both');
  });

  it('refuses to ship an intermediate still from the old root once the stage signs with the new one', async () => {
    const dir = await fresh();
    await advance(dir);
    await advance(dir);
    const trust = (await readMeshTrust(dir))!;
    // put back an intermediate of the old root (what a half-restored backup would leave)
    const old = await createIntermediateCA(await loadCa(trust.old.certPath, trust.old.keyPath), 'cluster02', OPTIONS, { now: () => new Date() });
    await writeBundle(dir, withTrusted(old, trust.trustedPem));
    await expectPkiError(readIntermediate(dir, 'cluster02'), PKI_ERROR_CODES.chainMismatch);
    await expectPkiError(advance(dir), PKI_ERROR_CODES.rootRotationOrder);
  });
});

describe('a transition killed half-way is completed by the next run', () => {
  it('trust-both: a new root written before the kill is the one kept', async () => {
    const dir = await fresh();
    await advance(dir);
    const newRoot = await read(dir, ROOT_FILES.nextCert);
    // the kill: before the stage file and before cluster02's root-cert.pem
    await unlink(join(dir, ROOT_FILES.stage));
    await copyFile(join(dir, 'root-cert.pem'), join(dir, 'cluster02', 'root-cert.pem'));
    const again = await advance(dir);
    expect(again.to).toBe('trust-both');
    expect(await read(dir, ROOT_FILES.nextCert)).toBe(newRoot);
    for (const c of CLUSTERS) await readIntermediate(dir, c);
  });

  it('reissue: clusters re-issued before the kill are kept, the rest re-issued', async () => {
    const dir = await fresh();
    await advance(dir);
    await advance(dir);
    const ca01 = await read(dir, 'cluster01', 'ca-cert.pem');
    // the kill: cluster02 not yet re-issued (its trust-both bundle back), stage file still trust-both
    await writeFile(join(dir, ROOT_FILES.stage), '{"stage":"trust-both"}\n');
    const trust = (await readMeshTrust(dir))!;
    await writeBundle(dir, withTrusted(await createIntermediateCA(await loadCa(trust.old.certPath, trust.old.keyPath), 'cluster02', OPTIONS, { now: () => new Date() }), trust.trustedPem));
    const again = await advance(dir);
    expect(again.to).toBe('reissue');
    expect(again.clusters).toEqual([{ cluster: 'cluster01', action: 'kept' }, { cluster: 'cluster02', action: 'reissued' }]);
    expect(await read(dir, 'cluster01', 'ca-cert.pem')).toBe(ca01);
    for (const c of CLUSTERS) await readIntermediate(dir, c);
  });

  it('drop-old: killed after the roots were swapped, the next run finishes with the same two roots', async () => {
    const dir = await fresh();
    await advance(dir);
    await advance(dir);
    const oldRoot = await read(dir, 'root-cert.pem');
    const newRoot = await read(dir, ROOT_FILES.nextCert);
    // the kill: old root moved aside and the new one in place, nothing else
    await copyFile(join(dir, 'root-cert.pem'), join(dir, ROOT_FILES.previousCert));
    await copyFile(join(dir, 'root-key.pem'), join(dir, ROOT_FILES.previousKey));
    await copyFile(join(dir, ROOT_FILES.nextCert), join(dir, 'root-cert.pem'));
    await copyFile(join(dir, ROOT_FILES.nextKey), join(dir, 'root-key.pem'));
    expect((await readMeshTrust(dir))?.stage).toBe('reissue');
    const again = await advance(dir);
    expect(again.to).toBe('drop-old');
    expect(await read(dir, 'root-cert.pem')).toBe(newRoot);
    expect(await read(dir, ROOT_FILES.previousCert)).toBe(oldRoot);
    for (const c of CLUSTERS) expect(pemCertificates(await read(dir, c, 'root-cert.pem'))).toEqual([newRoot]);
  });
});
