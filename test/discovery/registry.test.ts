import { describe, expect, it } from 'vitest';
import { buildRegistry, findService, gatewaysOfService, type ClusterSnapshot, type Registry, type ServiceEntry } from '../../src/discovery/index.js';
import { cluster01, cluster02 } from './fixtures.js';
import { eastWestGateway, endpointSlice, namespace, pod, service } from './helpers.js';

const HW = 'helloworld.sample.svc.cluster.local';

function hw(registry: Registry, hostname = HW): ServiceEntry {
  const s = findService(registry, hostname);
  if (!s) throw new Error(`no ${hostname} in the registry`);
  return s;
}

describe('aggregate registry', () => {
  const registry = buildRegistry([cluster01(), cluster02()]);

  it('merges a Service present in two clusters by hostname, each cluster with its VIP', () => {
    expect(registry.services.map((s) => s.hostname)).toEqual(['helloworld.sample.svc.cluster.local', 'istio-eastwestgateway.istio-system.svc.cluster.local']);
    const s = hw(registry);
    expect(s).toMatchObject({ name: 'helloworld', namespace: 'sample', ports: [{ name: 'http', port: 5000, protocol: 'TCP' }] });
    expect(s.clusters.map((c) => [c.cluster, c.clusterIPs, c.type, c.headless])).toEqual([
      ['cluster01', ['10.11.0.10'], 'ClusterIP', false],
      ['cluster02', ['10.21.0.10'], 'ClusterIP', false],
    ]);
  });

  it('holds every endpoint with cluster, network, address, ports and readiness', () => {
    expect(hw(registry).endpoints.map((e) => [e.cluster, e.network, e.address, e.ports, e.ready, e.health, e.tlsMode, e.pod?.name])).toEqual([
      ['cluster01', 'network1', '10.10.0.5', { http: 5000 }, true, 'healthy', 'istio', 'helloworld-v1-a'],
      ['cluster01', 'network1', '10.10.0.6', { http: 5000 }, false, 'unhealthy', 'istio', 'helloworld-v1-b'],
      ['cluster02', 'network2', '10.20.0.7', { http: 5000 }, true, 'healthy', 'istio', 'helloworld-v2-a'],
      ['cluster02', 'network2', '10.20.0.8', { http: 5000 }, true, 'healthy', 'istio', 'helloworld-v2-b'],
    ]);
    expect(registry.clusterNetworks).toEqual({ cluster01: 'network1', cluster02: 'network2' });
  });

  it('knows each network gateway: network, cluster, load-balancer address, port 15443', () => {
    expect(registry.gateways.map((g) => [g.network, g.cluster, g.address, g.port, g.hbonePort, g.service.name])).toEqual([
      ['network1', 'cluster01', '172.18.11.1', 15443, 0, 'istio-eastwestgateway'],
      ['network2', 'cluster02', '172.18.12.1', 15443, 0, 'istio-eastwestgateway'],
    ]);
  });

  it("keeps the first registry's ports when a later cluster's differ, and adds the later VIP once", () => {
    const other = cluster02();
    other.services = [service('helloworld', 'sample', { clusterIP: '10.21.0.10', ports: [{ name: 'grpc', port: 9000 }] })];
    const r = buildRegistry([cluster01(), other, { ...other }]);
    expect(hw(r).ports.map((p) => p.name)).toEqual(['http']);
    expect(hw(r).clusters.map((c) => [c.cluster, c.ports.map((p) => p.name)])).toEqual([
      ['cluster01', ['http']],
      ['cluster02', ['grpc']],
    ]);
    const reversed = buildRegistry([other, cluster01()]);
    expect(hw(reversed).ports.map((p) => p.name)).toEqual(['grpc']);
  });

  it('uses the domain suffix in hostnames, and records headless Services without VIPs', () => {
    const c = cluster01();
    c.services = [service('helloworld', 'sample', { clusterIP: 'None' })];
    const r = buildRegistry([c], { domainSuffix: 'corp.example' });
    expect(r.services.map((s) => s.hostname)).toEqual(['helloworld.sample.svc.corp.example']);
    expect(r.services[0]?.clusters[0]).toMatchObject({ clusterIPs: [], headless: true });
  });
});

describe('endpoint readiness and pods (as istiod reads EndpointSlices)', () => {
  function one(slice: ReturnType<typeof endpointSlice>, pods = [pod('sample', { name: 'p', ip: '10.10.0.9' })]): ServiceEntry {
    const c: ClusterSnapshot = { clusterId: 'c1', namespaces: [namespace('istio-system', { 'topology.istio.io/network': 'n1' })], services: [service('helloworld', 'sample')], endpointSlices: [slice], pods };
    return hw(buildRegistry([c]));
  }
  const slice = (conditions: Record<string, boolean>) => {
    const s = endpointSlice('helloworld', 'sample', [{ name: 'p', ip: '10.10.0.9' }]);
    (s.endpoints as { conditions: unknown }[])[0]!.conditions = conditions;
    return s;
  };

  it('takes health from the slice conditions: ready unset or true is healthy; terminating wins over unhealthy', () => {
    expect(one(slice({})).endpoints[0]).toMatchObject({ ready: true, health: 'healthy' });
    expect(one(slice({ ready: true })).endpoints[0]).toMatchObject({ ready: true, health: 'healthy' });
    expect(one(slice({ ready: false, terminating: false })).endpoints[0]).toMatchObject({ ready: false, health: 'unhealthy' });
    expect(one(slice({ ready: false, terminating: true })).endpoints[0]).toMatchObject({ ready: false, health: 'terminating' });
    expect(one(slice({ ready: false })).endpoints[0]).toMatchObject({ ready: false, health: 'terminating' });
  });

  it('holds back an endpoint whose Pod it has not seen, and one whose Pod failed', () => {
    expect(one(slice({ ready: true }), []).endpoints).toEqual([]);
    const failed = pod('sample', { name: 'p', ip: '10.10.0.9' });
    (failed.status as { phase: string }).phase = 'Failed';
    expect(one(slice({ ready: true }), [failed]).endpoints).toEqual([]);
  });

  it('finds the pod of a manual endpoint (no targetRef) by IP among ready pods of the namespace', () => {
    const s = endpointSlice('helloworld', 'sample', [{ name: 'p', ip: '10.10.0.9' }]);
    delete (s.endpoints as { targetRef?: unknown }[])[0]!.targetRef;
    const labelled = pod('sample', { name: 'p', ip: '10.10.0.9', labels: { 'topology.istio.io/network': 'n9' } });
    expect(one(s, [labelled]).endpoints[0]).toMatchObject({ network: 'n9', tlsMode: 'istio', pod: { name: 'p', namespace: 'sample' } });
    const unready = pod('sample', { name: 'p', ip: '10.10.0.9', ready: false, labels: { 'topology.istio.io/network': 'n9' } });
    const e = one(s, [unready]).endpoints[0];
    expect(e).toMatchObject({ network: 'n1', tlsMode: 'disabled' });
    expect(e?.pod).toBeUndefined();
  });

  it('merges one address listed by two slices into one endpoint with both ports', () => {
    const a = endpointSlice('helloworld', 'sample', [{ name: 'p', ip: '10.10.0.9' }], [{ name: 'http', port: 5000 }], 's-a');
    const b = endpointSlice('helloworld', 'sample', [{ name: 'p', ip: '10.10.0.9' }], [{ name: 'metrics', port: 9090 }], 's-b');
    const c: ClusterSnapshot = { clusterId: 'c1', namespaces: [], services: [service('helloworld', 'sample')], endpointSlices: [a, b], pods: [pod('sample', { name: 'p', ip: '10.10.0.9' })] };
    expect(hw(buildRegistry([c])).endpoints.map((e) => [e.address, e.ports])).toEqual([['10.10.0.9', { http: 5000, metrics: 9090 }]]);
  });
});

describe('network of an endpoint (istiod Controller.Network order)', () => {
  const snapshot = (opts: { podNetwork?: string; systemNetwork?: string; appNamespaceNetwork?: string; ip?: string }): ClusterSnapshot => {
    const ip = opts.ip ?? '10.10.0.9';
    return {
      clusterId: 'c1',
      namespaces: [
        namespace('istio-system', opts.systemNetwork ? { 'topology.istio.io/network': opts.systemNetwork } : {}),
        namespace('sample', opts.appNamespaceNetwork ? { 'topology.istio.io/network': opts.appNamespaceNetwork } : {}),
      ],
      services: [service('helloworld', 'sample')],
      endpointSlices: [endpointSlice('helloworld', 'sample', [{ name: 'p', ip }])],
      pods: [pod('sample', { name: 'p', ip, labels: opts.podNetwork ? { 'topology.istio.io/network': opts.podNetwork } : {} })],
    };
  };
  const networkOf = (s: ClusterSnapshot, meshNetworks?: Parameters<typeof buildRegistry>[1]) => hw(buildRegistry([s], meshNetworks)).endpoints[0]?.network;
  const meshNetworks = { networks: { byCidr: { endpoints: [{ fromCidr: '10.10.0.0/16' }] }, byRegistry: { endpoints: [{ fromRegistry: 'c1' }] } } };

  it('1. the pod label wins over everything', () => {
    expect(networkOf(snapshot({ podNetwork: 'from-pod', systemNetwork: 'from-system' }), { meshNetworks })).toBe('from-pod');
  });
  it("2. then the cluster's system namespace label; the app namespace's label is not read", () => {
    expect(networkOf(snapshot({ systemNetwork: 'from-system', appNamespaceNetwork: 'from-app-ns' }), { meshNetworks })).toBe('from-system');
    expect(networkOf(snapshot({ appNamespaceNetwork: 'from-app-ns' }))).toBe('');
  });
  it('2b. the system namespace is the one istiod runs in', () => {
    const s = snapshot({});
    s.namespaces = [namespace('istio-x', { 'topology.istio.io/network': 'custom' })];
    expect(networkOf(s, { systemNamespace: 'istio-x' })).toBe('custom');
    expect(networkOf(s)).toBe('');
  });
  it('3. then meshNetworks: fromRegistry before fromCidr; 4. else no network', () => {
    expect(networkOf(snapshot({}), { meshNetworks })).toBe('byRegistry');
    expect(networkOf(snapshot({}), { meshNetworks: { networks: { byCidr: { endpoints: [{ fromCidr: '10.10.0.0/16' }] } } } })).toBe('byCidr');
    expect(networkOf(snapshot({ ip: '192.168.0.1' }), { meshNetworks: { networks: { byCidr: { endpoints: [{ fromCidr: '10.10.0.0/16' }, { fromCidr: 'bogus' }] } } } })).toBe('');
    expect(networkOf(snapshot({}))).toBe('');
  });
});

describe('gateway Services', () => {
  it('honours networking.istio.io/gatewayPort when the Service exposes that port', () => {
    const svc = eastWestGateway('network2', '172.18.12.1', { labels: { 'networking.istio.io/gatewayPort': '16443' }, ports: [{ name: 'tls', port: 16443 }] });
    expect(gatewaysOfService('cluster02', svc).map((g) => [g.address, g.port, g.hbonePort])).toEqual([['172.18.12.1', 16443, 0]]);
  });

  it('ignores a Service exposing neither the gateway port nor 15008', () => {
    const svc = eastWestGateway('network2', '172.18.12.1', { labels: { 'networking.istio.io/gatewayPort': '16443' } });
    expect(gatewaysOfService('cluster02', svc)).toEqual([]);
    const hboneOnly = eastWestGateway('network2', '172.18.12.1', { ports: [{ name: 'tcp-hbone', port: 15008 }] });
    expect(gatewaysOfService('cluster02', hboneOnly).map((g) => [g.port, g.hbonePort])).toEqual([[0, 15008]]);
  });

  it('falls back to 15443 when the override is not a number', () => {
    const svc = eastWestGateway('network2', '172.18.12.1', { labels: { 'networking.istio.io/gatewayPort': 'tls' } });
    expect(gatewaysOfService('cluster02', svc).map((g) => g.port)).toEqual([15443]);
  });

  it('takes each ingress ip (else hostname) of a LoadBalancer, then externalIPs; nothing without the network label', () => {
    const svc = service('gw', 'istio-system', {
      type: 'LoadBalancer',
      labels: { 'topology.istio.io/network': 'n' },
      ports: [{ name: 'tls', port: 15443 }],
      ingress: [{ ip: '1.1.1.1', hostname: 'ignored.example' }, { hostname: 'lb.example' }],
      externalIPs: ['2.2.2.2'],
    });
    expect(gatewaysOfService('c', svc).map((g) => g.address)).toEqual(['1.1.1.1', 'lb.example', '2.2.2.2']);
    const clusterIp = service('gw', 'istio-system', { labels: { 'topology.istio.io/network': 'n' }, ports: [{ name: 'tls', port: 15443 }], ingress: [{ ip: '1.1.1.1' }] });
    expect(gatewaysOfService('c', clusterIp)).toEqual([]);
    const unlabelled = service('gw', 'istio-system', { type: 'LoadBalancer', ports: [{ name: 'tls', port: 15443 }], ingress: [{ ip: '1.1.1.1' }] });
    expect(gatewaysOfService('c', unlabelled)).toEqual([]);
  });

  it('collapses the same gateway seen twice', () => {
    const c1 = cluster01();
    c1.services = [...c1.services, { ...eastWestGateway('network1', '172.18.11.1'), metadata: { ...eastWestGateway('network1', '172.18.11.1').metadata, name: 'copy' } }];
    expect(buildRegistry([c1]).gateways).toHaveLength(1);
  });
});
