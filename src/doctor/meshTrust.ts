/**
 * The trust folder as doctor judges the clusters' CA material by it: the roots they must hold
 * now and, during a root rotation, its stage and the stage before (what a cluster not shipped the
 * stage yet still holds). A folder whose rotation files do not fit together (MF5030) is judged by
 * its root-cert.pem alone, as before a rotation.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describeRootStage, previousRootStage, readMeshTrust, ROOT_CERT_FILE, stageTrust } from '../pki/index.js';
import type { DoctorInput } from './check.js';

export async function readMeshTrustView(rootDir: string): Promise<Pick<DoctorInput, 'meshRoot' | 'rootRotation'>> {
  const trust = await readMeshTrust(rootDir).catch(() => undefined);
  if (!trust) {
    const root = await readFile(join(rootDir, ROOT_CERT_FILE), 'utf8').catch(() => undefined);
    return root === undefined ? {} : { meshRoot: root };
  }
  if (!trust.stage || !trust.new) return { meshRoot: trust.trustedPem };
  const roots = { old: trust.old.certPem, new: trust.new.certPem };
  const before = previousRootStage(trust.stage);
  return {
    meshRoot: trust.trustedPem,
    rootRotation: { stage: trust.stage, description: describeRootStage(trust.stage), ...stageTrust(trust.stage, roots), previous: { ...(before ? { stage: before } : {}), ...stageTrust(before, roots) } },
  };
}
