import type { KubeObject } from '../kube/index.js';
import { compare, int, list, path, record, stringMap, text } from './fields.js';
import { DEFAULT_GATEWAY_HBONE_PORT, DEFAULT_GATEWAY_PORT, GATEWAY_PORT_LABEL, NETWORK_LABEL } from './labels.js';
import type { NetworkGateway } from './types.js';

/**
 * The network gateways a Service stands for, as istiod's networkManager finds them
 * (network.go getGatewayDetails/extractGatewaysInner, conversion.go ConvertService):
 * - the Service carries `topology.istio.io/network=<N>`;
 * - its mTLS port is 15443, or the `networking.istio.io/gatewayPort` label when that parses
 *   as an integer (otherwise istiod warns and keeps 15443);
 * - the Service must expose that port or 15008 (HBONE), else it is no gateway (1.29+);
 * - addresses: for type LoadBalancer each status.loadBalancer.ingress entry's ip, else its
 *   hostname; then spec.externalIPs.
 * NodePort gateways (traffic.istio.io/nodeSelector) and meshNetworks gateways are not
 * modelled here.
 */
export function gatewaysOfService(clusterId: string, svc: KubeObject): NetworkGateway[] {
  const labels = stringMap(svc.metadata.labels);
  const network = labels[NETWORK_LABEL];
  if (!network) return [];

  let port = DEFAULT_GATEWAY_PORT;
  const override = labels[GATEWAY_PORT_LABEL];
  // strconv.Atoi: an optional sign and decimal digits only.
  if (override !== undefined && /^[+-]?\d+$/.test(override)) port = Number.parseInt(override, 10);

  const exposed = new Set(list(path(svc, 'spec', 'ports')).map((p) => int(record(p)?.port)));
  const mtls = exposed.has(port) ? port : 0;
  const hbone = exposed.has(DEFAULT_GATEWAY_HBONE_PORT) ? DEFAULT_GATEWAY_HBONE_PORT : 0;
  if (mtls === 0 && hbone === 0) return [];

  const addresses: string[] = [];
  if (text(path(svc, 'spec', 'type')) === 'LoadBalancer') {
    for (const ingress of list(path(svc, 'status', 'loadBalancer', 'ingress'))) {
      const addr = text(record(ingress)?.ip) || text(record(ingress)?.hostname);
      if (addr) addresses.push(addr);
    }
  }
  for (const ip of list(path(svc, 'spec', 'externalIPs'))) if (typeof ip === 'string' && ip) addresses.push(ip);

  const service = { namespace: svc.metadata.namespace ?? '', name: svc.metadata.name };
  return addresses.map((address) => ({ network, cluster: clusterId, address, port: mtls, hbonePort: hbone, service }));
}

const gatewayKey = (g: NetworkGateway) => [g.network, g.cluster, g.address, g.port, g.hbonePort].join('\u0000');

/** istiod merges gateways into a set, so one address listed twice is one gateway. */
export function uniqueGateways(gateways: readonly NetworkGateway[]): NetworkGateway[] {
  const seen = new Map<string, NetworkGateway>();
  for (const g of gateways) if (!seen.has(gatewayKey(g))) seen.set(gatewayKey(g), g);
  return [...seen.values()].sort(compareGateways);
}

export function compareGateways(a: NetworkGateway, b: NetworkGateway): number {
  return compare(a.network, b.network) || compare(a.cluster, b.cluster) || compare(a.address, b.address) || a.port - b.port || a.hbonePort - b.hbonePort;
}
