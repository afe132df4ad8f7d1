import { certificateBlocksOf, chainProblem, daysUntilExpiry, EXPIRY_WARNING_DAYS, expiryStatus, inspectCertificate, issuedBy } from '../../pki/index.js';
import { objectKey, OBJECTS } from '../../plan/index.js';
import { defineCheck, finding } from '../check.js';

const CACERTS = objectKey(OBJECTS.cacerts);
const ROOT_CM = 'ConfigMap/istio-system/istio-ca-root-cert';
const plansCacerts = (c: { resources: readonly { kind: string; name: string }[] }) => c.resources.some((r) => r.kind === 'Secret' && r.name === OBJECTS.cacerts.name);

/** MF4040: cacerts present wherever the plan puts it. */
export const cacertsPresent = defineCheck({
  code: 'MF4040',
  title: 'cacerts present',
  run(input, c, live) {
    if (!plansCacerts(c)) return [];
    if (!live.cacerts)
      return [finding(this, c.name, 'error', `${CACERTS} not found`, { resource: CACERTS, cause: "istiod then makes a self-signed root of its own: this cluster's workloads do not trust the others'", fix: `meshfed certs -f ${input.meshFile} && ${input.applyCommand}` })];
    return [finding(this, c.name, 'ok', `${CACERTS} holds ${Object.keys(live.cacerts).length} of 3 certificate files`, { resource: CACERTS })];
  },
});

type Cacerts = { caCert?: string; rootCert?: string; certChain?: string };

/** What is wrong with a cluster's cacerts against one stage's trust, or undefined. Pure. */
function cacertsProblem(cluster: string, live: Cacerts, roots: string, signingPem: string | undefined): string | undefined {
  const caCertPem = live.caCert ?? '';
  const problem = chainProblem({ cluster, caCertPem, rootCertPem: live.rootCert ?? '', certChainPem: live.certChain ?? '' }, roots);
  if (problem || signingPem === undefined || issuedBy(caCertPem, signingPem)) return problem;
  return 'ca-cert.pem is not signed by the root that signs in this stage';
}

const stageName = (stage: string | undefined) => (stage ? `stage ${stage}` : 'the mesh before the rotation');

/**
 * MF4041: cacerts' intermediate is signed by the mesh's root, and its chain and root files
 * agree. During a root rotation the mesh's roots are the stage's (old + new until drop-old, the
 * intermediate from the stage's signing root); a cluster that still holds the stage before has
 * not been shipped it yet (a warning: it works, apply ships it); anything else is an error.
 */
export const cacertsChain = defineCheck({
  code: 'MF4041',
  title: 'cacerts chains to the mesh root',
  run(input, c, live) {
    if (!plansCacerts(c) || !live.cacerts) return [];
    if (input.meshRoot === undefined)
      return [finding(this, c.name, 'warning', 'the trust folder has no readable root-cert.pem', { resource: CACERTS, cause: "the mesh's root is not known here, so the chain was not checked", fix: 'run doctor where the trust folder is (spec.trust.rootDir), or meshfed certs' })];
    const rot = input.rootRotation;
    const problem = cacertsProblem(c.name, live.cacerts, input.meshRoot, rot?.signingPem);
    if (!problem) return [finding(this, c.name, 'ok', rot ? `intermediate and root-cert.pem as root rotation ${rot.description}` : "intermediate signed by the mesh's root; cert-chain.pem and root-cert.pem agree", { resource: CACERTS })];
    if (rot && !cacertsProblem(c.name, live.cacerts, rot.previous.trustedPem, rot.previous.signingPem))
      return [finding(this, c.name, 'warning', `cacerts still holds ${stageName(rot.previous.stage)}, not root rotation stage ${rot.stage} yet (${problem})`, { resource: CACERTS, cause: 'the trust folder moved on a stage (meshfed certs --rotate-root) and apply has not shipped it to this cluster yet; traffic keeps working, as every stage trusts the roots the stage before signs with', fix: input.applyCommand })];
    const during = rot ? ` (root rotation ${rot.description})` : '';
    return [finding(this, c.name, 'error', `${problem}${during}`, { resource: CACERTS, cause: `workloads of this cluster get certificates other clusters' workloads do not trust: cross-cluster mTLS fails (apply ships the trust folder's intermediate for ${c.name})`, fix: input.applyCommand })];
  },
});

/** MF4042: the intermediate in cacerts is not expired nor expiring within 30 days. */
export const cacertsExpiry = defineCheck({
  code: 'MF4042',
  title: 'cacerts expiry',
  run(input, c, live) {
    if (!live.cacerts?.caCert) return [];
    let info;
    try {
      info = inspectCertificate(live.cacerts.caCert);
    } catch (e) {
      return [finding(this, c.name, 'error', `ca-cert.pem cannot be read: ${(e as Error).message}`, { resource: CACERTS, cause: 'istiod cannot load its CA', fix: input.applyCommand })];
    }
    const status = expiryStatus(info, input.now);
    const days = daysUntilExpiry(info, input.now);
    const when = `notAfter ${info.notAfter.toISOString()}`;
    if (status === 'expired') return [finding(this, c.name, 'error', `intermediate expired ${-days} day(s) ago (${when})`, { resource: CACERTS, cause: 'istiod signs no valid workload certificate', fix: `meshfed certs -f ${input.meshFile} --rotate ${c.name} && ${input.applyCommand}` })];
    if (status === 'expiring') return [finding(this, c.name, 'warning', `intermediate expires in ${days} day(s) (${when}), under ${EXPIRY_WARNING_DAYS}`, { resource: CACERTS, cause: 'once it expires istiod signs no valid workload certificate', fix: `meshfed certs -f ${input.meshFile} --rotate ${c.name} && ${input.applyCommand}` })];
    return [finding(this, c.name, 'ok', `intermediate valid for ${days} more days`, { resource: CACERTS })];
  },
});

/** Whether two PEM bundles hold the same certificates, in any order. Pure. */
const sameRoots = (a: string, b: string) => {
  const x = certificateBlocksOf(a);
  const y = certificateBlocksOf(b);
  const has = (list: typeof x, d: Uint8Array) => list.some((r) => Buffer.from(r.der).equals(Buffer.from(d)));
  return x.length > 0 && x.every((r) => has(y, r.der)) && y.every((r) => has(x, r.der));
};

/** MF4043: the roots istiod gives workloads are the mesh's (during a root rotation: the stage's, or the stage before while it is shipped). */
export const workloadRoot = defineCheck({
  code: 'MF4043',
  title: 'workload root certificate',
  run(input, c, live) {
    // Published by a running istiod; absent before it first ran (the lab's istiod is not real yet).
    if (live.caRootCert === undefined || input.meshRoot === undefined) return [];
    const rot = input.rootRotation;
    if (sameRoots(live.caRootCert, input.meshRoot)) return [finding(this, c.name, 'ok', rot ? `workloads receive the roots of root rotation stage ${rot.stage}` : "workloads receive the mesh's root", { resource: ROOT_CM })];
    if (rot && sameRoots(live.caRootCert, rot.previous.trustedPem))
      return [finding(this, c.name, 'warning', `workloads still receive the roots of ${stageName(rot.previous.stage)}, not of root rotation stage ${rot.stage} yet`, { resource: ROOT_CM, cause: "istiod publishes its cacerts' roots: apply has not shipped the stage here yet, or istiod has not loaded it", fix: input.applyCommand })];
    // A remote runs no istiod: its primary's istiod writes the remote's ConfigMaps.
    const primary = input.plan.clusters.find((x) => x.name === c.primary) ?? c;
    const istiod = `${primary === c ? '' : `${primary.name}'s `}istiod`;
    return [
      finding(this, c.name, 'error', `istio-ca-root-cert's root-cert.pem is not the mesh's root${rot ? ` (root rotation ${rot.description})` : ''}`, {
        resource: ROOT_CM,
        cause: `${istiod} signs with a CA other than cacerts (it started before cacerts existed, or on another cacerts, and takes no new root that neither holds nor is held by its own): restart ${istiod} to load cacerts; it writes the ConfigMap once it leads again (its predecessor's lease lapses in 30 s)`,
        fix: `kubectl --context ${primary.context} -n istio-system rollout restart deployment ${OBJECTS.istiod(input.plan.mesh.istio.revision).name}`,
      }),
    ];
  },
});
