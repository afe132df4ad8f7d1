// The mesh file's trust domain in the install files: istiod signs workload identities
// spiffe://<trustDomain>/ns/<ns>/sa/<sa> from meshConfig.trustDomain, so a mesh whose trust
// domain is not Istio's default (cluster.local) must set it, for istioctl and Helm alike, over
// any trustDomain the user's meshConfig passes through.
import { describe, expect, it } from 'vitest';
import { planMesh } from '../../src/plan/index.js';
import { helmIstiodValues, istioOperator } from '../../src/render/index.js';
import { validateMeshText, type MeshFile } from '../../src/topology/index.js';

type Obj = Record<string, any>;
const mesh = (trust: string, installer: string, meshConfig = '') => `apiVersion: meshfed.io/v1alpha1
kind: Mesh
metadata: { name: m }
spec:
  istio: { installer: ${installer}${meshConfig} }
${trust}
  clusters:
  - { name: p1, apiServer: "https://10.0.0.1:6443", network: n1 }
  - { name: r1, apiServer: "https://10.0.0.2:6443", network: n1, controlPlane: p1 }
`;
function planOf(text: string) {
  const v = validateMeshText(text, 'mesh.yaml');
  expect(v.ok, JSON.stringify(v.diagnostics)).toBe(true);
  return planMesh(v.mesh as MeshFile);
}
const meshConfigs = (text: string, installer: string) => {
  const plan = planOf(text);
  return plan.clusters.map((c) => (installer === 'istioctl' ? (istioOperator(plan, c, {}) as Obj)['spec']['meshConfig'] : (helmIstiodValues(plan, c, {}) as Obj)['meshConfig']));
};

describe('trust domain in the rendered install files', () => {
  for (const installer of ['istioctl', 'helm']) {
    it(`${installer}: a trust domain other than cluster.local is meshConfig.trustDomain in every cluster (primary and remote)`, () => {
      for (const mc of meshConfigs(mesh('  trust: { trustDomain: corp.example }', installer), installer)) expect(mc).toEqual({ trustDomain: 'corp.example' });
    });

    it(`${installer}: the mesh file's trust domain wins over a trustDomain in the user's meshConfig; the rest of it stays`, () => {
      for (const mc of meshConfigs(mesh('  trust: { trustDomain: corp.example }', installer, ', meshConfig: { trustDomain: other.example, accessLogFile: /dev/stdout }'), installer))
        expect(mc).toEqual({ trustDomain: 'corp.example', accessLogFile: '/dev/stdout' });
    });

    it(`${installer}: Istio's default (cluster.local, written or left out) adds nothing, so seed 000's files stay as they are`, () => {
      for (const trust of ['  trust: { trustDomain: cluster.local }', '']) for (const mc of meshConfigs(mesh(trust, installer), installer)) expect(mc).toBeUndefined();
    });
  }
});
