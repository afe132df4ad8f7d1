import { describe, expect, it } from 'vitest';
import { ISTIOD_SPLIT_HORIZON, buildRegistry, findService, networkView, networkViews, type ClusterSnapshot, type NetworkView, type Registry, type SplitHorizonOptions } from '../../src/discovery/index.js';
import { cluster01, cluster02, seedCluster } from './fixtures.js';
import { eastWestGateway, pod } from './helpers.js';

const HW = 'helloworld.sample.svc.cluster.local';

function view(registry: Registry, network: string, opts?: SplitHorizonOptions): NetworkView {
  const s = findService(registry, HW);
  if (!s) throw new Error('no helloworld');
  return networkView(registry, s, network, opts);
}

/** `address:port weight via[ cluster][ ×n][ unhealthy]` per endpoint of the http port. */
const lines = (v: NetworkView) =>
  (v.ports.find((p) => p.name === 'http')?.endpoints ?? []).map(
    (e) => `${e.address}:${e.port} w${e.weight} ${e.via} ${e.network}/${e.cluster}${e.endpoints ? ` x${e.endpoints}` : ''}${e.healthy ? '' : ' unhealthy'}`,
  );
const dropped = (v: NetworkView) => v.dropped.map((d) => `${d.address} ${d.reason}`);

describe('split horizon: seed 000 multi-primary on two networks', () => {
  const registry = buildRegistry([cluster01(), cluster02()]);

  it('network1 sees its ready pod directly and network2 through its gateway at 15443, weighted by 2 endpoints', () => {
    const v = view(registry, 'network1');
    expect(v).toMatchObject({ hostname: HW, network: 'network1', multiNetwork: true, scaleFactor: 1 });
    expect(v.ports.map((p) => [p.name, p.port])).toEqual([['http', 5000]]);
    expect(lines(v)).toEqual(['10.10.0.5:5000 w1 pod network1/cluster01', '172.18.12.1:15443 w2 gateway network2/cluster02 x2']);
    expect(dropped(v)).toEqual(['10.10.0.6 unhealthy']);
  });

  it("network2 sees its two pods directly and network1's one ready pod through 172.18.11.1:15443", () => {
    const v = view(registry, 'network2');
    expect(lines(v)).toEqual(['10.20.0.7:5000 w1 pod network2/cluster02', '10.20.0.8:5000 w1 pod network2/cluster02', '172.18.11.1:15443 w1 gateway network1/cluster01 x1']);
    expect(dropped(v)).toEqual(['10.10.0.6 unhealthy']);
  });

  it("with istiod's defaults the unready pod is sent marked unhealthy locally and weighs on its gateway remotely", () => {
    expect(lines(view(registry, 'network1', ISTIOD_SPLIT_HORIZON))).toEqual([
      '10.10.0.5:5000 w1 pod network1/cluster01',
      '10.10.0.6:5000 w1 pod network1/cluster01 unhealthy',
      '172.18.12.1:15443 w2 gateway network2/cluster02 x2',
    ]);
    expect(lines(view(registry, 'network2', ISTIOD_SPLIT_HORIZON))).toEqual([
      '10.20.0.7:5000 w1 pod network2/cluster02',
      '10.20.0.8:5000 w1 pod network2/cluster02',
      '172.18.11.1:15443 w2 gateway network1/cluster01 x2',
    ]);
  });

  it('never sends terminating endpoints, whatever the options', () => {
    const c1 = cluster01();
    const ep = (c1.endpointSlices[0]!.endpoints as { conditions: Record<string, boolean> }[])[1]!;
    ep.conditions = { ready: false, serving: true, terminating: true };
    const r = buildRegistry([c1, cluster02()]);
    for (const opts of [{}, ISTIOD_SPLIT_HORIZON]) {
      expect(lines(view(r, 'network2', opts))).toContain('172.18.11.1:15443 w1 gateway network1/cluster01 x1');
      expect(dropped(view(r, 'network2', opts))).toEqual(['10.10.0.6 terminating']);
    }
  });

  it('uses the gateway port from networking.istio.io/gatewayPort', () => {
    const c2 = cluster02();
    c2.services = [c2.services[0]!, eastWestGateway('network2', '172.18.12.1', { labels: { 'networking.istio.io/gatewayPort': '16443' }, ports: [{ name: 'tls', port: 16443 }] })];
    expect(lines(view(buildRegistry([cluster01(), c2]), 'network1'))).toEqual(['10.10.0.5:5000 w1 pod network1/cluster01', '172.18.12.1:16443 w2 gateway network2/cluster02 x2']);
  });

  it('drops endpoints without a sidecar (tlsMode) behind a gateway, but sends them directly inside their network', () => {
    const c2 = cluster02();
    c2.pods = [pod('sample', { name: 'helloworld-v2-a', ip: '10.20.0.7', labels: { 'security.istio.io/tlsMode': 'disabled' } }), c2.pods[1]!];
    const r = buildRegistry([cluster01(), c2]);
    expect(lines(view(r, 'network1'))).toEqual(['10.10.0.5:5000 w1 pod network1/cluster01', '172.18.12.1:15443 w1 gateway network2/cluster02 x1']);
    expect(dropped(view(r, 'network1'))).toEqual(['10.10.0.6 unhealthy', '10.20.0.7 notMtls']);
    expect(lines(view(r, 'network2'))).toContain('10.20.0.7:5000 w1 pod network2/cluster02');
  });

  it('routes everything with a gateway through it for a proxy without a network (forceGateway)', () => {
    expect(lines(view(registry, ''))).toEqual(['172.18.11.1:15443 w1 gateway network1/cluster01 x1', '172.18.12.1:15443 w2 gateway network2/cluster02 x2']);
  });

  it('gives one view per network', () => {
    expect(networkViews(registry, findService(registry, HW)!).map((v) => [v.network, v.ports[0]?.endpoints.length])).toEqual([
      ['network1', 2],
      ['network2', 3],
    ]);
  });
});

describe('split horizon: several gateways per network', () => {
  it('scales weights by the LCM of gateway counts and splits them evenly over the gateways of a network', () => {
    // network2: cluster02 with two gateway addresses, cluster03 without a gateway of its own.
    const c2 = seedCluster('cluster02', 'network2', '10.21.0.10', [{ name: 'v2-a', ip: '10.20.0.7' }, { name: 'v2-b', ip: '10.20.0.8' }], ['172.18.12.1', '172.18.12.2']);
    const c3 = seedCluster('cluster03', 'network2', '10.31.0.10', [{ name: 'v3-a', ip: '10.30.0.9' }], []);
    const r = buildRegistry([cluster01(), c2, c3]);
    const v = view(r, 'network1');
    // lcm(1 for network1, 2 for network2, 1 for network1/cluster01, 2 for network2/cluster02) = 2
    expect(v.scaleFactor).toBe(2);
    expect(lines(v)).toEqual([
      '10.10.0.5:5000 w2 pod network1/cluster01',
      '172.18.12.1:15443 w3 gateway network2/cluster02 x3',
      '172.18.12.2:15443 w3 gateway network2/cluster02 x3',
    ]);
    // Inside network2 all three pods are direct, with the scaled weight; network1 goes through its one gateway.
    expect(lines(view(r, 'network2'))).toEqual([
      '10.20.0.7:5000 w2 pod network2/cluster02',
      '10.20.0.8:5000 w2 pod network2/cluster02',
      '10.30.0.9:5000 w2 pod network2/cluster03',
      '172.18.11.1:15443 w2 gateway network1/cluster01 x1',
    ]);
  });

  it('uses the least common multiple, not the largest count, so 2 and 3 gateways split without remainder', () => {
    const c2 = seedCluster('cluster02', 'network2', '10.21.0.10', [{ name: 'v2-a', ip: '10.20.0.7' }, { name: 'v2-b', ip: '10.20.0.8' }], ['172.18.12.1', '172.18.12.2']);
    const c4 = seedCluster('cluster04', 'network3', '10.41.0.10', [{ name: 'v4-a', ip: '10.40.0.4' }], ['172.18.14.1', '172.18.14.2', '172.18.14.3']);
    const v = view(buildRegistry([cluster01(), c2, c4]), 'network1');
    expect(v.scaleFactor).toBe(6);
    expect(lines(v)).toEqual([
      '10.10.0.5:5000 w6 pod network1/cluster01',
      '172.18.12.1:15443 w6 gateway network2/cluster02 x2',
      '172.18.12.2:15443 w6 gateway network2/cluster02 x2',
      '172.18.14.1:15443 w2 gateway network3/cluster04 x1',
      '172.18.14.2:15443 w2 gateway network3/cluster04 x1',
      '172.18.14.3:15443 w2 gateway network3/cluster04 x1',
    ]);
  });

  it("prefers the gateway in the endpoint's own cluster over the network's others", () => {
    const c2 = seedCluster('cluster02', 'network2', '10.21.0.10', [{ name: 'v2-a', ip: '10.20.0.7' }, { name: 'v2-b', ip: '10.20.0.8' }], ['172.18.12.1']);
    const c3 = seedCluster('cluster03', 'network2', '10.31.0.10', [{ name: 'v3-a', ip: '10.30.0.9' }], ['172.18.13.1']);
    const v = view(buildRegistry([cluster01(), c2, c3]), 'network1');
    expect(v.scaleFactor).toBe(2);
    expect(lines(v)).toEqual([
      '10.10.0.5:5000 w2 pod network1/cluster01',
      '172.18.12.1:15443 w4 gateway network2/cluster02 x2',
      '172.18.13.1:15443 w2 gateway network2/cluster03 x1',
    ]);
  });
});

describe('split horizon: a network without a gateway', () => {
  const c4: ClusterSnapshot = seedCluster('cluster04', 'network3', '10.41.0.10', [{ name: 'v4-a', ip: '10.40.0.4' }], []);

  it('drops its endpoints by default and sends their pod address under istiod mode', () => {
    const r = buildRegistry([cluster01(), cluster02(), c4]);
    expect(lines(view(r, 'network1'))).toEqual(['10.10.0.5:5000 w1 pod network1/cluster01', '172.18.12.1:15443 w2 gateway network2/cluster02 x2']);
    expect(dropped(view(r, 'network1'))).toEqual(['10.10.0.6 unhealthy', '10.40.0.4 noGateway']);
    expect(lines(view(r, 'network1', { noGateway: 'direct' }))).toEqual([
      '10.10.0.5:5000 w1 pod network1/cluster01',
      '10.40.0.4:5000 w1 pod network3/cluster04',
      '172.18.12.1:15443 w2 gateway network2/cluster02 x2',
    ]);
    // network3's own proxies see their pod directly and the others through their gateways.
    expect(lines(view(r, 'network3'))).toEqual([
      '10.40.0.4:5000 w1 pod network3/cluster04',
      '172.18.11.1:15443 w1 gateway network1/cluster01 x1',
      '172.18.12.1:15443 w2 gateway network2/cluster02 x2',
    ]);
  });

  it('is not multi-network when no gateway exists at all: weights stay 1', () => {
    const noGw = [cluster01(), cluster02()].map((c) => ({ ...c, services: c.services.slice(0, 1) }));
    const r = buildRegistry(noGw);
    const v = view(r, 'network1', ISTIOD_SPLIT_HORIZON);
    expect(v).toMatchObject({ multiNetwork: false, scaleFactor: 1 });
    expect(lines(v)).toEqual([
      '10.10.0.5:5000 w1 pod network1/cluster01',
      '10.10.0.6:5000 w1 pod network1/cluster01 unhealthy',
      '10.20.0.7:5000 w1 pod network2/cluster02',
      '10.20.0.8:5000 w1 pod network2/cluster02',
    ]);
    expect(dropped(view(r, 'network1'))).toEqual(['10.10.0.6 unhealthy', '10.20.0.7 noGateway', '10.20.0.8 noGateway']);
  });
});
