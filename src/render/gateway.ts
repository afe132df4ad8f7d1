import { EASTWEST_GATEWAY, type ClusterPlan, type Plan } from '../plan/index.js';

type Obj = Record<string, unknown>;

/** MetalLB reads this to hand the gateway its planned address; the lab's load balancer does too. */
export const LB_IPS_ANNOTATION = 'metallb.universe.tf/loadBalancerIPs';

/** The gateway ports of `gen-eastwest-gateway.sh`, name → port = targetPort. */
export const EASTWEST_PORTS = [
  { name: 'status-port', port: 15021, targetPort: 15021 },
  { name: 'tls', port: 15443, targetPort: 15443 },
  { name: 'tls-istiod', port: 15012, targetPort: 15012 },
  { name: 'tls-webhook', port: 15017, targetPort: 15017 },
];

/** What `samples/multicluster/gen-eastwest-gateway.sh --network <net>` prints, plus the pinned address. */
export function eastWestGatewayOperator(plan: Plan, c: ClusterPlan): Obj {
  const gw = c.eastWestGateway!;
  const label: Obj = { istio: 'eastwestgateway', app: EASTWEST_GATEWAY };
  if (gw.network) label['topology.istio.io/network'] = gw.network;
  const k8s: Obj = {};
  // Traffic through this gateway should be routed inside its own network.
  if (gw.network) k8s['env'] = [{ name: 'ISTIO_META_REQUESTED_NETWORK_VIEW', value: gw.network }];
  k8s['service'] = { ports: EASTWEST_PORTS.map((p) => ({ ...p })) };
  if (gw.address) k8s['serviceAnnotations'] = { [LB_IPS_ANNOTATION]: gw.address };
  const values: Obj = { gateways: { 'istio-ingressgateway': { injectionTemplate: 'gateway' } } };
  if (gw.network) values['global'] = { network: gw.network };
  return {
    apiVersion: 'install.istio.io/v1alpha1',
    kind: 'IstioOperator',
    metadata: { name: 'eastwest' },
    spec: {
      revision: plan.mesh.istio.revision ?? '',
      profile: 'empty',
      components: { ingressGateways: [{ name: EASTWEST_GATEWAY, label, enabled: true, k8s }] },
      values,
    },
  };
}

/** Values for the `istio/gateway` chart as Istio's Helm docs install the east-west gateway. */
export function helmGatewayValues(plan: Plan, c: ClusterPlan): Obj {
  const gw = c.eastWestGateway!;
  const v: Obj = { name: EASTWEST_GATEWAY };
  if (gw.network) v['networkGateway'] = gw.network;
  if (plan.mesh.istio.revision) v['revision'] = plan.mesh.istio.revision;
  if (gw.address) v['service'] = { annotations: { [LB_IPS_ANNOTATION]: gw.address } };
  return v;
}
