import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureTrust, type TrustReport } from '../../src/pki/index.js';
import { dnParts, extensionValue, mode, openssl, opensslOk, pemCertificates, removeTempDirs, tempDir } from './helpers.js';

// One default (RSA-4096, 3650 days) hierarchy for the whole file: key generation is the slow part.
const CLUSTERS = ['cluster01', 'cluster02'];
const DAY_S = 86_400;
let dir: string;
let otherDir: string;
let report: TrustReport;

beforeAll(async () => {
  // A folder that does not exist yet, so its creation (and mode) is exercised.
  dir = join(await tempDir('default'), 'certs');
  otherDir = await tempDir('other');
  report = await ensureTrust({ rootDir: dir, clusters: CLUSTERS });
  // A second, unrelated trust folder with the same subjects: only signatures tell them apart.
  await ensureTrust({ rootDir: otherDir, clusters: ['cluster01'], options: { keyAlgorithm: 'rsa-2048' } });
}, 120_000);

afterAll(removeTempDirs);

const root = () => join(dir, 'root-cert.pem');
const file = (cluster: string, name: string) => join(dir, cluster, name);
const text = (path: string) => opensslOk('x509', '-in', path, '-noout', '-text');

describe('ensureTrust with default options', () => {
  it('reports everything as created', () => {
    expect(report.root.action).toBe('created');
    expect(report.clusters).toEqual(CLUSTERS.map((cluster) => ({ cluster, action: 'created' })));
    expect(report.expiry.map((e) => [e.name, e.kind, e.status])).toEqual([
      ['root', 'root', 'ok'],
      ['cluster01', 'intermediate', 'ok'],
      ['cluster02', 'intermediate', 'ok'],
    ]);
    for (const e of report.expiry) expect(e.daysLeft).toBe(3649);
  });

  it('writes a root that openssl reads as istio root-ca.conf describes', () => {
    const t = text(root());
    expect(t).toContain('Public-Key: (4096 bit)');
    expect(t).toMatch(/Signature Algorithm: sha256WithRSAEncryption/);
    expect(dnParts(t, 'Subject')).toEqual(['CN = Root CA', 'O = Istio']);
    expect(dnParts(t, 'Issuer')).toEqual(['CN = Root CA', 'O = Istio']);
    expect(t).toMatch(/X509v3 Basic Constraints: critical\n\s+CA:TRUE\n/);
    expect(t).not.toContain('pathlen');
    expect(t).toMatch(/X509v3 Key Usage: critical\n\s+Digital Signature, Non Repudiation, Key Encipherment, Certificate Sign\n/);
    expect(t).toContain('X509v3 Subject Key Identifier');
  });

  it.each(CLUSTERS)('writes an intermediate for %s that openssl reads as istio intermediate.conf describes', (cluster) => {
    const t = text(file(cluster, 'ca-cert.pem'));
    expect(t).toContain('Public-Key: (4096 bit)');
    expect(t).toMatch(/Signature Algorithm: sha256WithRSAEncryption/);
    expect(dnParts(t, 'Subject')).toEqual(['CN = Intermediate CA', `L = ${cluster}`, 'O = Istio']);
    expect(dnParts(t, 'Issuer')).toEqual(['CN = Root CA', 'O = Istio']);
    expect(t).toMatch(/X509v3 Basic Constraints: critical\n\s+CA:TRUE, pathlen:0\n/);
    expect(t).toMatch(/X509v3 Key Usage: critical\n\s+Digital Signature, Non Repudiation, Key Encipherment, Certificate Sign\n/);
    expect(t).toMatch(/X509v3 Subject Alternative Name: \n\s+DNS:istiod\.istio-system\.svc\n/);
    expect(extensionValue(t, 'X509v3 Authority Key Identifier').replace(/^keyid:/, '')).toBe(
      extensionValue(text(root()), 'X509v3 Subject Key Identifier'),
    );
    expect(extensionValue(t, 'X509v3 Subject Key Identifier')).not.toBe(extensionValue(text(root()), 'X509v3 Subject Key Identifier'));
  });

  it('issues both CAs for 3650 days (openssl -checkend)', () => {
    for (const cert of [root(), ...CLUSTERS.map((c) => file(c, 'ca-cert.pem'))]) {
      expect(openssl('x509', '-in', cert, '-noout', '-checkend', String(3649 * DAY_S)).status).toBe(0);
      expect(openssl('x509', '-in', cert, '-noout', '-checkend', String(3651 * DAY_S)).status).toBe(1);
    }
  });

  it.each(CLUSTERS)('chains %s to the root, strictly, per openssl verify', (cluster) => {
    expect(opensslOk('verify', '-x509_strict', '-CAfile', root(), file(cluster, 'ca-cert.pem'))).toContain(': OK');
    expect(opensslOk('verify', '-x509_strict', '-CAfile', root(), file(cluster, 'cert-chain.pem'))).toContain(': OK');
    expect(opensslOk('verify', '-CAfile', file(cluster, 'root-cert.pem'), file(cluster, 'cert-chain.pem'))).toContain(': OK');
  });

  it.each(CLUSTERS)('writes cert-chain.pem for %s as ca-cert then root, and root-cert.pem as a copy', async (cluster) => {
    const chain = pemCertificates(await readFile(file(cluster, 'cert-chain.pem'), 'utf8'));
    expect(chain).toHaveLength(2);
    expect(chain[0]).toBe(await readFile(file(cluster, 'ca-cert.pem'), 'utf8'));
    expect(chain[1]).toBe(await readFile(root(), 'utf8'));
    expect(await readFile(file(cluster, 'root-cert.pem'), 'utf8')).toBe(await readFile(root(), 'utf8'));
  });

  it('is not fooled by a root with the same subject from another trust folder', () => {
    const foreignRoot = join(otherDir, 'root-cert.pem');
    for (const cluster of CLUSTERS) {
      const r = openssl('verify', '-CAfile', foreignRoot, file(cluster, 'cert-chain.pem'));
      expect(r.status).not.toBe(0);
      expect(r.stdout + r.stderr).toMatch(/error/i);
    }
    const r = openssl('verify', '-CAfile', root(), join(otherDir, 'cluster01', 'cert-chain.pem'));
    expect(r.status).not.toBe(0);
  });

  it('writes PKCS#8 keys that belong to their certificates', async () => {
    const pairs = [[join(dir, 'root-key.pem'), root()], ...CLUSTERS.map((c) => [file(c, 'ca-key.pem'), file(c, 'ca-cert.pem')])];
    const pubs = new Set<string>();
    for (const [key, cert] of pairs as [string, string][]) {
      expect((await readFile(key, 'utf8')).startsWith('-----BEGIN PRIVATE KEY-----\n')).toBe(true);
      const fromKey = opensslOk('pkey', '-in', key, '-pubout');
      expect(fromKey).toBe(opensslOk('x509', '-in', cert, '-pubkey', '-noout'));
      expect(opensslOk('pkey', '-in', key, '-noout', '-text')).toContain('Private-Key: (4096 bit');
      pubs.add(fromKey);
    }
    expect(pubs.size).toBe(pairs.length); // every CA has its own key
  });

  it('writes keys 0600, certificates 0644 and folders 0700', async () => {
    expect(await mode(join(dir, 'root-key.pem'))).toBe(0o600);
    expect(await mode(root())).toBe(0o644);
    expect(await mode(dir)).toBe(0o700);
    for (const cluster of CLUSTERS) {
      expect(await mode(join(dir, cluster))).toBe(0o700);
      expect(await mode(file(cluster, 'ca-key.pem'))).toBe(0o600);
      for (const cert of ['ca-cert.pem', 'root-cert.pem', 'cert-chain.pem']) expect(await mode(file(cluster, cert))).toBe(0o644);
    }
  });
});
