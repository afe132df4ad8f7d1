import { X509Certificate } from 'node:crypto';
import { join } from 'node:path';
import { chainProblem, daysUntilExpiry, expiryStatus, inspectCertificate } from './ca.js';
import { readIfExists } from './files.js';
import { readMeshTrust } from './rootFiles.js';
import { certificateBlocks } from './pem.js';
import { BUNDLE_FILES, ROOT_CERT_FILE } from './store.js';
import type { CertificateSummary, TrustSummary } from './types.js';

function summarize(pem: string, now: Date): CertificateSummary {
  const info = inspectCertificate(pem);
  const der = certificateBlocks(pem)[0]!.der;
  return {
    subject: info.subject,
    issuer: info.issuer,
    fingerprintSha256: new X509Certificate(Buffer.from(der)).fingerprint256,
    notBefore: info.notBefore.toISOString(),
    notAfter: info.notAfter.toISOString(),
    daysLeft: daysUntilExpiry(info, now),
    status: expiryStatus(info, now),
  };
}

const why = (e: unknown) => (e instanceof Error ? e.message : String(e));

/**
 * What the trust folder holds, for the dashboard: reads certificate files only (never a
 * `*-key.pem`), so nothing it returns or fails with can carry key material. A missing or
 * broken file is a `problem` of that entry, not a failure of the whole summary.
 */
export async function summarizeTrust(rootDir: string, clusters: readonly string[], now: Date = new Date()): Promise<TrustSummary> {
  const rootPem = await readIfExists(join(rootDir, ROOT_CERT_FILE)).catch(() => undefined);
  let root: TrustSummary['root'];
  try {
    root = rootPem === undefined ? { present: false, problem: `no ${ROOT_CERT_FILE} in the trust folder (run meshfed certs)` } : { present: true, ...summarize(rootPem, now) };
  } catch (e) {
    root = { present: false, problem: `${ROOT_CERT_FILE}: ${why(e)}` };
  }
  // During a root rotation the bundles hold the roots its stage trusts (one or two).
  const trustedPem = await readMeshTrust(rootDir).then((t) => t?.trustedPem, () => undefined);
  const intermediates = await Promise.all(
    clusters.map(async (cluster): Promise<TrustSummary['intermediates'][number]> => {
      const dir = join(rootDir, cluster);
      const [caCertPem, rootCertPem, certChainPem] = await Promise.all([BUNDLE_FILES.caCert, BUNDLE_FILES.rootCert, BUNDLE_FILES.certChain].map((f) => readIfExists(join(dir, f)).catch(() => undefined)));
      if (caCertPem === undefined) return { cluster, present: false, problem: `no ${BUNDLE_FILES.caCert} for ${cluster} (run meshfed certs)` };
      try {
        const summary = summarize(caCertPem, now);
        const problem =
          rootPem === undefined
            ? 'no mesh root to check against'
            : rootCertPem === undefined || certChainPem === undefined
              ? `${BUNDLE_FILES.rootCert} or ${BUNDLE_FILES.certChain} is missing`
              : chainProblem({ cluster, caCertPem, rootCertPem, certChainPem }, trustedPem ?? rootPem);
        return { cluster, present: true, ...summary, chainsToRoot: problem === undefined, ...(problem !== undefined ? { problem } : {}) };
      } catch (e) {
        return { cluster, present: false, problem: `${BUNDLE_FILES.caCert}: ${why(e)}` };
      }
    }),
  );
  return { rootDir, root, intermediates };
}
