import ipaddr from 'ipaddr.js';
import type { MeshNetworks } from './types.js';

/**
 * The network of an endpoint, in the order of istiod's Controller.Network
 * (pilot/pkg/serviceregistry/kube/controller/controller.go):
 *  1. the pod's `topology.istio.io/network` label (the injector stamps it);
 *  2. the same label on the *system namespace* (istio-system) of the endpoint's own
 *     cluster: not the pod's namespace, and not the primary's;
 *  3. meshNetworks: a network listing `fromRegistry: <clusterId>` claims the whole cluster,
 *     otherwise the first `fromCidr` containing the endpoint address;
 *  4. '' (no network).
 */
export interface NetworkResolver {
  /** Steps 2 and 3a: the cluster's default network ('' if none). */
  readonly clusterNetwork: string;
  resolve(address: string, podNetworkLabel: string | undefined): string;
}

export function networkResolver(clusterId: string, systemNamespaceNetwork: string, meshNetworks: MeshNetworks | undefined): NetworkResolver {
  // Go ranges over a map here; sorting the network names makes "first" deterministic.
  const networks = Object.entries(meshNetworks?.networks ?? {}).sort(([a], [b]) => (a < b ? -1 : 1));
  const fromRegistry = networks.find(([, n]) => (n.endpoints ?? []).some((e) => e.fromRegistry === clusterId))?.[0] ?? '';
  const cidrs: { network: string; range: [ipaddr.IPv4 | ipaddr.IPv6, number] }[] = [];
  for (const [network, n] of networks) {
    for (const e of n.endpoints ?? []) {
      if (!e.fromCidr) continue;
      try {
        cidrs.push({ network, range: ipaddr.parseCIDR(e.fromCidr) });
      } catch {
        // istiod logs "unable to parse CIDR" and skips the entry.
      }
    }
  }
  const byCidr = (address: string): string => {
    if (!ipaddr.isValid(address)) return '';
    const ip = ipaddr.process(address);
    return cidrs.find((c) => c.range[0].kind() === ip.kind() && ip.match(c.range))?.network ?? '';
  };
  return {
    clusterNetwork: systemNamespaceNetwork || fromRegistry,
    resolve: (address, podLabel) => podLabel || systemNamespaceNetwork || fromRegistry || byCidr(address),
  };
}
