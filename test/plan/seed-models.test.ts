import { describe, expect, it } from 'vitest';
import { CONTROL_PLANE_CLUSTERS_ANNOTATION, NETWORK_LABEL } from '../../src/plan/index.js';
import { clusterOf, examplePlan, routeLines, secretPairs, stepIds, stepOf } from './helpers.js';

// Seed 000's kind clusters: cluster01 at 172.18.0.2 (pool 172.18.11.0/24, pods 10.10/16,
// services 10.11/16), cluster02 at 172.18.0.3 (pool 172.18.12.0/24, pods 10.20/16, services 10.21/16).
const SEED_ROUTES = [
  'on cluster01: ip route add 10.20.0.0/16 via 172.18.0.3',
  'on cluster01: ip route add 10.21.0.0/16 via 172.18.0.3',
  'on cluster02: ip route add 10.10.0.0/16 via 172.18.0.2',
  'on cluster02: ip route add 10.11.0.0/16 via 172.18.0.2',
];

describe('model 1: primary-remote on one network', async () => {
  const plan = await examplePlan('primary-remote');
  const [c1, c2] = [clusterOf(plan, 'cluster01'), clusterOf(plan, 'cluster02')];

  it('has a primary with EXTERNAL_ISTIOD and a remote it controls, on one network', () => {
    expect(plan.mesh).toMatchObject({ networks: ['network1'], multiNetwork: false, lab: false });
    expect([c1.role, c1.primary, c1.network, c1.externalIstiod]).toEqual(['primary', 'cluster01', 'network1', true]);
    expect([c2.role, c2.primary, c2.network, c2.externalIstiod]).toEqual(['remote', 'cluster01', 'network1', false]);
  });

  it('gives only the primary an east-west gateway, exposing istiod but not services', () => {
    expect(c1.eastWestGateway).toEqual({ network: 'network1', address: '172.18.11.1', exposesIstiod: true, exposesServices: false });
    expect(c2.eastWestGateway).toBeUndefined();
    expect(stepIds(plan, 'eastwest-gateway')).toEqual(['eastwest-gateway:cluster01']);
    expect(stepIds(plan, 'expose-istiod')).toEqual(['expose-istiod:cluster01']);
    expect(stepIds(plan, 'expose-services')).toEqual([]);
  });

  it('annotates the remote with its control plane and labels no network', () => {
    expect(c1.namespace).toEqual({ name: 'istio-system', labels: {}, annotations: {} });
    expect(c2.namespace).toEqual({ name: 'istio-system', labels: {}, annotations: { [CONTROL_PLANE_CLUSTERS_ANNOTATION]: 'cluster01' } });
    expect(NETWORK_LABEL).toBe('topology.istio.io/network');
    expect(CONTROL_PLANE_CLUSTERS_ANNOTATION).toBe('topology.istio.io/controlPlaneClusters');
  });

  it("points the remote at the primary's gateway and its own injection path", () => {
    expect(c2.remotePilotAddress).toBe('172.18.11.1');
    expect(c2.injectionPath).toBe('/inject/cluster/cluster02/net/network1');
    expect(c1.remotePilotAddress).toBeUndefined();
    expect(c1.injectionPath).toBeUndefined();
  });

  it('has the primary hold the one remote secret', () => {
    expect(plan.remoteSecrets).toEqual([{ name: 'istio-remote-secret-cluster02', primary: 'cluster01', watched: 'cluster02', server: 'https://172.18.0.3:6443' }]);
    expect(c1.watches).toEqual(['cluster02']);
    expect(c2.watches).toEqual([]);
    expect(c2.watchedBy).toEqual(['cluster01']);
  });

  it("routes the flat network as seed 000 does", () => {
    expect(routeLines(plan)).toEqual(SEED_ROUTES);
    expect(stepIds(plan, 'routes')).toEqual(['routes:cluster01', 'routes:cluster02']);
    expect(stepOf(plan, 'routes:cluster01').manual).toBe(true);
  });

  it("installs the remote only once the primary's gateway has its address and exposes istiod", () => {
    expect(stepOf(plan, 'istio:cluster02').needs).toEqual(expect.arrayContaining(['namespace:cluster02', 'cacerts:cluster02', 'gateway-address:cluster01', 'expose-istiod:cluster01']));
    expect(stepOf(plan, 'remote-secret:cluster01:cluster02').needs).toEqual(expect.arrayContaining(['istio:cluster01', 'remote-reader:cluster02']));
  });
});

describe('model 2: multi-primary on one network', async () => {
  const plan = await examplePlan('multi-primary');
  const [c1, c2] = [clusterOf(plan, 'cluster01'), clusterOf(plan, 'cluster02')];

  it('has two primaries, each its own control plane, neither with EXTERNAL_ISTIOD', () => {
    expect(plan.mesh).toMatchObject({ networks: ['network1'], multiNetwork: false });
    for (const c of [c1, c2]) {
      expect([c.role, c.primary, c.network, c.externalIstiod]).toEqual(['primary', c.name, 'network1', false]);
      expect(c.injectionPath).toBeUndefined();
      expect(c.remotePilotAddress).toBeUndefined();
    }
  });

  it('needs no east-west gateway at all', () => {
    expect(c1.eastWestGateway).toBeUndefined();
    expect(c2.eastWestGateway).toBeUndefined();
    for (const kind of ['eastwest-gateway', 'gateway-address', 'expose-istiod', 'expose-services'] as const) expect(stepIds(plan, kind)).toEqual([]);
  });

  it('puts no network label and no control-plane annotation on istio-system', () => {
    for (const c of [c1, c2]) expect(c.namespace).toEqual({ name: 'istio-system', labels: {}, annotations: {} });
  });

  it('has each primary hold the secret of the other', () => {
    expect(secretPairs(plan)).toEqual(['cluster01←cluster02', 'cluster02←cluster01']);
    expect(plan.remoteSecrets.find((s) => s.primary === 'cluster02')?.server).toBe('https://172.18.0.2:6443');
  });

  it('routes the flat network as seed 000 does', () => {
    expect(routeLines(plan)).toEqual(SEED_ROUTES);
  });
});

describe('model 3: primary-remote on two networks', async () => {
  const plan = await examplePlan('primary-remote-multi-network');
  const [c1, c2] = [clusterOf(plan, 'cluster01'), clusterOf(plan, 'cluster02')];

  it('has the primary on network1 and its remote on network2', () => {
    expect(plan.mesh).toMatchObject({ networks: ['network1', 'network2'], multiNetwork: true });
    expect([c1.role, c1.primary, c1.network, c1.externalIstiod]).toEqual(['primary', 'cluster01', 'network1', true]);
    expect([c2.role, c2.primary, c2.network, c2.externalIstiod]).toEqual(['remote', 'cluster01', 'network2', false]);
  });

  it('gives both a gateway; the primary exposes istiod and services, the remote neither', () => {
    expect(c1.eastWestGateway).toEqual({ network: 'network1', address: '172.18.11.1', exposesIstiod: true, exposesServices: true });
    expect(c2.eastWestGateway).toEqual({ network: 'network2', address: '172.18.12.1', exposesIstiod: false, exposesServices: false });
    expect(stepIds(plan, 'expose-istiod')).toEqual(['expose-istiod:cluster01']);
    expect(stepIds(plan, 'expose-services')).toEqual(['expose-services:cluster01']);
  });

  it('labels each istio-system with its network and annotates the remote', () => {
    expect(c1.namespace.labels).toEqual({ [NETWORK_LABEL]: 'network1' });
    expect(c2.namespace.labels).toEqual({ [NETWORK_LABEL]: 'network2' });
    expect(c1.namespace.annotations).toEqual({});
    expect(c2.namespace.annotations).toEqual({ [CONTROL_PLANE_CLUSTERS_ANNOTATION]: 'cluster01' });
  });

  it("points the remote at the primary's gateway, injecting with its own network", () => {
    expect(c2.remotePilotAddress).toBe('172.18.11.1');
    expect(c2.injectionPath).toBe('/inject/cluster/cluster02/net/network2');
  });

  it('has one secret and no routes', () => {
    expect(secretPairs(plan)).toEqual(['cluster01←cluster02']);
    expect(plan.routes).toEqual([]);
    expect(stepIds(plan, 'routes')).toEqual([]);
  });

  it("installs the remote's gateway after its primary holds the remote's secret", () => {
    expect(stepOf(plan, 'eastwest-gateway:cluster02').needs).toEqual(expect.arrayContaining(['istio:cluster02', 'remote-secret:cluster01:cluster02']));
  });
});

describe('model 4: multi-primary on two networks', async () => {
  const plan = await examplePlan('multi-primary-multi-network');
  const [c1, c2] = [clusterOf(plan, 'cluster01'), clusterOf(plan, 'cluster02')];

  it('has two primaries on two networks, neither with EXTERNAL_ISTIOD', () => {
    expect(plan.mesh).toMatchObject({ networks: ['network1', 'network2'], multiNetwork: true });
    expect([c1.role, c1.network, c1.externalIstiod]).toEqual(['primary', 'network1', false]);
    expect([c2.role, c2.network, c2.externalIstiod]).toEqual(['primary', 'network2', false]);
  });

  it('gives each a gateway exposing services, not istiod', () => {
    expect(c1.eastWestGateway).toEqual({ network: 'network1', address: '172.18.11.1', exposesIstiod: false, exposesServices: true });
    expect(c2.eastWestGateway).toEqual({ network: 'network2', address: '172.18.12.1', exposesIstiod: false, exposesServices: true });
    expect(stepIds(plan, 'expose-istiod')).toEqual([]);
    expect(stepIds(plan, 'expose-services')).toEqual(['expose-services:cluster01', 'expose-services:cluster02']);
  });

  it('labels networks, annotates nothing', () => {
    expect(c1.namespace).toEqual({ name: 'istio-system', labels: { [NETWORK_LABEL]: 'network1' }, annotations: {} });
    expect(c2.namespace).toEqual({ name: 'istio-system', labels: { [NETWORK_LABEL]: 'network2' }, annotations: {} });
  });

  it('has each primary hold the secret of the other and no routes', () => {
    expect(secretPairs(plan)).toEqual(['cluster01←cluster02', 'cluster02←cluster01']);
    expect(plan.routes).toEqual([]);
  });
});
