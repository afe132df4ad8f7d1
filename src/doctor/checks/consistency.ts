import { istiodName, type ClusterPlan } from '../../plan/index.js';
import { defineCheck, finding, reinstallFix, type DoctorInput } from '../check.js';
import { imageVersion } from '../../kube/index.js';
import { minorSkew, parseVersion } from '../parse.js';

const istiodRef = (input: DoctorInput) => `Deployment/istio-system/${istiodName(input.plan.mesh.istio.revision)}`;
const meshConfigRef = (input: DoctorInput) => `ConfigMap/istio-system/${input.plan.mesh.istio.revision ? `istio-${input.plan.mesh.istio.revision}` : 'istio'}`;

/** MF4013: every primary runs istiod (its Deployment exists). */
export const istiodRunning = defineCheck({
  code: 'MF4013',
  title: 'istiod installed',
  run(input, c, live) {
    if (c.role !== 'primary') return [];
    if (!live.istiod)
      return [finding(this, c.name, 'error', `${istiodRef(input)} not found`, { resource: istiodRef(input), cause: 'the primary has no control plane: nothing serves its proxies or watches its remotes', fix: input.applyCommand })];
    return [finding(this, c.name, 'ok', `${istiodRef(input)} (revision ${live.istiod.revision}, image ${live.istiod.container.image})`, { resource: istiodRef(input) })];
  },
});

/** MF4010: istiod's meshID is the mesh file's. */
export const meshId = defineCheck({
  code: 'MF4010',
  title: 'meshID',
  run(input, c, live) {
    const got = live.meshIdentity?.meshId;
    if (got === undefined) return [];
    const want = input.plan.mesh.meshID;
    if (got !== want)
      return [finding(this, c.name, 'error', `meshConfig.defaultConfig.meshId=${got}, mesh file: ${want}`, { resource: meshConfigRef(input), cause: 'proxies of this cluster carry another mesh ID, so the clusters are not one mesh to istiod', fix: reinstallFix(input, c) })];
    return [finding(this, c.name, 'ok', `meshId ${got}`, { resource: meshConfigRef(input) })];
  },
});

/** MF4011: istiod's trust domain is the mesh file's. */
export const trustDomain = defineCheck({
  code: 'MF4011',
  title: 'trust domain',
  run(input, c, live) {
    const got = live.meshIdentity?.trustDomain;
    if (got === undefined) return [];
    const want = input.plan.mesh.trustDomain;
    if (got !== want)
      return [finding(this, c.name, 'error', `meshConfig.trustDomain=${got}, mesh file: ${want}`, { resource: meshConfigRef(input), cause: 'workload identities differ across clusters, so mTLS authorization between them fails', fix: reinstallFix(input, c) })];
    return [finding(this, c.name, 'ok', `trustDomain ${got}`, { resource: meshConfigRef(input) })];
  },
});

/** The version each reachable primary's istiod image says it runs. */
function runningVersions(input: DoctorInput): { cluster: string; version: string }[] {
  return input.plan.clusters.flatMap((p: ClusterPlan) => {
    const image = input.live.get(p.name)?.istiod?.container.image;
    const v = image ? imageVersion(image) : undefined;
    return v ? [{ cluster: p.name, version: v }] : [];
  });
}

/** MF4012: istiod's version against the mesh file's and the other primaries' (skew beyond one minor: error). */
export const istioVersion = defineCheck({
  code: 'MF4012',
  title: 'Istio version',
  run(input, c, live) {
    if (c.role !== 'primary' || !live.istiod) return [];
    const image = live.istiod.container.image;
    const version = imageVersion(image);
    const resource = istiodRef(input);
    if (!version) return [finding(this, c.name, 'warning', `image ${image} carries no version tag`, { resource, cause: 'the running version cannot be told from the image', fix: input.applyCommand })];
    const want = input.plan.mesh.istio.version;
    const mine = parseVersion(version)!;
    const others = runningVersions(input).filter((o) => o.cluster !== c.name);
    const skews = [{ cluster: 'the mesh file', version: want }, ...others].map((o) => ({ ...o, skew: minorSkew(mine, parseVersion(o.version) ?? mine) }));
    const far = skews.filter((s) => s.skew > 1);
    if (far.length > 0)
      return [
        finding(this, c.name, 'error', `istiod runs ${version}; ${far.map((f) => `${f.cluster}: ${f.version}`).join(', ')}`, {
          resource,
          cause: `Istio supports one minor version of skew between control planes and proxies; beyond it xDS and remote-secret formats may not match (apply installs ${want} everywhere)`,
          fix: reinstallFix(input, c),
        }),
      ];
    const differ = skews.filter((s) => s.version !== version);
    if (differ.length > 0)
      return [finding(this, c.name, 'warning', `istiod runs ${version}; ${differ.map((f) => `${f.cluster}: ${f.version}`).join(', ')}`, { resource, cause: 'versions differ within the supported skew (an upgrade in progress? apply finishes it)', fix: reinstallFix(input, c) })];
    return [finding(this, c.name, 'ok', `istiod runs ${version}, as the mesh file says`, { resource })];
  },
});
