/**
 * The lab's pod network, as data: which network namespaces, links, addresses and routes the
 * lab makes so that pods it runs hold their kwok pod IP. Pure; netns.ts carries it out.
 *
 * Shape (every namespace is the lab's own; none has a link to the host's namespace, so no
 * packet can leave the lab for an address outside this machine):
 * - one "fabric" namespace stands for the network between the clusters (seed 000's docker
 *   network): a bridge per mesh network, the lab's node addresses on it, and every cluster's
 *   load balancer pool as local addresses, so LoadBalancer addresses are reachable from
 *   every cluster of every network, as they are with MetalLB. It forwards nothing between
 *   pod ranges: only its own (locally made) connections, such as the load balancer's, use
 *   a routing table that knows the pods.
 * - one "node" namespace per cluster plays its nodes' routing (Calico-style): a /32 route
 *   and a proxy-ARP veth per pod, a default route to the fabric. Routes to the other
 *   clusters of a flat network are whatever the rendered 90-routes.sh adds, run inside it.
 * - one namespace per running lab pod: eth0 with the pod IP/32, default via 169.254.1.1.
 */
import { createHash } from 'node:crypto';
import { parseCidr, overlaps, type Cidr } from '../topology/index.js';
import { LAB_ERROR_CODES, LabError } from './errors.js';

/** The lab's own link addresses: the second half of RFC 2544's range (labPools.ts takes the first). */
export const LAB_LINK_RANGE = '198.19.0.0/16';
/** Calico's trick: every pod's default gateway is this link-local address, answered by proxy ARP. */
export const POD_GATEWAY = '169.254.1.1';
/** Routing table in the fabric for connections the fabric itself makes (the load balancer's). */
export const FABRIC_LOCAL_TABLE = 100;

export interface PodNetworkCluster {
  name: string;
  network: string;
  podCIDR: string;
  serviceCIDR: string;
  loadBalancerPool: string;
}

export interface ClusterNode {
  name: string;
  /** The cluster's node namespace. */
  netns: string;
  network: string;
  /** Its bridge in the fabric. */
  bridge: string;
  /** The fabric end of the node's link. */
  fabricLink: string;
  /** The node's address on its network's bridge: what NODE_ADDRESS_<CLUSTER> is in 90-routes.sh. */
  nodeAddress: string;
  /** The fabric's address on the same bridge: the node's default gateway. */
  gateway: string;
  podCIDR: string;
  serviceCIDR: string;
  loadBalancerPool: string;
}

export interface PodNetworkPlan {
  /** Every namespace of this lab starts with it; `down` removes exactly those. */
  prefix: string;
  fabric: string;
  networks: { name: string; bridge: string; subnet: string; gateway: string }[];
  nodes: ClusterNode[];
}

/** `mfl<6 hex of the state dir>-`: lab-specific, so two labs never touch each other's namespaces. */
export function podNetworkPrefix(stateDir: string): string {
  return `mfl${createHash('sha256').update(stateDir).digest('hex').slice(0, 6)}-`;
}

export function podNetworkPlan(stateDir: string, clusters: PodNetworkCluster[]): PodNetworkPlan {
  const prefix = podNetworkPrefix(stateDir);
  const links = parseCidr(LAB_LINK_RANGE)!;
  for (const c of clusters) {
    for (const r of [c.podCIDR, c.serviceCIDR, c.loadBalancerPool]) {
      const cidr = parseCidr(r);
      if (cidr && overlaps(cidr, links)) {
        throw new LabError({ code: LAB_ERROR_CODES.invalidAddress, message: `cluster ${c.name}: ${r} overlaps ${LAB_LINK_RANGE}, which the lab keeps for its own links`, hint: 'pick ranges outside 198.19.0.0/16', cluster: c.name });
      }
    }
  }
  if (clusters.length > 253) throw new LabError({ code: LAB_ERROR_CODES.invalidAddress, message: `the lab's pod network holds at most 253 clusters, not ${clusters.length}`, hint: 'split the mesh' });
  const networkNames = [...new Set(clusters.map((c) => c.network))];
  const networks = networkNames.map((name, k) => ({ name, bridge: `br${k}`, subnet: `198.19.${k}.0/24`, gateway: `198.19.${k}.254` }));
  const nodes = clusters.map((c, i): ClusterNode => {
    const k = networkNames.indexOf(c.network);
    return {
      name: c.name,
      netns: `${prefix}node${i}`,
      network: c.network,
      bridge: `br${k}`,
      fabricLink: `node${i}`,
      nodeAddress: `198.19.${k}.${i + 1}`,
      gateway: `198.19.${k}.254`,
      podCIDR: c.podCIDR,
      serviceCIDR: c.serviceCIDR,
      loadBalancerPool: c.loadBalancerPool,
    };
  });
  return { prefix, fabric: `${prefix}fabric`, networks, nodes };
}

/** One `ip` (or `sysctl` inside a namespace) invocation, as argv. */
export type NetCommand = string[];

const sysctlIn = (netns: string, setting: string): NetCommand => ['ip', 'netns', 'exec', netns, 'sysctl', '-qw', setting];

/** Commands that build the fabric and every node namespace, from nothing. */
export function fabricCommands(plan: PodNetworkPlan): NetCommand[] {
  const f = plan.fabric;
  const cmds: NetCommand[] = [
    ['ip', 'netns', 'add', f],
    ['ip', '-n', f, 'link', 'set', 'lo', 'up'],
    sysctlIn(f, 'net.ipv4.ip_forward=1'),
    // Only connections the fabric makes itself (iif lo) may reach pod ranges directly.
    ['ip', '-n', f, 'rule', 'add', 'iif', 'lo', 'lookup', String(FABRIC_LOCAL_TABLE), 'priority', '100'],
  ];
  for (const n of plan.networks) {
    cmds.push(['ip', '-n', f, 'link', 'add', n.bridge, 'type', 'bridge']);
    cmds.push(['ip', '-n', f, 'addr', 'add', `${n.gateway}/24`, 'dev', n.bridge]);
    cmds.push(['ip', '-n', f, 'link', 'set', n.bridge, 'up']);
  }
  // Pod ranges may repeat across networks (Istio allows it; examples/mix does it), but one
  // routing table can hold a range once. The fabric's own connections (a listener on a load
  // balancer address answering a pod) reach the first cluster holding a range; a later
  // cluster whose range overlaps it gets no fabric route (a lab limit, named in the README).
  const routedPods: Cidr[] = [];
  for (const node of plan.nodes) {
    const ns = node.netns;
    const podRange = parseCidr(node.podCIDR);
    const fabricRoutesPods = podRange !== undefined && !routedPods.some((r) => overlaps(r, podRange));
    if (fabricRoutesPods) routedPods.push(podRange);
    cmds.push(
      ['ip', 'netns', 'add', ns],
      ['ip', '-n', ns, 'link', 'set', 'lo', 'up'],
      sysctlIn(ns, 'net.ipv4.ip_forward=1'),
      ['ip', '-n', f, 'link', 'add', node.fabricLink, 'type', 'veth', 'peer', 'name', 'fabric0', 'netns', ns],
      ['ip', '-n', f, 'link', 'set', node.fabricLink, 'master', node.bridge],
      ['ip', '-n', f, 'link', 'set', node.fabricLink, 'up'],
      ['ip', '-n', ns, 'addr', 'add', `${node.nodeAddress}/24`, 'dev', 'fabric0'],
      ['ip', '-n', ns, 'link', 'set', 'fabric0', 'up'],
      ['ip', '-n', ns, 'route', 'add', 'default', 'via', node.gateway],
      // The cluster's load balancer addresses all belong to the fabric (AnyIP).
      ['ip', '-n', f, 'route', 'add', 'local', node.loadBalancerPool, 'dev', 'lo'],
    );
    if (fabricRoutesPods) cmds.push(['ip', '-n', f, 'route', 'add', node.podCIDR, 'via', node.nodeAddress, 'table', String(FABRIC_LOCAL_TABLE)]);
  }
  return cmds;
}

/** The node-side link of a pod: `v` + the pod IP in hex (fits IFNAMSIZ, unique per cluster). */
export function podLinkName(ip: string): string {
  return `v${ip.split('.').map((o) => Number(o).toString(16).padStart(2, '0')).join('')}`;
}

export function podNetnsName(node: ClusterNode, ip: string): string {
  return `${node.netns}-${ip}`;
}

/** Commands that give one pod a namespace holding its IP, wired to its cluster's node. */
export function podCommands(node: ClusterNode, netns: string, ip: string): NetCommand[] {
  const link = podLinkName(ip);
  return [
    ['ip', 'netns', 'add', netns],
    ['ip', '-n', netns, 'link', 'set', 'lo', 'up'],
    ['ip', '-n', node.netns, 'link', 'add', link, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', netns],
    sysctlIn(node.netns, `net.ipv4.conf.${link}.proxy_arp=1`),
    ['ip', '-n', node.netns, 'link', 'set', link, 'up'],
    ['ip', '-n', node.netns, 'route', 'add', `${ip}/32`, 'dev', link],
    ['ip', '-n', netns, 'addr', 'add', `${ip}/32`, 'dev', 'eth0'],
    ['ip', '-n', netns, 'link', 'set', 'eth0', 'up'],
    ['ip', '-n', netns, 'route', 'add', POD_GATEWAY, 'dev', 'eth0', 'scope', 'link'],
    ['ip', '-n', netns, 'route', 'add', 'default', 'via', POD_GATEWAY, 'dev', 'eth0'],
  ];
}

/** Env for a cluster's 90-routes.sh: NODE_ADDRESS_<OWNER> for every cluster, as render names them. */
export function routesScriptEnv(plan: PodNetworkPlan): Record<string, string> {
  return Object.fromEntries(plan.nodes.map((n) => [`NODE_ADDRESS_${n.name.toUpperCase().replace(/-/g, '_')}`, n.nodeAddress]));
}
