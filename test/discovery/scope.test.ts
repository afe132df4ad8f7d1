// Each service's scope and why (issue 18, item 4): mesh-wide, cluster-local or exported, from
// the mesh file's services section, the registry and the MCS controller's decisions.
import { describe, expect, it } from 'vitest';
import { buildRegistry, mcsState, serviceScopes, type ClusterSnapshot } from '../../src/discovery/index.js';
import { servicesView } from '../../src/serve/index.js';
import { discoveryReport, formatDiscovery } from '../../src/cli/commands/discover.js';
import type { KubeObject } from '../../src/kube/index.js';
import { namespace, service } from './helpers.js';

const exp = (ns: string, name: string): KubeObject => ({ apiVersion: 'multicluster.x-k8s.io/v1alpha1', kind: 'ServiceExport', metadata: { name, namespace: ns, creationTimestamp: '2026-01-01T00:00:00Z' as unknown as Date } });
const snaps: ClusterSnapshot[] = [
  { clusterId: 'cluster01', namespaces: [namespace('sample'), namespace('kube-system')], services: [service('other', 'sample'), service('kube-dns', 'kube-system')], endpointSlices: [], pods: [], serviceExports: [], serviceImports: [] },
  { clusterId: 'cluster02', namespaces: [namespace('sample')], services: [service('helloworld', 'sample', { clusterIP: '10.21.0.10' })], endpointSlices: [], pods: [], serviceExports: [exp('sample', 'helloworld')], serviceImports: [] },
];
const registry = buildRegistry(snaps);
const scopeOf = (m: ReturnType<typeof serviceScopes>) => Object.fromEntries([...m].map(([h, s]) => [h, s.scope]));

describe('serviceScopes', () => {
  it('istio mode: mesh-wide, except hosts matched by services.clusterLocal (exact or "*." suffix)', () => {
    const m = serviceScopes(registry, { discovery: 'istio', clusterLocal: ['*.kube-system.svc.cluster.local', 'other.sample.svc.cluster.local'] });
    expect(scopeOf(m)).toEqual({ 'helloworld.sample.svc.cluster.local': 'mesh-wide', 'kube-dns.kube-system.svc.cluster.local': 'cluster-local', 'other.sample.svc.cluster.local': 'cluster-local' });
    expect(m.get('kube-dns.kube-system.svc.cluster.local')!.why).toContain('*.kube-system.svc.cluster.local');
  });

  it('mcs mode: exported (with its clusterset.local name and exporting clusters) or cluster-local, each with why', () => {
    const m = serviceScopes(registry, { discovery: 'mcs' }, mcsState(snaps));
    expect(scopeOf(m)).toEqual({ 'helloworld.sample.svc.cluster.local': 'exported', 'kube-dns.kube-system.svc.cluster.local': 'cluster-local', 'other.sample.svc.cluster.local': 'cluster-local' });
    expect(m.get('helloworld.sample.svc.cluster.local')!.imported).toEqual({ hostname: 'helloworld.sample.svc.clusterset.local', from: ['cluster02'] });
    expect(m.get('other.sample.svc.cluster.local')!.why).toContain('no cluster exports it');
  });

  it("each name's reach, as istiod decides it: mcs mode confines cluster.local to the client's own cluster; the clusterset.local name (an import with IPs) reaches the exporting clusters, with each cluster's VIPs; services.clusterLocal confines any host it matches", () => {
    const m = serviceScopes(registry, { discovery: 'mcs' }, mcsState(snaps));
    expect(m.get('helloworld.sample.svc.cluster.local')!.hosts).toEqual([
      { hostname: 'helloworld.sample.svc.cluster.local', reaches: 'own-cluster' },
      { hostname: 'helloworld.sample.svc.clusterset.local', reaches: 'exporting-clusters', vips: { cluster01: ['10.21.0.10'], cluster02: ['10.21.0.10'] } },
    ]);
    expect(m.get('other.sample.svc.cluster.local')!.hosts).toEqual([{ hostname: 'other.sample.svc.cluster.local', reaches: 'own-cluster' }]);
    const confined = serviceScopes(registry, { discovery: 'mcs', clusterLocal: ['*.sample.svc.clusterset.local'] }, mcsState(snaps));
    expect(confined.get('helloworld.sample.svc.cluster.local')!.hosts[1]!.reaches).toBe('own-cluster');
    const istio = serviceScopes(registry, { discovery: 'istio', clusterLocal: ['other.sample.svc.cluster.local'] });
    expect(istio.get('other.sample.svc.cluster.local')!.hosts).toEqual([{ hostname: 'other.sample.svc.cluster.local', reaches: 'own-cluster' }]);
    expect(istio.get('helloworld.sample.svc.cluster.local')!.hosts).toEqual([{ hostname: 'helloworld.sample.svc.cluster.local', reaches: 'every-cluster' }]);
  });

  it('a headless export has no clusterset.local host in istiod (its import has no IPs); why says so', () => {
    const headless: ClusterSnapshot[] = [{ ...snaps[1]!, services: [service('helloworld', 'sample', { clusterIP: 'None' })] }];
    const m = serviceScopes(buildRegistry(headless), { discovery: 'mcs' }, mcsState(headless));
    const h = m.get('helloworld.sample.svc.cluster.local')!;
    expect(h.hosts.map((x) => x.hostname)).toEqual(['helloworld.sample.svc.cluster.local']);
    expect(h.why).toContain('only meshfed dns answers that name');
  });

  it("the API's service list carries the scope when the server knows it, and nothing new otherwise", () => {
    const m = serviceScopes(registry, { discovery: 'mcs' }, mcsState(snaps));
    expect(servicesView(registry, m).find((s) => s.name === 'helloworld')!.scope?.scope).toBe('exported');
    expect(servicesView(registry).every((s) => !('scope' in s))).toBe(true);
  });

  it("discover's text shows each name's reach under the scope line", () => {
    const m = serviceScopes(registry, { discovery: 'mcs' }, mcsState(snaps));
    const text = formatDiscovery(discoveryReport([], registry, { errors: [], ignored: [] }, undefined, m));
    expect(text).toContain('    reaches: helloworld.sample.svc.cluster.local own-cluster; helloworld.sample.svc.clusterset.local exporting-clusters (VIPs cluster01 10.21.0.10, cluster02 10.21.0.10)');
  });
});
