import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createIntermediateCA,
  createRootCA,
  daysUntilExpiry,
  DEFAULT_TRUST_OPTIONS,
  expiryStatus,
  inspectCertificate,
  PKI_ERROR_CODES,
  verifyChain,
  type CertificateAuthority,
  type IntermediateBundle,
  type TrustOptions,
} from '../../src/pki/index.js';
import { DAY_MS, expectPkiError, opensslOk, pemCertificates, removeTempDirs, tempDir } from './helpers.js';

const NOW = new Date('2030-01-02T03:04:05.678Z');
const FIXED = { now: () => NOW, serialNumber: () => '0a1b2c' };
// The injected clock is in the future, so openssl must verify as of that moment.
const AT_NOW = ['-attime', String(Math.floor(NOW.getTime() / 1000))];
const RSA: Partial<TrustOptions> = { keyAlgorithm: 'rsa-2048', rootValidityDays: 100, intermediateValidityDays: 50 };
let root: CertificateAuthority;
let otherRoot: CertificateAuthority;
let bundle: IntermediateBundle;

beforeAll(async () => {
  root = await createRootCA(RSA, FIXED);
  otherRoot = await createRootCA(RSA, FIXED);
  bundle = await createIntermediateCA(root, 'east-1', RSA, FIXED);
}, 60_000);

afterAll(removeTempDirs);

async function writeTemp(files: Record<string, string>): Promise<string> {
  const dir = await tempDir('ca');
  for (const [name, content] of Object.entries(files)) await writeFile(join(dir, name), content);
  return dir;
}

describe('createRootCA / createIntermediateCA', () => {
  it('defaults to istio Makefile parameters', () => {
    expect(DEFAULT_TRUST_OPTIONS).toEqual({ keyAlgorithm: 'rsa-4096', rootValidityDays: 3650, intermediateValidityDays: 3650 });
  });

  it('uses the injected clock and serial, backdating notBefore by one minute', () => {
    const info = inspectCertificate(root.certPem);
    const second = Math.floor(NOW.getTime() / 1000) * 1000;
    expect(info).toEqual({
      subject: 'O=Istio, CN=Root CA',
      issuer: 'O=Istio, CN=Root CA',
      serialNumber: '0a1b2c',
      notBefore: new Date(second - 60_000),
      notAfter: new Date(second + 100 * DAY_MS),
      isCA: true,
      dnsNames: [],
    });
    expect('pathLength' in info).toBe(false);
  });

  it('issues the intermediate for the cluster, signed by the root', () => {
    const info = inspectCertificate(bundle.caCertPem);
    expect(info.subject).toBe('O=Istio, CN=Intermediate CA, L=east-1');
    expect(info.issuer).toBe('O=Istio, CN=Root CA');
    expect(info.pathLength).toBe(0);
    expect(info.isCA).toBe(true);
    expect(info.dnsNames).toEqual(['istiod.istio-system.svc']);
    expect(info.notAfter.getTime() - info.notBefore.getTime()).toBe(50 * DAY_MS + 60_000);
    expect(bundle.cluster).toBe('east-1');
    expect(bundle.rootCertPem).toBe(root.certPem);
    expect(bundle.certChainPem).toBe(bundle.caCertPem + root.certPem);
    expect(bundle.caKeyPem).toMatch(/^-----BEGIN PRIVATE KEY-----\n[\s\S]+\n-----END PRIVATE KEY-----\n$/);
    expect(bundle.caKeyPem).not.toBe(root.keyPem);
  });

  it('verifyChain accepts its own root and rejects another root or a tampered chain', async () => {
    expect(verifyChain(bundle, root.certPem)).toBe(true);
    expect(verifyChain(bundle, otherRoot.certPem)).toBe(false);
    expect(verifyChain({ ...bundle, certChainPem: root.certPem + bundle.caCertPem }, root.certPem)).toBe(false);
    expect(verifyChain({ ...bundle, rootCertPem: otherRoot.certPem }, root.certPem)).toBe(false);
    const dir = await writeTemp({ 'root.pem': root.certPem, 'other.pem': otherRoot.certPem, 'ca.pem': bundle.caCertPem });
    expect(opensslOk('verify', ...AT_NOW, '-CAfile', join(dir, 'root.pem'), join(dir, 'ca.pem'))).toContain(': OK');
  });

  it('draws a random positive 16-byte serial by default', async () => {
    const a = await createRootCA({ keyAlgorithm: 'ecdsa-p256' }, { now: () => NOW });
    const b = await createRootCA({ keyAlgorithm: 'ecdsa-p256' }, { now: () => NOW });
    const serialA = inspectCertificate(a.certPem).serialNumber;
    expect(serialA).toMatch(/^[4-7][0-9a-f]{31}$/);
    expect(serialA).not.toBe(inspectCertificate(b.certPem).serialNumber);
    const dir = await writeTemp({ 'a.pem': a.certPem });
    expect(opensslOk('x509', '-in', join(dir, 'a.pem'), '-noout', '-serial').trim().toLowerCase()).toBe(`serial=${serialA}`);
  });

  it('rejects a root key that is not the root certificate\'s', async () => {
    await expectPkiError(
      createIntermediateCA({ certPem: root.certPem, keyPem: otherRoot.keyPem }, 'east-1', RSA, FIXED),
      PKI_ERROR_CODES.keyMismatch,
    );
  });

  it('rejects bad serials and cluster names', async () => {
    await expectPkiError(createRootCA(RSA, { now: () => NOW, serialNumber: () => '0' }), PKI_ERROR_CODES.invalidOptions);
    await expectPkiError(createRootCA(RSA, { now: () => NOW, serialNumber: () => 'xyz' }), PKI_ERROR_CODES.invalidOptions);
    await expectPkiError(createIntermediateCA(root, 'a/b', RSA, FIXED), PKI_ERROR_CODES.invalidClusterName);
  });

  it('accepts a PKCS#1 root key as older istio Makefiles wrote it', async () => {
    const dir = await writeTemp({ 'root-key.pem': root.keyPem });
    const pkcs1 = opensslOk('rsa', '-in', join(dir, 'root-key.pem'), '-traditional');
    expect(pkcs1).toContain('-----BEGIN RSA PRIVATE KEY-----');
    const issued = await createIntermediateCA({ certPem: root.certPem, keyPem: pkcs1 }, 'west', RSA, FIXED);
    expect(verifyChain(issued, root.certPem)).toBe(true);
  });
});

describe('ecdsa-p256', () => {
  it('issues ECDSA P-256 CAs signed with SHA-256, without keyEncipherment', async () => {
    const opts: Partial<TrustOptions> = { keyAlgorithm: 'ecdsa-p256' };
    const ecRoot = await createRootCA(opts, FIXED);
    const ecBundle = await createIntermediateCA(ecRoot, 'cluster01', opts, FIXED);
    const dir = await writeTemp({
      'root-cert.pem': ecRoot.certPem,
      'ca-cert.pem': ecBundle.caCertPem,
      'ca-key.pem': ecBundle.caKeyPem,
      'cert-chain.pem': ecBundle.certChainPem,
    });
    for (const name of ['root-cert.pem', 'ca-cert.pem']) {
      const t = opensslOk('x509', '-in', join(dir, name), '-noout', '-text');
      expect(t).toContain('Public Key Algorithm: id-ecPublicKey');
      expect(t).toContain('ASN1 OID: prime256v1');
      expect(t).toMatch(/Signature Algorithm: ecdsa-with-SHA256/);
      expect(t).toMatch(/X509v3 Key Usage: critical\n\s+Digital Signature, Non Repudiation, Certificate Sign\n/);
    }
    expect(opensslOk('verify', ...AT_NOW, '-x509_strict', '-CAfile', join(dir, 'root-cert.pem'), join(dir, 'cert-chain.pem'))).toContain(': OK');
    expect(opensslOk('pkey', '-in', join(dir, 'ca-key.pem'), '-pubout')).toBe(
      opensslOk('x509', '-in', join(dir, 'ca-cert.pem'), '-pubkey', '-noout'),
    );
    expect(pemCertificates(ecBundle.certChainPem)).toEqual([ecBundle.caCertPem, ecRoot.certPem]);
    expect(verifyChain(ecBundle, ecRoot.certPem)).toBe(true);
  });

  it('lets an RSA root sign an ECDSA intermediate', async () => {
    const ec = await createIntermediateCA(root, 'mixed', { keyAlgorithm: 'ecdsa-p256' }, FIXED);
    const dir = await writeTemp({ 'root.pem': root.certPem, 'ca.pem': ec.caCertPem });
    const t = opensslOk('x509', '-in', join(dir, 'ca.pem'), '-noout', '-text');
    expect(t).toContain('id-ecPublicKey');
    expect(t).toMatch(/Signature Algorithm: sha256WithRSAEncryption/);
    expect(opensslOk('verify', ...AT_NOW, '-CAfile', join(dir, 'root.pem'), join(dir, 'ca.pem'))).toContain(': OK');
  });
});

describe('expiry arithmetic', () => {
  const notAfter = new Date('2030-06-01T00:00:00Z');
  const at = (days: number) => new Date(notAfter.getTime() - days * DAY_MS);

  it.each([
    [400, 400, 'ok'],
    [30, 30, 'ok'],
    [29.99, 29, 'expiring'],
    [0.5, 0, 'expiring'],
    [0, 0, 'expired'],
    [-0.5, 0, 'expired'],
    [-1.5, -1, 'expired'],
  ] as const)('%s days before notAfter: daysLeft %s, %s', (days, daysLeft, status) => {
    expect(daysUntilExpiry({ notAfter }, at(days))).toBe(daysLeft);
    expect(expiryStatus({ notAfter }, at(days))).toBe(status);
  });
});

describe('inspectCertificate', () => {
  it('reads the first certificate of a chain and rejects non-certificates', () => {
    expect(inspectCertificate(bundle.certChainPem).subject).toContain('L=east-1');
    expect(() => inspectCertificate('not a pem')).toThrow(expect.objectContaining({ code: PKI_ERROR_CODES.malformedPem }));
  });
});
