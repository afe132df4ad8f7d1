/**
 * `certs --rotate-root`: moves the trust folder one root rotation stage on (rootRotation.ts
 * says what each stage means, rootFiles.ts where its files live). Every transition can be
 * re-run from its start: what a killed run already wrote is recognised and kept, and the
 * stage file is written last.
 */
import { unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { createIntermediateCA, createRootCA, issuedBy } from './ca.js';
import { PKI_ERROR_CODES, PkiError } from './errors.js';
import { CERT_MODE, ensureDir, KEY_MODE, readIfExists, writeFileAtomic } from './files.js';
import { readMeshTrust, ROOT_FILES, type MeshTrust } from './rootFiles.js';
import { describeRootStage, nextRootStage, trustedRootsOf, type RootStage } from './rootRotation.js';
import { BUNDLE_FILES, loadCa, readBundleState, withTrusted, writeBundle } from './store.js';
import type { CertificateAuthority, IntermediateBundle, TrustOptions } from './types.js';
import { assertClusterList, resolveTrustOptions } from './validate.js';

export interface RootRotationRequest {
  readonly rootDir: string;
  readonly clusters: readonly string[];
  readonly options?: Partial<TrustOptions>;
  readonly now?: () => Date;
}

export interface RootRotationReport {
  readonly rootDir: string;
  readonly from: RootStage | undefined;
  readonly to: RootStage | 'done';
  /** What people read about the stage reached. */
  readonly description: string;
  readonly clusters: ReadonlyArray<{ readonly cluster: string; readonly action: 'trusts-both' | 'reissued' | 'kept' | 'trusts-new' }>;
  /** Files removed (the old root at the end); names only. */
  readonly removed: readonly string[];
}

const orderError = (message: string, hint: string) => new PkiError({ code: PKI_ERROR_CODES.rootRotationOrder, message, hint });

async function presentBundles(rootDir: string, clusters: readonly string[]): Promise<IntermediateBundle[]> {
  const out: IntermediateBundle[] = [];
  for (const c of clusters) {
    const s = await readBundleState(rootDir, c);
    if (s.kind !== 'present') throw orderError(`cluster ${c} has no complete intermediate in ${join(rootDir, c)}`, 'Run meshfed certs first: a root rotation starts from a complete trust folder.');
    out.push(s.bundle);
  }
  return out;
}

async function writeStage(rootDir: string, stage: RootStage): Promise<void> {
  await writeFileAtomic(join(rootDir, ROOT_FILES.stage), `${JSON.stringify({ stage })}\n`, CERT_MODE);
}

async function writeRootPair(rootDir: string, ca: CertificateAuthority, cert: string, key: string): Promise<void> {
  // Key first: a killed run leaves a key without its cert, never a cert whose key is lost.
  await writeFileAtomic(join(rootDir, key), ca.keyPem, KEY_MODE);
  await writeFileAtomic(join(rootDir, cert), ca.certPem, CERT_MODE);
}

const removeIfThere = async (path: string): Promise<boolean> => unlink(path).then(() => true, (e: NodeJS.ErrnoException) => (e.code === 'ENOENT' ? false : Promise.reject(e)));

/** Moves the folder one stage on; see the module comment. */
export async function advanceRootRotation(request: RootRotationRequest): Promise<RootRotationReport> {
  const { rootDir, clusters } = request;
  assertClusterList(clusters);
  const options = resolveTrustOptions(request.options);
  const now = request.now ?? (() => new Date());
  const trust = await readMeshTrust(rootDir);
  if (!trust) throw new PkiError({ code: PKI_ERROR_CODES.rootMissing, message: `no root CA in ${rootDir}`, hint: 'Create the trust hierarchy first (meshfed certs); a rotation replaces an existing root.', path: join(rootDir, ROOT_FILES.cert) });
  const from = trust.stage;
  const to = nextRootStage(from);
  const report = (list: RootRotationReport['clusters'], removed: string[] = []): RootRotationReport => ({ rootDir, from, to, description: to === 'done' ? 'root rotation finished: the old root is gone from the trust folder' : describeRootStage(to), clusters: list, removed });
  await ensureDir(rootDir);

  if (to === 'trust-both') {
    const bundles = await presentBundles(rootDir, clusters);
    for (const b of bundles) if (!issuedBy(b.caCertPem, trust.old.certPem)) throw orderError(`the intermediate of ${b.cluster} is not signed by the root in ${trust.old.certPath}`, `Re-issue it first: meshfed certs --rotate ${b.cluster}.`);
    const nextCert = join(rootDir, ROOT_FILES.nextCert);
    const nextKey = join(rootDir, ROOT_FILES.nextKey);
    // A killed run may have made the new root already: it is kept, so every cluster trusts one new root.
    const fresh = (await readIfExists(nextCert)) !== undefined ? await loadCa(nextCert, nextKey) : await createRootCA(options, { now });
    await writeRootPair(rootDir, fresh, ROOT_FILES.nextCert, ROOT_FILES.nextKey);
    const both = trustedRootsOf('trust-both', { old: trust.old.certPem, new: fresh.certPem }).join('');
    for (const b of bundles) await writeFileAtomic(join(rootDir, b.cluster, BUNDLE_FILES.rootCert), both, CERT_MODE);
    await writeStage(rootDir, 'trust-both');
    return report(bundles.map((b) => ({ cluster: b.cluster, action: 'trusts-both' })));
  }

  const fresh = requireNew(trust);
  if (to === 'reissue') {
    const signer = await loadCa(fresh.certPath, fresh.keyPath);
    const both = trustedRootsOf('reissue', { old: trust.old.certPem, new: fresh.certPem }).join('');
    const list: RootRotationReport['clusters'][number][] = [];
    for (const b of await presentBundles(rootDir, clusters)) {
      if (issuedBy(b.caCertPem, fresh.certPem)) {
        list.push({ cluster: b.cluster, action: 'kept' }); // re-issued by a run that was killed later
        continue;
      }
      await writeBundle(rootDir, withTrusted(await createIntermediateCA(signer, b.cluster, options, { now }), both));
      list.push({ cluster: b.cluster, action: 'reissued' });
    }
    await writeStage(rootDir, 'reissue');
    return report(list);
  }

  if (to === 'drop-old') {
    const bundles = await presentBundles(rootDir, clusters);
    for (const b of bundles) if (!issuedBy(b.caCertPem, fresh.certPem)) throw orderError(`the intermediate of ${b.cluster} is still from the old root`, 'Finish stage reissue first: meshfed certs --rotate-root re-issues what it lacks.');
    const newCa = await loadCa(fresh.certPath, fresh.keyPath);
    const topCert = join(rootDir, ROOT_FILES.cert);
    if (trust.old.certPath === topCert) {
      // The old root moves aside (kept, key 0600, until the rotation ends), the new one takes its place.
      const oldCa = await loadCa(trust.old.certPath, trust.old.keyPath);
      await writeRootPair(rootDir, oldCa, ROOT_FILES.previousCert, ROOT_FILES.previousKey);
    }
    await writeRootPair(rootDir, newCa, ROOT_FILES.cert, ROOT_FILES.key);
    const only = trustedRootsOf('drop-old', { old: trust.old.certPem, new: newCa.certPem }).join('');
    for (const b of bundles) await writeFileAtomic(join(rootDir, b.cluster, BUNDLE_FILES.rootCert), only, CERT_MODE);
    await removeIfThere(join(rootDir, ROOT_FILES.nextKey));
    await removeIfThere(join(rootDir, ROOT_FILES.nextCert));
    await writeStage(rootDir, 'drop-old');
    return report(bundles.map((b) => ({ cluster: b.cluster, action: 'trusts-new' })));
  }

  // done: the old root goes, key first.
  const removed: string[] = [];
  for (const f of [ROOT_FILES.previousKey, ROOT_FILES.previousCert, ROOT_FILES.stage]) if (await removeIfThere(join(rootDir, f))) removed.push(f);
  return report([], removed);
}

function requireNew(trust: MeshTrust): NonNullable<MeshTrust['new']> {
  if (!trust.new) throw new PkiError({ code: PKI_ERROR_CODES.rootRotationState, message: `the root rotation is at stage ${trust.stage ?? '(none)'} but the new root is missing`, hint: `Restore ${ROOT_FILES.nextCert} and ${ROOT_FILES.nextKey} from a backup of the trust folder.` });
  return trust.new;
}

