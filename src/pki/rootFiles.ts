/**
 * Which roots the trust folder holds during a root rotation, and which of them each cluster
 * must trust and be signed by (rootRotation.ts has the stages). Files, beside the usual
 * `root-cert.pem`/`root-key.pem` (the old root until drop-old, the new one from then on):
 *
 *   next-root-cert.pem, next-root-key.pem (0600)          the new root, until drop-old
 *   previous-root-cert.pem, previous-root-key.pem (0600)  the old root, from drop-old to the end
 *   .root-rotation                                        {"stage": "..."}; no key material
 *
 * Cluster folder names never end in `.pem` nor start with `.` (validate.ts), so none collides.
 * The stage file is written last in every transition, so a killed `certs --rotate-root`
 * leaves the previous stage in force and the next run redoes the transition.
 */
import { join } from 'node:path';
import { PKI_ERROR_CODES, PkiError } from './errors.js';
import { readIfExists } from './files.js';
import { certificateBlocks, sameDer } from './pem.js';
import { parseRootStage, signingRootOf, trustedRootsOf, type RootStage } from './rootRotation.js';

export const ROOT_FILES = {
  cert: 'root-cert.pem',
  key: 'root-key.pem',
  nextCert: 'next-root-cert.pem',
  nextKey: 'next-root-key.pem',
  previousCert: 'previous-root-cert.pem',
  previousKey: 'previous-root-key.pem',
  stage: '.root-rotation',
} as const;

/** A root certificate and where it and its key live. */
export interface RootRef {
  certPem: string;
  certPath: string;
  keyPath: string;
}

/** The folder's roots as the current stage uses them. */
export interface MeshTrust {
  stage?: RootStage;
  old: RootRef;
  new?: RootRef;
  /** The root that signs intermediates in this stage. */
  signing: RootRef;
  /** What every cluster's root-cert.pem holds in this stage (one or two roots). */
  trustedPem: string;
}

async function readRef(rootDir: string, cert: string, key: string): Promise<RootRef | undefined> {
  const certPath = join(rootDir, cert);
  const certPem = await readIfExists(certPath);
  return certPem === undefined ? undefined : { certPem, certPath, keyPath: join(rootDir, key) };
}

export async function readRootStage(rootDir: string): Promise<RootStage | undefined> {
  const path = join(rootDir, ROOT_FILES.stage);
  const text = await readIfExists(path);
  if (text === undefined) return undefined;
  const stage = parseRootStage(text);
  if (!stage) throw new PkiError({ code: PKI_ERROR_CODES.rootRotationState, message: `${path} does not name a root rotation stage`, hint: `It holds {"stage": "trust-both" | "reissue" | "drop-old"}; restore it from a backup of the trust folder.`, path });
  return stage;
}

const sameCert = (a: string, b: string) => sameDer(certificateBlocks(a)[0]?.der ?? new Uint8Array(), certificateBlocks(b)[0]?.der ?? new Uint8Array([1]));

/**
 * The trust view of `rootDir`, or undefined when it holds no root. Reads certificates only.
 * Old and new root are found from the files whatever point a killed transition reached:
 * old = previous-root (once written) or root; new = next-root, or root once the old one has
 * been moved to previous-root.
 */
export async function readMeshTrust(rootDir: string): Promise<MeshTrust | undefined> {
  const [top, next, previous, stage] = await Promise.all([
    readRef(rootDir, ROOT_FILES.cert, ROOT_FILES.key),
    readRef(rootDir, ROOT_FILES.nextCert, ROOT_FILES.nextKey),
    readRef(rootDir, ROOT_FILES.previousCert, ROOT_FILES.previousKey),
    readRootStage(rootDir),
  ]);
  if (!top) return undefined;
  const old = previous ?? top;
  const fresh = next ?? (previous && !sameCert(previous.certPem, top.certPem) ? top : undefined);
  if (stage === undefined) return { old: top, signing: top, trustedPem: top.certPem };
  if (!fresh) {
    // drop-old applied and the old root removed: only the new root is left
    if (stage === 'drop-old') return { stage, old: top, new: top, signing: top, trustedPem: top.certPem };
    throw new PkiError({ code: PKI_ERROR_CODES.rootRotationState, message: `the root rotation is at stage ${stage} but ${join(rootDir, ROOT_FILES.nextCert)} is missing`, hint: `Restore ${ROOT_FILES.nextCert} and ${ROOT_FILES.nextKey} from a backup of the trust folder.`, path: join(rootDir, ROOT_FILES.nextCert) });
  }
  const trusted = trustedRootsOf(stage, { old: old.certPem, new: fresh.certPem });
  return { stage, old, new: fresh, signing: signingRootOf(stage) === 'new' ? fresh : old, trustedPem: trusted.join('') };
}
