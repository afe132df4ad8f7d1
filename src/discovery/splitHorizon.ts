import { compare } from './fields.js';
import type { Endpoint, NetworkGateway, Registry, ServiceEntry } from './types.js';

/**
 * What a sidecar in network N is told about a service: istiod's split-horizon EDS
 * (pilot/pkg/xds/endpoints/ep_filters.go, EndpointsByNetworkFilter; model/network.go).
 *
 * - Multi-network is on when any gateway is known. Then every endpoint weight (1) is scaled
 *   by the LCM of the gateway counts per network and per network+cluster.
 * - An endpoint is sent by its own address when it is in N (equal, or either side ''), or
 *   when its network has no gateway — unless N is '' and its network has gateways
 *   (forceGateway, 1.30+).
 * - Otherwise it needs mTLS (its pod has tlsMode istio) and its scaled weight is split evenly
 *   over the gateways of its network and cluster (or, if none, of its network), summed per
 *   gateway into one `<gateway address>:<15443 or override>` endpoint. Sidecars skip
 *   HBONE-only gateways.
 * - Terminating endpoints are never sent. Unhealthy ones: see `unhealthy`.
 */
export interface SplitHorizonOptions {
  /**
   * `drop` (default): only ready endpoints count. `send`: istiod 1.31's default
   * (PILOT_AUTO_SEND_UNHEALTHY_ENDPOINTS=true, no outlier detection minHealthPercent):
   * unhealthy endpoints of reachable networks are sent marked unhealthy, and unhealthy
   * endpoints behind a gateway add to its weight (the filter does not look at health).
   */
  unhealthy?: 'drop' | 'send';
  /**
   * `drop` (default): endpoints of another network that has no gateway are left out, as they
   * cannot be reached. `direct`: istiod's behaviour, which sends their pod addresses anyway.
   */
  noGateway?: 'drop' | 'direct';
}

/** The options under which the view equals istiod 1.31's EDS with its defaults. */
export const ISTIOD_SPLIT_HORIZON: Required<SplitHorizonOptions> = { unhealthy: 'send', noGateway: 'direct' };

export interface ViewEndpoint {
  address: string;
  port: number;
  weight: number;
  /** The endpoint's network, or the gateway's. */
  network: string;
  cluster: string;
  via: 'pod' | 'gateway';
  healthy: boolean;
  /** via gateway: how many endpoints of that network stand behind it. */
  endpoints?: number;
}

export type DropReason = 'unhealthy' | 'terminating' | 'noGateway' | 'notMtls';

export interface DroppedEndpoint {
  cluster: string;
  network: string;
  address: string;
  reason: DropReason;
}

export interface PortView {
  /** Service port name and number (one EDS cluster each). */
  name: string;
  port: number;
  endpoints: ViewEndpoint[];
}

export interface NetworkView {
  hostname: string;
  network: string;
  multiNetwork: boolean;
  scaleFactor: number;
  ports: PortView[];
  /** Each left-out endpoint once, with the reason. */
  dropped: DroppedEndpoint[];
}

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));
const lcm = (a: number, b: number) => (a / gcd(a, b)) * b;

interface GatewayIndex {
  byNetwork: Map<string, NetworkGateway[]>;
  byNetworkAndCluster: Map<string, NetworkGateway[]>;
  scaleFactor: number;
}

const ncKey = (network: string, cluster: string) => `${network}\u0000${cluster}`;

function indexGateways(gateways: readonly NetworkGateway[]): GatewayIndex {
  const byNetwork = new Map<string, NetworkGateway[]>();
  const byNetworkAndCluster = new Map<string, NetworkGateway[]>();
  for (const g of gateways) {
    byNetwork.set(g.network, [...(byNetwork.get(g.network) ?? []), g]);
    byNetworkAndCluster.set(ncKey(g.network, g.cluster), [...(byNetworkAndCluster.get(ncKey(g.network, g.cluster)) ?? []), g]);
  }
  // NetworkGateways.update: lcm over both groupings, 1 when there are none.
  const scaleFactor = [...byNetwork.values(), ...byNetworkAndCluster.values()].reduce((acc, gws) => lcm(acc, gws.length), 1);
  return { byNetwork, byNetworkAndCluster, scaleFactor };
}

/** selectNetworkGateways for a sidecar: prefer the endpoint's cluster, and only gateways with an mTLS port. */
function gatewaysFor(index: GatewayIndex, ep: Endpoint): NetworkGateway[] {
  const sameCluster = index.byNetworkAndCluster.get(ncKey(ep.network, ep.cluster)) ?? [];
  const chosen = sameCluster.length > 0 ? sameCluster : (index.byNetwork.get(ep.network) ?? []);
  return chosen.filter((g) => g.port !== 0);
}

/** model.SortGateways: address, then port, then the rest, so output is stable. */
const sortGateways = (a: NetworkGateway, b: NetworkGateway) =>
  compare(a.address, b.address) || a.port - b.port || compare(a.cluster, b.cluster) || compare(a.network, b.network);

export function networkView(registry: Registry, service: ServiceEntry, network: string, opts: SplitHorizonOptions = {}): NetworkView {
  const unhealthy = opts.unhealthy ?? 'drop';
  const noGateway = opts.noGateway ?? 'drop';
  const index = indexGateways(registry.gateways);
  const multiNetwork = index.byNetwork.size > 0;
  const scale = multiNetwork ? index.scaleFactor : 1;
  const inNetwork = (n: string) => n === '' || network === '' || n === network;

  const dropped = new Map<string, DroppedEndpoint>();
  const drop = (ep: Endpoint, reason: DropReason) =>
    dropped.set(`${ep.cluster}\u0000${ep.address}`, { cluster: ep.cluster, network: ep.network, address: ep.address, reason });

  const ports = service.ports.map((sp): PortView => {
    const direct: ViewEndpoint[] = [];
    const weights = new Map<NetworkGateway, { weight: number; endpoints: number }>();
    for (const ep of service.endpoints) {
      const port = ep.ports[sp.name];
      // EDS builds one cluster per service port; an endpoint without this port is not in it.
      if (port === undefined) continue;
      if (ep.health === 'terminating') {
        drop(ep, 'terminating');
        continue;
      }
      if (ep.health === 'unhealthy' && unhealthy === 'drop') {
        drop(ep, 'unhealthy');
        continue;
      }
      const gateways = multiNetwork ? gatewaysFor(index, ep) : [];
      const forceGateway = network === '' && ep.network !== '' && gateways.length > 0;
      if (!forceGateway && (inNetwork(ep.network) || gateways.length === 0)) {
        if (!inNetwork(ep.network) && noGateway === 'drop') drop(ep, 'noGateway');
        else direct.push({ address: ep.address, port, weight: scale, network: ep.network, cluster: ep.cluster, via: 'pod', healthy: ep.ready });
        continue;
      }
      // Sidecars reach another network by SNI on mTLS; plain-text endpoints cannot be.
      if (ep.tlsMode !== 'istio') {
        drop(ep, 'notMtls');
        continue;
      }
      const share = Math.floor(scale / gateways.length);
      for (const g of gateways) {
        const w = weights.get(g) ?? { weight: 0, endpoints: 0 };
        weights.set(g, { weight: w.weight + share, endpoints: w.endpoints + 1 });
      }
    }
    const viaGateway = [...weights.entries()]
      .sort(([a], [b]) => sortGateways(a, b))
      .map(([g, w]): ViewEndpoint => ({
        address: g.address,
        port: g.port,
        // istiod warns and uses 1 if a share rounded down to 0.
        weight: w.weight || 1,
        network: g.network,
        cluster: g.cluster,
        via: 'gateway',
        healthy: true,
        endpoints: w.endpoints,
      }));
    return { name: sp.name, port: sp.port, endpoints: [...direct, ...viaGateway] };
  });

  const droppedList = [...dropped.values()].sort((a, b) => compare(a.cluster, b.cluster) || compare(a.address, b.address));
  return { hostname: service.hostname, network, multiNetwork, scaleFactor: scale, ports, dropped: droppedList };
}

/** Every network's view of a service: the networks of the registry plus the service's own. */
export function networkViews(registry: Registry, service: ServiceEntry, opts: SplitHorizonOptions = {}): NetworkView[] {
  const networks = new Set<string>([...Object.values(registry.clusterNetworks), ...service.endpoints.map((e) => e.network), ...registry.gateways.map((g) => g.network)]);
  return [...networks].sort(compare).map((n) => networkView(registry, service, n, opts));
}

/**
 * The split-horizon view meshfed shows of `service` from `network`: the one that
 * `meshfed discover --network` and the API's `?network=` (and `?cluster=`) both print, so they
 * cannot disagree. meshfed's defaults: only endpoints a proxy there can reach, each left-out
 * one listed with its reason (ISTIOD_SPLIT_HORIZON is for comparing with istiod itself).
 */
export function splitHorizonView(registry: Registry, service: ServiceEntry, network: string): NetworkView {
  return networkView(registry, service, network);
}
