import { describe, expect, it } from 'vitest';
import { planMesh } from '../../src/plan/index.js';
import { SAMPLE_NAMESPACE, verificationLayout } from '../../src/verify/index.js';
import { validateMeshFile } from '../../src/topology/index.js';

async function plan(example: string) {
  const v = await validateMeshFile(`examples/${example}/mesh.yaml`);
  expect(v.ok).toBe(true);
  return planMesh(v.mesh!);
}

describe("seed 000's verification layout", () => {
  it('puts HelloWorld v1 in cluster01, v2 in cluster02, the helloworld Service and sleep in both', async () => {
    const layout = verificationLayout(await plan('primary-remote-multi-network'));
    expect(layout.map((l) => [l.cluster, l.helloworld])).toEqual([
      ['cluster01', 'v1'],
      ['cluster02', 'v2'],
    ]);
    for (const l of layout) {
      const names = l.objects.map((o) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`);
      expect(names).toEqual([
        `Namespace//${SAMPLE_NAMESPACE}`,
        `Service/${SAMPLE_NAMESPACE}/helloworld`,
        `Deployment/${SAMPLE_NAMESPACE}/helloworld-${l.helloworld}`,
        `ServiceAccount/${SAMPLE_NAMESPACE}/sleep`,
        `Service/${SAMPLE_NAMESPACE}/sleep`,
        `Deployment/${SAMPLE_NAMESPACE}/sleep`,
      ]);
      expect(l.objects[0]!.metadata.labels).toEqual({ 'istio-injection': 'enabled' });
      const hw = l.objects[2] as unknown as { spec: { template: { metadata: { labels: Record<string, string> }; spec: { containers: { image: string; ports: { containerPort: number }[] }[] } } } };
      expect(hw.spec.template.metadata.labels).toEqual({ app: 'helloworld', version: l.helloworld });
      expect(hw.spec.template.spec.containers[0]!.image).toBe(`registry.istio.io/release/examples-helloworld-${l.helloworld}:1.0`);
      expect(hw.spec.template.spec.containers[0]!.ports).toEqual([{ containerPort: 5000 }]);
    }
  });

  it('alternates v1 and v2 over a larger mesh, so both versions serve from several clusters', async () => {
    const layout = verificationLayout(await plan('mix'));
    expect(layout.map((l) => l.helloworld)).toEqual(['v1', 'v2', 'v1', 'v2', 'v1', 'v2']);
  });
});

describe("the lab's layout (proxyless gRPC)", () => {
  it('adds the mTLS policies proxyless gRPC needs in each primary, namespace-scoped, and marks HelloWorld pods as taking mTLS', async () => {
    const layout = verificationLayout(await plan('primary-remote'), { proxyless: true, namespace: 'verify-x' });
    const policies = (l: (typeof layout)[number]) => l.objects.filter((o) => o.kind === 'PeerAuthentication' || o.kind === 'DestinationRule');
    // cluster02 is a remote: its istiod (cluster01's) reads config from cluster01
    expect(policies(layout[1]!)).toEqual([]);
    expect(policies(layout[0]!)).toEqual([
      { apiVersion: 'security.istio.io/v1', kind: 'PeerAuthentication', metadata: { name: 'meshfed-verify', namespace: 'verify-x' }, spec: { mtls: { mode: 'STRICT' } } },
      { apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule', metadata: { name: 'helloworld', namespace: 'verify-x' }, spec: { host: 'helloworld.verify-x.svc.cluster.local', trafficPolicy: { tls: { mode: 'ISTIO_MUTUAL' } } } },
    ]);
    for (const l of layout) {
      const hw = l.objects.find((o) => o.kind === 'Deployment' && o.metadata.name?.startsWith('helloworld')) as unknown as { spec: { template: { metadata: { labels: Record<string, string> } } } };
      expect(hw.spec.template.metadata.labels['security.istio.io/tlsMode']).toBe('istio');
    }
    // on real clusters Envoy's auto mTLS does it: no policies
    expect(verificationLayout(await plan('primary-remote')).flatMap(policies)).toEqual([]);
  });
});
