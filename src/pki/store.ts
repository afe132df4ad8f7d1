import { join } from 'node:path';
import { availableParallelism } from 'node:os';
import { chainProblem, createIntermediateCA, createRootCA, daysUntilExpiry, expiryStatus, inspectCertificate, issuedBy } from './ca.js';
import { readMeshTrust, type MeshTrust } from './rootFiles.js';
import { PKI_ERROR_CODES, PkiError } from './errors.js';
import { CERT_MODE, ensureDir, fileMode, KEY_MODE, readIfExists, writeFileAtomic } from './files.js';
import { keyMatchesCertificate, parsePrivateKey } from './keys.js';
import { certificateBlocks } from './pem.js';
import type {
  CaDeps,
  CertificateAuthority,
  ClusterAction,
  EnsureTrustRequest,
  ExpiryEntry,
  IntermediateBundle,
  ShipOptions,
  TrustReport,
} from './types.js';
import { assertClusterList, assertClusterName, resolveTrustOptions } from './validate.js';

// File names exactly as istio/tools/certs writes them; istiod's cacerts secret uses the same keys.
export const ROOT_CERT_FILE = 'root-cert.pem';
export const ROOT_KEY_FILE = 'root-key.pem';
export const BUNDLE_FILES = {
  caCert: 'ca-cert.pem',
  caKey: 'ca-key.pem',
  rootCert: 'root-cert.pem',
  certChain: 'cert-chain.pem',
} as const;

type RootState = { kind: 'absent' } | { kind: 'present'; ca: CertificateAuthority };
export type BundleState =
  | { kind: 'absent' }
  | { kind: 'partial'; missing: string[] }
  | { kind: 'present'; bundle: IntermediateBundle };

function assertCaCertificate(certPem: string, path: string): void {
  const count = certificateBlocks(certPem).length;
  if (count !== 1) {
    throw new PkiError({ code: count === 0 ? PKI_ERROR_CODES.malformedPem : PKI_ERROR_CODES.invalidCertificate, message: `${path} must hold exactly one PEM certificate, found ${count}`, hint: `Restore ${path} from a backup of the trust folder.`, path: path });
  }
  const info = inspectCertificate(certPem);
  if (!info.isCA) {
    throw new PkiError({ code: PKI_ERROR_CODES.invalidCertificate, message: `${path} is not a CA certificate (basicConstraints CA:TRUE missing)`, hint: `Restore ${path} from a backup of the trust folder.`, path: path });
  }
}

function assertKeyMatches(keyPem: string, certPem: string, keyPath: string, certPath: string, hint: string): void {
  const key = parsePrivateKey(keyPem, keyPath);
  const der = certificateBlocks(certPem)[0]?.der ?? new Uint8Array();
  if (!keyMatchesCertificate(key, der)) {
    throw new PkiError({ code: PKI_ERROR_CODES.keyMismatch, message: `${keyPath} does not belong to ${certPath}`, hint: hint, path: keyPath });
  }
}

async function readRootState(rootDir: string): Promise<RootState> {
  const certPath = join(rootDir, ROOT_CERT_FILE);
  const keyPath = join(rootDir, ROOT_KEY_FILE);
  const [certPem, keyPem] = await Promise.all([readIfExists(certPath), readIfExists(keyPath)]);
  if (certPem === undefined && keyPem === undefined) return { kind: 'absent' };
  if (certPem === undefined || keyPem === undefined) {
    const [have, missing] = certPem === undefined ? [keyPath, certPath] : [certPath, keyPath];
    throw new PkiError({ code: PKI_ERROR_CODES.rootIncomplete, message: `root CA is incomplete: ${have} exists but ${missing} is missing`, hint: `Restore ${missing} from your backup. Only if the root is lost for good: move ${rootDir} aside and re-run to ` +
        'create a new root; every cluster then needs a new intermediate and a restart of its workloads.', path: missing });
  }
  assertCaCertificate(certPem, certPath);
  assertKeyMatches(keyPem, certPem, keyPath, certPath, `Restore the ${ROOT_KEY_FILE} that was created together with ${certPath}.`);
  return { kind: 'present', ca: { certPem, keyPem } };
}

/** The root CA in `rootDir`, validated (cert is a CA, key matches it). */
export async function loadRoot(rootDir: string): Promise<CertificateAuthority> {
  const state = await readRootState(rootDir);
  if (state.kind === 'absent') {
    throw new PkiError({ code: PKI_ERROR_CODES.rootMissing, message: `no root CA in ${rootDir} (${ROOT_CERT_FILE} and ${ROOT_KEY_FILE} are missing)`, hint: 'Create the trust hierarchy first, or point at the folder that holds the mesh root.', path: join(rootDir, ROOT_CERT_FILE) });
  }
  return state.ca;
}

export async function readBundleState(rootDir: string, cluster: string): Promise<BundleState> {
  const dir = join(rootDir, cluster);
  const names = [BUNDLE_FILES.caCert, BUNDLE_FILES.caKey, BUNDLE_FILES.rootCert, BUNDLE_FILES.certChain];
  const [caCertPem, caKeyPem, rootCertPem, certChainPem] = await Promise.all(names.map((n) => readIfExists(join(dir, n))));
  const missing = names.filter((_, i) => [caCertPem, caKeyPem, rootCertPem, certChainPem][i] === undefined);
  if (missing.length === names.length) return { kind: 'absent' };
  if (caCertPem === undefined || caKeyPem === undefined || rootCertPem === undefined || certChainPem === undefined) {
    return { kind: 'partial', missing };
  }
  return { kind: 'present', bundle: { cluster, caCertPem, caKeyPem, rootCertPem, certChainPem } };
}

function rotateHint(rootDir: string, cluster: string): string {
  return `Re-issue it with --rotate ${cluster} (rotate: ['${cluster}']), or delete ${join(rootDir, cluster)} and re-run.`;
}

function partialBundleError(rootDir: string, cluster: string, missing: readonly string[]): PkiError {
  const dir = join(rootDir, cluster);
  return new PkiError({ code: PKI_ERROR_CODES.bundleIncomplete, message: `incomplete signing CA bundle for cluster ${cluster}: ${missing.map((m) => join(dir, m)).join(', ')} missing ` +
      '(istiod refuses it: "incomplete signing CA bundle detected")', hint: rotateHint(rootDir, cluster), path: join(dir, missing[0] ?? '') });
}

function assertBundle(rootDir: string, bundle: IntermediateBundle, trust: MeshTrust): void {
  const dir = join(rootDir, bundle.cluster);
  const caCertPath = join(dir, BUNDLE_FILES.caCert);
  assertCaCertificate(bundle.caCertPem, caCertPath);
  const problem = chainProblem(bundle, trust.trustedPem);
  if (problem !== undefined) {
    throw new PkiError({ code: PKI_ERROR_CODES.chainMismatch, message: `cluster ${bundle.cluster} does not chain to the root in ${rootDir}: ${problem}`, hint: trust.stage ? `A root rotation is at stage ${trust.stage}: run meshfed certs --rotate-root again to finish that stage's files. ${rotateHint(rootDir, bundle.cluster)}` : rotateHint(rootDir, bundle.cluster), path: caCertPath });
  }
  if (!issuedBy(bundle.caCertPem, trust.signing.certPem)) {
    throw new PkiError({ code: PKI_ERROR_CODES.chainMismatch, message: `the intermediate of cluster ${bundle.cluster} is not signed by the root that signs at stage ${trust.stage ?? '(none)'} (${trust.signing.certPath})`, hint: `Run meshfed certs --rotate-root again: it re-issues the intermediates the stage still lacks.`, path: caCertPath });
  }
  assertKeyMatches(bundle.caKeyPem, bundle.caCertPem, join(dir, BUNDLE_FILES.caKey), caCertPath, rotateHint(rootDir, bundle.cluster));
}

/** Refuses a certificate outside its validity at `now`: istiod would ship a CA no peer accepts. */
function assertValidAt(certPem: string, path: string, what: string, now: Date, hint: string): void {
  const info = inspectCertificate(certPem);
  if (info.notAfter.getTime() <= now.getTime())
    throw new PkiError({ code: PKI_ERROR_CODES.expired, message: `${what} expired on ${info.notAfter.toISOString()} (${path})`, hint: hint, path: path });
  if (info.notBefore.getTime() > now.getTime())
    throw new PkiError({ code: PKI_ERROR_CODES.notYetValid, message: `${what} is not valid before ${info.notBefore.toISOString()} (${path}); is this machine's clock behind the one that issued it?`, hint: hint, path: path });
}

/**
 * A cluster's `cacerts` material, checked as it must be before it is shipped to a cluster
 * (render --include-secrets, apply's cacerts step): complete and self-consistent, chaining to
 * the mesh's root in `rootDir/root-cert.pem` (required: without it bundles of two roots would
 * pass), root and intermediate valid now, the intermediate not outliving the root, and the key
 * file readable by its owner only. The root key is not needed.
 */
export async function readIntermediate(rootDir: string, cluster: string, options: ShipOptions = {}): Promise<IntermediateBundle> {
  assertClusterName(cluster);
  const state = await readBundleState(rootDir, cluster);
  if (state.kind === 'absent') {
    throw new PkiError({ code: PKI_ERROR_CODES.bundleMissing, message: `no intermediate CA for cluster ${cluster} in ${join(rootDir, cluster)}`, hint: `Add ${cluster} to the mesh's clusters and create the trust hierarchy.`, path: join(rootDir, cluster) });
  }
  if (state.kind === 'partial') throw partialBundleError(rootDir, cluster, state.missing);
  const rootPath = join(rootDir, ROOT_CERT_FILE);
  const trust = await readMeshTrust(rootDir);
  if (trust === undefined) {
    throw new PkiError({ code: PKI_ERROR_CODES.noMeshRoot, message: `${rootPath} is missing: the cluster bundles cannot be checked against one mesh root`, hint: `Restore ${ROOT_CERT_FILE} (the mesh's root certificate) into ${rootDir}; every cluster's root-cert.pem must be a copy of it.`, path: rootPath });
  }
  assertCaCertificate(trust.signing.certPem, trust.signing.certPath);
  assertBundle(rootDir, state.bundle, trust);
  const now = options.now ?? new Date();
  const caCertPath = join(rootDir, cluster, BUNDLE_FILES.caCert);
  for (const r of [trust.old, ...(trust.new ? [trust.new] : [])]) {
    if (!trust.trustedPem.includes(r.certPem.trim())) continue;
    assertValidAt(r.certPem, r.certPath, 'the mesh root CA', now, `Create a new root (move ${rootDir} aside and run meshfed certs), then re-issue every intermediate.`);
  }
  assertValidAt(state.bundle.caCertPem, caCertPath, `the intermediate CA of ${cluster}`, now, rotateHint(rootDir, cluster));
  const root = inspectCertificate(trust.signing.certPem);
  const ca = inspectCertificate(state.bundle.caCertPem);
  if (ca.notAfter.getTime() > root.notAfter.getTime()) {
    throw new PkiError({ code: PKI_ERROR_CODES.outlivesRoot, message: `the intermediate CA of ${cluster} is valid until ${ca.notAfter.toISOString()}, after its root (${root.notAfter.toISOString()}): from then on its chain does not verify`, hint: `${rotateHint(rootDir, cluster)} Keep intermediateValidityDays below the root's remaining days.`, path: caCertPath });
  }
  const keyPath = join(rootDir, cluster, BUNDLE_FILES.caKey);
  const keyMode = await fileMode(keyPath);
  if (!options.allowReadableKeys && keyMode !== undefined && (keyMode & 0o077) !== 0) {
    throw new PkiError({ code: PKI_ERROR_CODES.keyReadableByOthers, message: `${keyPath} is readable by other users (mode ${keyMode.toString(8).padStart(4, '0')})`, hint: `Run: chmod 600 ${keyPath}. Only where the file system cannot keep modes, pass --allow-readable-keys.`, path: keyPath });
  }
  return state.bundle;
}

async function writeRoot(rootDir: string, ca: CertificateAuthority): Promise<void> {
  await ensureDir(rootDir);
  // Key first: an interrupted run then leaves a key without a cert, which the next run reports.
  await writeFileAtomic(join(rootDir, ROOT_KEY_FILE), ca.keyPem, KEY_MODE);
  await writeFileAtomic(join(rootDir, ROOT_CERT_FILE), ca.certPem, CERT_MODE);
}

export async function writeBundle(rootDir: string, bundle: IntermediateBundle): Promise<void> {
  const dir = join(rootDir, bundle.cluster);
  await ensureDir(dir);
  await writeFileAtomic(join(dir, BUNDLE_FILES.caKey), bundle.caKeyPem, KEY_MODE);
  await writeFileAtomic(join(dir, BUNDLE_FILES.caCert), bundle.caCertPem, CERT_MODE);
  await writeFileAtomic(join(dir, BUNDLE_FILES.rootCert), bundle.rootCertPem, CERT_MODE);
  await writeFileAtomic(join(dir, BUNDLE_FILES.certChain), bundle.certChainPem, CERT_MODE);
}

function expiryEntry(name: string, kind: ExpiryEntry['kind'], certPem: string, now: Date): ExpiryEntry {
  const info = inspectCertificate(certPem);
  return { name, kind, notAfter: info.notAfter, daysLeft: daysUntilExpiry(info, now), status: expiryStatus(info, now) };
}

async function keyModeWarning(path: string): Promise<string[]> {
  const mode = await fileMode(path);
  if (mode === undefined || (mode & 0o077) === 0) return [];
  return [`${path} is readable by other users (mode ${mode.toString(8).padStart(4, '0')}); run: chmod 600 ${path}`];
}

/**
 * Makes `rootDir` hold one root CA and one intermediate per cluster, creating
 * what is missing and keeping (byte for byte) what is there. Everything is
 * validated before the first write, so a failing run changes nothing on disk.
 */
export async function ensureTrust(request: EnsureTrustRequest): Promise<TrustReport> {
  const { rootDir, clusters } = request;
  const options = resolveTrustOptions(request.options);
  assertClusterList(clusters);
  const rotate = new Set(request.rotate ?? []);
  for (const cluster of rotate) {
    if (!clusters.includes(cluster)) {
      throw new PkiError({ code: PKI_ERROR_CODES.unknownRotateCluster, message: `cannot rotate ${JSON.stringify(cluster)}: it is not one of the mesh's clusters`, hint: `Rotate one of: ${clusters.join(', ') || '(no clusters)'}.` });
    }
  }
  const now = request.now ?? (() => new Date());
  const deps: CaDeps = request.serialNumber ? { now, serialNumber: request.serialNumber } : { now };

  const rootState = await readRootState(rootDir);
  const bundleStates = new Map<string, BundleState>();
  for (const cluster of clusters) bundleStates.set(cluster, await readBundleState(rootDir, cluster));

  if (rootState.kind === 'absent') {
    if (rotate.size > 0) {
      throw new PkiError({ code: PKI_ERROR_CODES.rootMissing, message: `cannot rotate ${[...rotate].join(', ')}: there is no root CA in ${rootDir}`, hint: 'Rotation re-issues intermediates under the existing root. Run without rotate to create the hierarchy, ' +
          `or point rootDir at the folder holding ${ROOT_CERT_FILE} and ${ROOT_KEY_FILE}.`, path: join(rootDir, ROOT_CERT_FILE) });
    }
    const orphan = clusters.find((c) => bundleStates.get(c)?.kind !== 'absent');
    if (orphan !== undefined) {
      throw new PkiError({ code: PKI_ERROR_CODES.rootMissing, message: `${join(rootDir, orphan)} holds CA files but ${rootDir} has no root CA, so they cannot be trusted`, hint: `Restore ${ROOT_CERT_FILE} and ${ROOT_KEY_FILE} into ${rootDir}, or delete the cluster folders to start a new hierarchy.`, path: join(rootDir, ROOT_CERT_FILE) });
    }
  }
  // In a root rotation the signing root and the trusted roots follow its stage (rootFiles.ts).
  const trust = rootState.kind === 'present' ? await readMeshTrust(rootDir) : undefined;
  if (trust) {
    for (const [cluster, state] of bundleStates) {
      if (rotate.has(cluster)) continue; // rotation is the fix for whatever is wrong with it
      if (state.kind === 'partial') throw partialBundleError(rootDir, cluster, state.missing);
      if (state.kind === 'present') assertBundle(rootDir, state.bundle, trust);
    }
  }

  const warnings: string[] = [];
  let root: CertificateAuthority;
  if (rootState.kind === 'absent' || !trust) {
    root = await createRootCA(options, deps);
    await writeRoot(rootDir, root);
  } else {
    root = trust.signing.certPath === join(rootDir, ROOT_CERT_FILE) ? rootState.ca : await loadCa(trust.signing.certPath, trust.signing.keyPath);
    warnings.push(...(await keyModeWarning(trust.signing.keyPath)));
  }
  const trustedPem = trust?.trustedPem;

  // Key generation dominates (RSA 4096 takes about a second); WebCrypto runs it on libuv's
  // thread pool, so issuing several at once keeps every core busy.
  const toIssue = clusters.filter((c) => bundleStates.get(c)?.kind !== 'present' || rotate.has(c));
  // Injected serial numbers are drawn in cluster order, so concurrency cannot reorder them.
  const serialOf = new Map(toIssue.map((c) => [c, request.serialNumber?.()]));
  const depsOf = (c: string): CaDeps => {
    const serial = serialOf.get(c);
    return serial === undefined ? { now } : { now, serialNumber: () => serial };
  };
  const issued = await mapConcurrent(toIssue, Math.max(2, availableParallelism()), async (c) => withTrusted(await createIntermediateCA(root, c, options, depsOf(c)), trustedPem));
  const results: { cluster: string; action: ClusterAction }[] = [];
  const expiry: ExpiryEntry[] = [expiryEntry('root', 'root', root.certPem, now())];
  for (const cluster of clusters) {
    const state = bundleStates.get(cluster) ?? { kind: 'absent' };
    let bundle: IntermediateBundle;
    let action: ClusterAction;
    const fresh = issued.get(cluster);
    if (fresh === undefined && state.kind === 'present') {
      bundle = state.bundle;
      action = 'kept';
      warnings.push(...(await keyModeWarning(join(rootDir, cluster, BUNDLE_FILES.caKey))));
    } else {
      bundle = fresh!;
      await writeBundle(rootDir, bundle);
      action = state.kind === 'absent' ? 'created' : 'rotated';
    }
    results.push({ cluster, action });
    expiry.push(expiryEntry(cluster, 'intermediate', bundle.caCertPem, now()));
  }

  return { rootDir, root: { action: rootState.kind === 'absent' ? 'created' : 'kept' }, clusters: results, expiry, warnings };
}

/** A freshly issued bundle whose root-cert.pem holds every root trusted now (a root rotation's two). */
export function withTrusted(bundle: IntermediateBundle, trustedPem: string | undefined): IntermediateBundle {
  return trustedPem === undefined ? bundle : { ...bundle, rootCertPem: trustedPem };
}

/** A CA certificate and its key from two files, checked to belong together. */
export async function loadCa(certPath: string, keyPath: string): Promise<CertificateAuthority> {
  const [certPem, keyPem] = await Promise.all([readIfExists(certPath), readIfExists(keyPath)]);
  if (certPem === undefined || keyPem === undefined) {
    const missing = certPem === undefined ? certPath : keyPath;
    throw new PkiError({ code: PKI_ERROR_CODES.rootIncomplete, message: `root CA is incomplete: ${missing} is missing`, hint: `Restore ${missing} from your backup of the trust folder.`, path: missing });
  }
  assertCaCertificate(certPem, certPath);
  assertKeyMatches(keyPem, certPem, keyPath, certPath, `Restore the key that was created together with ${certPath}.`);
  return { certPem, keyPem };
}

/** Runs `fn` over `items` with at most `limit` in flight; results keyed by item. */
async function mapConcurrent<T>(items: readonly string[], limit: number, fn: (item: string) => Promise<T>): Promise<Map<string, T>> {
  const out = new Map<string, T>();
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++]!;
      out.set(item, await fn(item));
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
