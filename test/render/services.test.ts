// The mesh file's services section in the install files: istio mode changes nothing; mcs mode
// puts the same MCS settings into every primary's istiod, for istioctl and for Helm alike.
import { describe, expect, it } from 'vitest';
import { planMesh } from '../../src/plan/index.js';
import { helmIstiodValues, istioOperator } from '../../src/render/index.js';
import { validateMeshText, type MeshFile } from '../../src/topology/index.js';

const mesh = (services: string, installer = 'istioctl', meshConfig = '') =>
  `apiVersion: meshfed.io/v1alpha1
kind: Mesh
metadata: { name: m }
spec:
  istio: { installer: ${installer}${meshConfig} }
${services}
  clusters:
  - { name: p1, apiServer: "https://10.0.0.1:6443", network: n1 }
  - { name: r1, apiServer: "https://10.0.0.2:6443", network: n1, controlPlane: p1 }
  - { name: p2, apiServer: "https://10.0.0.3:6443", network: n1 }
`;
function planOf(text: string) {
  const v = validateMeshText(text, 'mesh.yaml');
  expect(v.ok, JSON.stringify(v.diagnostics)).toBe(true);
  return planMesh(v.mesh as MeshFile);
}
type Obj = Record<string, any>;

describe('services in the rendered install files', () => {
  it('mcs: every primary\'s istiod gets the MCS settings (istioctl: values.pilot.env, Helm: env); the remote runs no istiod and gets none', () => {
    for (const installer of ['istioctl', 'helm']) {
      const plan = planOf(mesh('  services: { discovery: mcs }', installer));
      for (const c of plan.clusters) {
        const env = installer === 'istioctl' ? (istioOperator(plan, c, {}) as Obj)['spec']['values']['pilot']?.['env'] : (helmIstiodValues(plan, c, {}) as Obj)['env'];
        if (c.role === 'remote') expect(env?.['ENABLE_MCS_SERVICE_DISCOVERY'], `${installer} ${c.name}`).toBeUndefined();
        else expect(env, `${installer} ${c.name}`).toMatchObject({ ENABLE_MCS_SERVICE_DISCOVERY: true, ENABLE_MCS_HOST: true, ENABLE_MCS_CLUSTER_LOCAL: true, ENABLE_MCS_AUTO_EXPORT: false, MCS_API_VERSION: 'v1alpha1' });
      }
      // The CRDs come before istiod in every cluster; the remote gets them too (exports and imports live there).
      for (const c of plan.clusters) expect(plan.steps.find((s) => s.id === `mcs-crds:${c.name}`), c.name).toBeDefined();
      for (const c of plan.clusters.filter((x) => x.role === 'primary')) expect(plan.steps.find((s) => s.id === `istio:${c.name}`)!.needs).toContain(`mcs-crds:${c.name}`);
    }
  });

  it('istio mode (written or left out): no MCS settings, no CRD step', () => {
    for (const services of ['', '  services: { discovery: istio }']) {
      const plan = planOf(mesh(services));
      expect(plan.steps.filter((s) => s.kind === 'mcs-crds')).toEqual([]);
      expect(JSON.stringify(plan.clusters.map((c) => istioOperator(plan, c, {})))).not.toContain('MCS');
    }
  });

  it('cluster-local hosts go after the user\'s own serviceSettings; dnsProxy adds DNS capture beside the user\'s proxyMetadata', () => {
    const plan = planOf(
      mesh('  services: { clusterLocal: ["*.kube-system.svc.cluster.local"], dnsProxy: true }', 'istioctl', ', meshConfig: { serviceSettings: [{ settings: { clusterLocal: true }, hosts: [a.b.svc.cluster.local] }], defaultConfig: { proxyMetadata: { FOO: bar } } }'),
    );
    const mc = (istioOperator(plan, plan.clusters[0]!, {}) as Obj)['spec']['meshConfig'];
    expect(mc['serviceSettings']).toEqual([
      { settings: { clusterLocal: true }, hosts: ['a.b.svc.cluster.local'] },
      { settings: { clusterLocal: true }, hosts: ['*.kube-system.svc.cluster.local'] },
    ]);
    expect(mc['defaultConfig']['proxyMetadata']).toEqual({ FOO: 'bar', ISTIO_META_DNS_CAPTURE: 'true' });
    expect((helmIstiodValues(plan, plan.clusters[0]!, {}) as Obj)['meshConfig']).toEqual(mc);
  });
});
