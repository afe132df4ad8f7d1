// readIntermediate is what render --include-secrets and apply's cacerts step ship: bad trust
// material is refused there with its own code, before anything leaves the trust folder.
import { access, chmod, cp, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureTrust, PKI_ERROR_CODES, readIntermediate } from '../../src/pki/index.js';
import { runCli } from '../cli/run.js';
import { DAY_MS, expectPkiError, opensslOk, removeTempDirs, tempDir } from './helpers.js';

const FAST = { keyAlgorithm: 'ecdsa-p256' } as const;
let good: string;

beforeAll(async () => {
  good = join(await tempDir('ship'), 'certs');
  await ensureTrust({ rootDir: good, clusters: ['c1', 'c2'], options: FAST });
});
afterAll(removeTempDirs);

async function copyOfGood(): Promise<string> {
  const dir = join(await tempDir('ship-copy'), 'certs');
  await cp(good, dir, { recursive: true });
  return dir;
}

describe('trust material refused before it is shipped', () => {
  it('accepts a fresh hierarchy', async () => {
    await expect(readIntermediate(good, 'c1')).resolves.toMatchObject({ cluster: 'c1' });
  });

  it('an expired intermediate (MF5014)', async () => {
    const dir = join(await tempDir('expired'), 'certs');
    await ensureTrust({ rootDir: dir, clusters: ['c1'], options: { ...FAST, intermediateValidityDays: 1 }, now: () => new Date(Date.now() - 2 * DAY_MS) });
    const e = await expectPkiError(readIntermediate(dir, 'c1'), PKI_ERROR_CODES.expired);
    expect(e.message).toContain('intermediate CA of c1 expired');
    expect(e.hint).toContain('--rotate c1');
  });

  it('a not-yet-valid intermediate (MF5015)', async () => {
    const dir = await copyOfGood();
    await ensureTrust({ rootDir: dir, clusters: ['c1', 'c3'], options: FAST, now: () => new Date(Date.now() + 2 * DAY_MS) });
    await expect(readIntermediate(dir, 'c1')).resolves.toBeDefined();
    const e = await expectPkiError(readIntermediate(dir, 'c3'), PKI_ERROR_CODES.notYetValid);
    expect(e.message).toContain('intermediate CA of c3 is not valid before');
  });

  it('an intermediate outliving its root (MF5016), as another tool could sign it', async () => {
    const dir = join(await tempDir('outlives'), 'certs');
    await ensureTrust({ rootDir: dir, clusters: ['c1'], options: { ...FAST, rootValidityDays: 30 } });
    // Re-sign c1's key with openssl for 60 days: longer than the root has left.
    const c1 = join(dir, 'c1');
    const ext = join(dir, '..', 'ca.ext');
    await writeFile(ext, 'basicConstraints=critical,CA:true,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\n');
    const csr = join(dir, '..', 'c1.csr');
    opensslOk('req', '-new', '-key', join(c1, 'ca-key.pem'), '-subj', '/O=Istio/CN=Intermediate CA/L=c1', '-out', csr);
    opensslOk('x509', '-req', '-in', csr, '-CA', join(dir, 'root-cert.pem'), '-CAkey', join(dir, 'root-key.pem'), '-days', '60', '-extfile', ext, '-set_serial', '4242', '-out', join(c1, 'ca-cert.pem'));
    await writeFile(join(c1, 'cert-chain.pem'), (await readFile(join(c1, 'ca-cert.pem'), 'utf8')) + (await readFile(join(dir, 'root-cert.pem'), 'utf8')));
    const e = await expectPkiError(readIntermediate(dir, 'c1'), PKI_ERROR_CODES.outlivesRoot);
    expect(e.message).toContain('after its root');
  });

  it('bundles without the mesh root beside them, so two roots could mix (MF5017)', async () => {
    const dir = await copyOfGood();
    const other = join(await tempDir('other-root'), 'certs');
    await ensureTrust({ rootDir: other, clusters: ['c2'], options: FAST });
    // c2 now comes from another hierarchy; with no top-level root, nothing tells them apart.
    await rm(join(dir, 'c2'), { recursive: true });
    await cp(join(other, 'c2'), join(dir, 'c2'), { recursive: true });
    await rm(join(dir, 'root-cert.pem'));
    await expectPkiError(readIntermediate(dir, 'c1'), PKI_ERROR_CODES.noMeshRoot);
    await expectPkiError(readIntermediate(dir, 'c2'), PKI_ERROR_CODES.noMeshRoot);
  });

  it('a key file readable by others (MF5018), unless the operator allows it explicitly', async () => {
    const dir = await copyOfGood();
    await chmod(join(dir, 'c1', 'ca-key.pem'), 0o644);
    const e = await expectPkiError(readIntermediate(dir, 'c1'), PKI_ERROR_CODES.keyReadableByOthers);
    expect(e.hint).toContain('chmod 600');
    await expect(readIntermediate(dir, 'c1', { allowReadableKeys: true })).resolves.toMatchObject({ cluster: 'c1' });
  });
});

describe('render --include-secrets', () => {
  async function meshIn(dir: string): Promise<string> {
    const meshFile = join(dir, '..', 'mesh.yaml');
    await writeFile(meshFile, 'apiVersion: meshfed.io/v1alpha1\nkind: Mesh\nmetadata: {name: m}\nspec:\n  lab: {}\n  trust: {rootDir: ./certs, keyAlgorithm: ecdsa-p256}\n  clusters:\n    - name: c1\n    - name: c2\n');
    return meshFile;
  }

  it('stops at an expired intermediate with its code and writes nothing', async () => {
    const dir = join(await tempDir('render-expired'), 'certs');
    await ensureTrust({ rootDir: dir, clusters: ['c1', 'c2'], options: { ...FAST, intermediateValidityDays: 1 }, now: () => new Date(Date.now() - 2 * DAY_MS) });
    const out = join(dir, '..', 'out');
    const run = await runCli('render', '-f', await meshIn(dir), '-o', out, '--include-secrets');
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('error MF5014');
    await expect(access(out)).rejects.toThrow(/ENOENT/);
  });

  it('refuses a readable key, and renders with --allow-readable-keys', async () => {
    const dir = await copyOfGood();
    await chmod(join(dir, 'c2', 'ca-key.pem'), 0o640);
    const meshFile = await meshIn(dir);
    const out = join(dir, '..', 'out');
    const refused = await runCli('render', '-f', meshFile, '-o', out, '--include-secrets');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('error MF5018');
    const allowed = await runCli('render', '-f', meshFile, '-o', out, '--include-secrets', '--allow-readable-keys');
    expect(allowed.code, allowed.stderr).toBe(0);
    await access(join(out, 'c2', '10-cacerts.yaml'));
  });
});
