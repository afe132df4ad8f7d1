import { describe, expect, it } from 'vitest';
import { CONTROL_PLANE_CLUSTERS_ANNOTATION, NETWORK_LABEL } from '../../src/plan/index.js';
import { clusterOf, examplePlan, routeLines, secretPairs, stepIds, stepOf } from './helpers.js';

// examples/mix: primaries east-1 (pool 192.168.10.0/28) and west-1 (gateway pinned at
// 192.168.20.5, no pool); east-2 (no pool) remote of east-1 on "east"; west-2 remote of
// west-1 on "west"; edge-1 remote of west-1 and edge-2 remote of east-1 on "edge".
describe('examples/mix', async () => {
  const plan = await examplePlan('mix');
  const c = (n: string) => clusterOf(plan, n);

  it('has two primaries and four remotes on three networks', () => {
    expect(plan.mesh).toMatchObject({ name: 'global-mesh', trustDomain: 'corp.example', networks: ['east', 'edge', 'west'], multiNetwork: true });
    expect(plan.clusters.map((x) => [x.name, x.role, x.primary, x.network])).toEqual([
      ['east-1', 'primary', 'east-1', 'east'],
      ['east-2', 'remote', 'east-1', 'east'],
      ['west-1', 'primary', 'west-1', 'west'],
      ['west-2', 'remote', 'west-1', 'west'],
      ['edge-1', 'remote', 'west-1', 'edge'],
      ['edge-2', 'remote', 'east-1', 'edge'],
    ]);
    expect(plan.clusters.filter((x) => x.externalIstiod).map((x) => x.name)).toEqual(['east-1', 'west-1']);
    expect(c('east-1').context).toBe('prod-east-1');
  });

  it('gives every cluster a gateway; primaries expose istiod and services', () => {
    expect(plan.clusters.map((x) => [x.name, x.eastWestGateway])).toEqual([
      ['east-1', { network: 'east', address: '192.168.10.1', exposesIstiod: true, exposesServices: true }],
      ['east-2', { network: 'east', exposesIstiod: false, exposesServices: false }],
      ['west-1', { network: 'west', address: '192.168.20.5', exposesIstiod: true, exposesServices: true }],
      ['west-2', { network: 'west', address: '192.168.21.1', exposesIstiod: false, exposesServices: false }],
      ['edge-1', { network: 'edge', address: '192.168.30.1', exposesIstiod: false, exposesServices: false }],
      ['edge-2', { network: 'edge', address: '192.168.31.1', exposesIstiod: false, exposesServices: false }],
    ]);
    expect(stepIds(plan, 'expose-istiod')).toEqual(['expose-istiod:east-1', 'expose-istiod:west-1']);
    expect(stepIds(plan, 'expose-services')).toEqual(['expose-services:east-1', 'expose-services:west-1']);
  });

  it("points each remote at its own primary's gateway (pinned or first of the pool)", () => {
    expect(['east-2', 'west-2', 'edge-1', 'edge-2'].map((n) => [n, c(n).remotePilotAddress, c(n).injectionPath])).toEqual([
      ['east-2', '192.168.10.1', '/inject/cluster/east-2/net/east'],
      ['west-2', '192.168.20.5', '/inject/cluster/west-2/net/west'],
      ['edge-1', '192.168.20.5', '/inject/cluster/edge-1/net/edge'],
      ['edge-2', '192.168.10.1', '/inject/cluster/edge-2/net/edge'],
    ]);
  });

  it('labels every istio-system with its network and annotates remotes with their primary', () => {
    expect(c('edge-1').namespace.labels).toEqual({ [NETWORK_LABEL]: 'edge' });
    expect(plan.clusters.map((x) => x.namespace.annotations[CONTROL_PLANE_CLUSTERS_ANNOTATION] ?? '-')).toEqual(['-', 'east-1', '-', 'west-1', 'west-1', 'east-1']);
  });

  it('has both primaries hold a secret for each of the five other clusters', () => {
    expect(secretPairs(plan)).toEqual([
      'east-1←east-2',
      'east-1←edge-1',
      'east-1←edge-2',
      'east-1←west-1',
      'east-1←west-2',
      'west-1←east-1',
      'west-1←east-2',
      'west-1←edge-1',
      'west-1←edge-2',
      'west-1←west-2',
    ]);
  });

  it('routes each flat network of two clusters, reusing ranges across networks', () => {
    expect(routeLines(plan)).toEqual([
      'on east-1: ip route add 10.102.0.0/16 via 10.1.0.20',
      'on east-1: ip route add 10.103.0.0/16 via 10.1.0.20',
      'on east-2: ip route add 10.100.0.0/16 via 10.1.0.10',
      'on east-2: ip route add 10.101.0.0/16 via 10.1.0.10',
      'on west-1: ip route add 10.110.0.0/16 via 10.2.0.20',
      'on west-1: ip route add 10.111.0.0/16 via 10.2.0.20',
      'on west-2: ip route add 10.100.0.0/16 via 10.2.0.10',
      'on west-2: ip route add 10.101.0.0/16 via 10.2.0.10',
      'on edge-1: ip route add 10.130.0.0/16 via 10.3.0.20',
      'on edge-1: ip route add 10.131.0.0/16 via 10.3.0.20',
      'on edge-2: ip route add 10.120.0.0/16 via 10.3.0.10',
      'on edge-2: ip route add 10.121.0.0/16 via 10.3.0.10',
    ]);
  });

  it('installs a remote after its own primary, not the other one', () => {
    expect(stepOf(plan, 'istio:edge-1').needs).toContain('gateway-address:west-1');
    expect(stepOf(plan, 'istio:edge-1').needs).not.toContain('gateway-address:east-1');
    expect(stepOf(plan, 'istio:edge-2').needs).toContain('gateway-address:east-1');
  });
});
