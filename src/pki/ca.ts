import { X509Certificate as NodeX509 } from 'node:crypto';
import { PKI_ERROR_CODES, PkiError } from './errors.js';
import { generateKey, importSigningKey, keyMatchesCertificate, parsePrivateKey, type GeneratedKey } from './keys.js';
import { certificateBlocks, sameDer } from './pem.js';
import type { CaDeps, CertificateAuthority, CertificateInfo, ExpiryStatus, IntermediateBundle, PublicBundle, TrustOptions } from './types.js';
import { assertClusterName, normaliseSerial, randomSerial, resolveTrustOptions } from './validate.js';
import { x509 } from './x509.js';

const DAY_MS = 86_400_000;
/** Below this, rotating in time (new intermediate rolled out to every cluster) gets tight. */
export const EXPIRY_WARNING_DAYS = 30;
/** Istio's intermediate.conf names istiod's service in the CA's SAN; kept for parity with its Makefile. */
export const ISTIOD_DNS_NAME = 'istiod.istio-system.svc';

// Attribute order as in istio's root-ca.conf / intermediate.conf, so subjects read the same.
type JsonName = Record<string, string[]>[];
const ROOT_SUBJECT: JsonName = [{ O: ['Istio'] }, { CN: ['Root CA'] }];
const intermediateSubject = (cluster: string): JsonName => [{ O: ['Istio'] }, { CN: ['Intermediate CA'] }, { L: [cluster] }];

function validity(now: Date, days: number): { notBefore: Date; notAfter: Date } {
  // X.509 times have whole seconds; truncating keeps notAfter exactly `days` after `now`'s second.
  const start = Math.floor(now.getTime() / 1000) * 1000;
  // Backdated a minute so a cluster whose clock lags the operator's laptop does
  // not reject a freshly issued CA as "not yet valid".
  return { notBefore: new Date(start - 60_000), notAfter: new Date(start + days * DAY_MS) };
}

/** An intermediate ends at the latest with its root: past that its chain verifies nowhere. */
function withinRoot(v: { notBefore: Date; notAfter: Date }, rootNotAfter: Date): { notBefore: Date; notAfter: Date } {
  return v.notAfter.getTime() > rootNotAfter.getTime() ? { notBefore: v.notBefore, notAfter: rootNotAfter } : v;
}

function caExtensions(key: GeneratedKey, pathLength: number | undefined): x509.Extension[] {
  const F = x509.KeyUsageFlags;
  const usages = F.digitalSignature | F.nonRepudiation | F.keyCertSign | (key.isRsa ? F.keyEncipherment : 0);
  return [
    new x509.BasicConstraintsExtension(true, pathLength, true),
    new x509.KeyUsagesExtension(usages, true),
  ];
}

function serialFrom(deps: CaDeps): string {
  return normaliseSerial(deps.serialNumber ? deps.serialNumber() : randomSerial());
}

export async function createRootCA(options: Partial<TrustOptions>, deps: CaDeps): Promise<CertificateAuthority> {
  const opts = resolveTrustOptions(options);
  const serialNumber = serialFrom(deps); // validated before the (slow) key generation
  const key = await generateKey(opts.keyAlgorithm);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    name: ROOT_SUBJECT,
    keys: key.keys,
    serialNumber,
    ...validity(deps.now(), opts.rootValidityDays),
    signingAlgorithm: key.signingAlgorithm,
    // Istio's root-ca.conf: no pathlen, so an operator may later add a layer between root and cluster CAs.
    extensions: [...caExtensions(key, undefined), await x509.SubjectKeyIdentifierExtension.create(key.keys.publicKey)],
  });
  return { certPem: `${cert.toString('pem')}\n`, keyPem: key.keyPem };
}

function parseSingleCertificate(pem: string, what: string): x509.X509Certificate {
  const blocks = certificateBlocks(pem);
  const first = blocks[0];
  if (blocks.length !== 1 || first === undefined) {
    throw new PkiError({ code: PKI_ERROR_CODES.malformedPem, message: `${what} must hold exactly one PEM certificate, found ${blocks.length}`, hint: `Restore ${what} from the trust folder it was issued in.`, path: what });
  }
  try {
    return new x509.X509Certificate(first.der);
  } catch {
    throw new PkiError({ code: PKI_ERROR_CODES.malformedPem, message: `${what} is not a valid X.509 certificate`, hint: `Restore ${what}.`, path: what });
  }
}

async function authorityKeyId(root: x509.X509Certificate): Promise<x509.AuthorityKeyIdentifierExtension> {
  const ski = root.getExtension(x509.SubjectKeyIdentifierExtension);
  // Reuse the root's own SKI so the identifiers match byte for byte even for roots
  // whose SKI was not computed by the SHA-1 method.
  return ski ? new x509.AuthorityKeyIdentifierExtension(ski.keyId) : x509.AuthorityKeyIdentifierExtension.create(root.publicKey);
}

export async function createIntermediateCA(
  root: CertificateAuthority,
  cluster: string,
  options: Partial<TrustOptions>,
  deps: CaDeps,
): Promise<IntermediateBundle> {
  assertClusterName(cluster);
  const opts = resolveTrustOptions(options);
  const serialNumber = serialFrom(deps);
  const rootCert = parseSingleCertificate(root.certPem, 'root certificate');
  if (!keyMatchesCertificate(parsePrivateKey(root.keyPem, 'root key'), new Uint8Array(rootCert.rawData))) {
    throw new PkiError({ code: PKI_ERROR_CODES.keyMismatch, message: 'root key does not belong to the root certificate', hint: 'Restore the root-key.pem that was created together with root-cert.pem.' });
  }
  const signer = await importSigningKey(root.keyPem, 'root key');
  const key = await generateKey(opts.keyAlgorithm);
  const cert = await x509.X509CertificateGenerator.create({
    subject: intermediateSubject(cluster),
    issuer: rootCert.subjectName,
    publicKey: key.keys.publicKey,
    signingKey: signer.privateKey,
    signingAlgorithm: signer.signingAlgorithm,
    serialNumber,
    ...withinRoot(validity(deps.now(), opts.intermediateValidityDays), rootCert.notAfter),
    extensions: [
      // pathlen:0 — a cluster CA may issue workload certificates but never another CA.
      ...caExtensions(key, 0),
      await x509.SubjectKeyIdentifierExtension.create(key.keys.publicKey),
      await authorityKeyId(rootCert),
      new x509.SubjectAlternativeNameExtension([{ type: 'dns', value: ISTIOD_DNS_NAME }]),
    ],
  });
  const caCertPem = `${cert.toString('pem')}\n`;
  const rootCertPem = certificateBlocks(root.certPem)[0]?.pem ?? root.certPem;
  return { cluster, caCertPem, caKeyPem: key.keyPem, rootCertPem, certChainPem: caCertPem + rootCertPem };
}

export function inspectCertificate(pem: string): CertificateInfo {
  const first = certificateBlocks(pem)[0];
  if (first === undefined) {
    throw new PkiError({ code: PKI_ERROR_CODES.malformedPem, message: 'no PEM certificate found', hint: 'Pass the contents of a .pem certificate file.' });
  }
  const cert = parseSingleCertificate(first.pem, 'certificate');
  const constraints = cert.getExtension(x509.BasicConstraintsExtension);
  const san = cert.getExtension(x509.SubjectAlternativeNameExtension);
  return {
    subject: cert.subject,
    issuer: cert.issuer,
    serialNumber: cert.serialNumber.toLowerCase().replace(/^(00)+(?=.)/, ''),
    notBefore: cert.notBefore,
    notAfter: cert.notAfter,
    isCA: constraints?.ca ?? false,
    ...(constraints?.pathLength !== undefined ? { pathLength: constraints.pathLength } : {}),
    dnsNames: san ? san.names.items.filter((n) => n.type === 'dns').map((n) => n.value) : [],
  };
}

/**
 * Explains why the bundle does not chain to the root, or undefined if it does.
 * Only signatures and structure are checked, not dates: an expired chain is an
 * expiry problem, reported separately, not a wrong-root problem.
 *
 * `rootCertPem` may hold several roots (a root rotation's trust-both and reissue stages):
 * the bundle's root-cert.pem must then hold exactly those roots, in any order, and its
 * intermediate be signed by one of them.
 */
export function chainProblem(bundle: PublicBundle, rootCertPem: string): string | undefined {
  const roots = certificateBlocks(rootCertPem);
  const cas = certificateBlocks(bundle.caCertPem);
  const bundleRoots = certificateBlocks(bundle.rootCertPem);
  const chain = certificateBlocks(bundle.certChainPem);
  const [ca] = cas;
  if (roots.length === 0) return 'the root certificate PEM holds no certificate';
  if (cas.length !== 1 || ca === undefined) return 'ca-cert.pem must hold exactly one certificate';
  const holds = (list: typeof roots, der: Uint8Array) => list.some((r) => sameDer(r.der, der));
  if (bundleRoots.length !== roots.length || !roots.every((r) => holds(bundleRoots, r.der))) {
    return roots.length === 1 ? "root-cert.pem is not a copy of the mesh's root certificate" : `root-cert.pem does not hold exactly the ${roots.length} roots the mesh trusts now`;
  }
  const chainRoot = chain[1];
  if (chain.length !== 2 || !sameDer(chain[0]?.der ?? new Uint8Array(), ca.der) || chainRoot === undefined || !holds(roots, chainRoot.der)) {
    return 'cert-chain.pem is not ca-cert.pem followed by the root certificate';
  }
  try {
    const rootX = new NodeX509(Buffer.from(chainRoot.der));
    const caX = new NodeX509(Buffer.from(ca.der));
    if (!caX.ca) return 'ca-cert.pem is not a CA certificate';
    if (!caX.checkIssued(rootX) || !caX.verify(rootX.publicKey)) return 'ca-cert.pem was not signed by this root';
  } catch {
    return 'a certificate in the bundle cannot be parsed';
  }
  return undefined;
}

/** True when the bundle's intermediate is signed by `rootCertPem` and its chain files agree. */
export function verifyChain(bundle: IntermediateBundle, rootCertPem: string): boolean {
  return chainProblem(bundle, rootCertPem) === undefined;
}

/** Whole days left, rounded toward zero: 9.9 days is 9, expired 1.5 days ago is -1. */
export function daysUntilExpiry(info: Pick<CertificateInfo, 'notAfter'>, now: Date): number {
  return Math.trunc((info.notAfter.getTime() - now.getTime()) / DAY_MS) || 0; // `|| 0` turns -0 into 0
}

export function expiryStatus(info: Pick<CertificateInfo, 'notAfter'>, now: Date): ExpiryStatus {
  const left = info.notAfter.getTime() - now.getTime();
  if (left <= 0) return 'expired';
  return left < EXPIRY_WARNING_DAYS * DAY_MS ? 'expiring' : 'ok';
}

/**
 * True when the first certificate of `certPem` (a workload's leaf, as its cert-chain.pem
 * starts) was signed by the first certificate of `issuerPem`: names match and the signature
 * verifies with the issuer's key. False for anything that does not parse.
 */
export function issuedBy(certPem: string, issuerPem: string): boolean {
  const [leaf] = certificateBlocks(certPem);
  const [issuer] = certificateBlocks(issuerPem);
  if (!leaf || !issuer) return false;
  try {
    const leafX = new NodeX509(Buffer.from(leaf.der));
    const issuerX = new NodeX509(Buffer.from(issuer.der));
    return leafX.checkIssued(issuerX) && leafX.verify(issuerX.publicKey);
  } catch {
    return false;
  }
}

/**
 * True when the chain (leaf first, then its intermediates, as a workload's cert-chain.pem)
 * leads to one of the roots in `rootsPem`: each certificate signed by the next, the last by
 * a root (or being that root). Signatures only, not dates.
 */
export function chainsToRoot(chainPem: string, rootsPem: string): boolean {
  const chain = certificateBlocks(chainPem);
  const roots = certificateBlocks(rootsPem);
  if (chain.length === 0 || roots.length === 0) return false;
  for (let i = 0; i + 1 < chain.length; i++) {
    if (roots.some((r) => sameDer(r.der, chain[i + 1]!.der))) return issuedBy(chain[i]!.pem, chain[i + 1]!.pem);
    if (!issuedBy(chain[i]!.pem, chain[i + 1]!.pem)) return false;
  }
  const last = chain[chain.length - 1]!;
  return roots.some((r) => sameDer(r.der, last.der) || issuedBy(last.pem, r.pem));
}
