import { createHash } from 'node:crypto';
import { firstHost, nthAddress, parseCidr, type MeshFile } from '../topology/index.js';
import { LAB_ERROR_CODES, LabError } from './errors.js';
import { KWOK_KUBELET_PORT } from './kwokDebug.js';
import { labLoadBalancerPools } from './labPools.js';
import { LAB_VERSIONS } from './versions.js';

export const API_SERVER_PORT = 6443;
export const ETCD_CLIENT_PORT = 2379;
export const ETCD_PEER_PORT = 2380;
export const DEFAULT_LAB_NODE_COUNT = 2;

/** What the lab runs for one cluster of the mesh file. */
/** Where a lab cluster lives and which ranges it uses: what status and state both report. */
export type LabClusterAddresses = Pick<LabClusterPlan, 'name' | 'context' | 'apiServer' | 'podCIDR' | 'serviceCIDR' | 'loadBalancerPool' | 'loadBalancerPoolPicked'>;

/** Just those fields, for reports that must not carry the rest of a cluster's record. */
export const labClusterAddresses = (c: LabClusterAddresses): LabClusterAddresses => ({
  name: c.name,
  context: c.context,
  apiServer: c.apiServer,
  podCIDR: c.podCIDR,
  serviceCIDR: c.serviceCIDR,
  loadBalancerPool: c.loadBalancerPool,
  loadBalancerPoolPicked: c.loadBalancerPoolPicked,
});

export interface LabClusterPlan {
  name: string;
  context: string;
  index: number;
  /** Loopback address the cluster's API server (and scheduler, kwok) bind to. */
  ip: string;
  port: number;
  apiServer: string;
  /** True when the mesh file had no apiServer and the lab chose one. */
  assigned: boolean;
  /** The mesh network (empty for the default one): clusters of one network share a bridge in the pod network. */
  network: string;
  podCIDR: string;
  serviceCIDR: string;
  /** The `kubernetes` Service's ClusterIP, which the serving certificate must name. */
  kubernetesServiceIP: string;
  /** The mesh file's loadBalancerPool, or one the lab picked (see labPools.ts). */
  loadBalancerPool: string;
  /** True when the mesh file names no pool and the lab picked this one, as a cloud would. */
  loadBalancerPoolPicked: boolean;
  nodes: number;
}

export interface LabPlan {
  mesh: string;
  etcd: { ip: string; clientPort: number; peerPort: number };
  clusters: LabClusterPlan[];
  /** Changes whenever anything that lives in etcd or a certificate would change. */
  fingerprint: string;
}

const FALLBACK_PREFIX = '127.0.1.';

function isLoopbackIPv4(host: string): boolean {
  const parts = host.split('.');
  return parts.length === 4 && parts[0] === '127' && parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255);
}

function parseApiServer(url: string, cluster: string): { ip: string; port: number } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new LabError({ code: LAB_ERROR_CODES.invalidAddress, message: `cluster ${cluster}: apiServer "${url}" is not a URL`, hint: 'write it as https://127.0.1.1:6443', cluster: cluster });
  }
  if (parsed.protocol !== 'https:' || !isLoopbackIPv4(parsed.hostname)) {
    throw new LabError({ code: LAB_ERROR_CODES.invalidAddress, message: `cluster ${cluster}: apiServer "${url}" is not an https URL on a loopback IPv4 address`, hint: 'in a lab mesh every API server listens on its own 127.x.y.z address, e.g. https://127.0.1.1:6443; remove apiServer to let the lab choose', cluster: cluster });
  }
  return { ip: parsed.hostname, port: parsed.port ? Number(parsed.port) : 443 };
}

function firstIPv4(cidrs: string[], what: string, cluster: string): string {
  const text = cidrs[0];
  const c = text ? parseCidr(text) : undefined;
  if (!text || !c || c.family !== 'ipv4') {
    throw new LabError({ code: LAB_ERROR_CODES.invalidAddress, message: `cluster ${cluster}: the lab needs an IPv4 ${what} CIDR first, got ${text ?? 'none'}`, hint: `put an IPv4 range first in ${what}CIDRs`, cluster: cluster });
  }
  return text;
}

/** Decides every address and range the lab will use; pure, throws LabError on a mesh the lab cannot run. */
export function planLab(mesh: MeshFile): LabPlan {
  if (!mesh.spec.lab) {
    throw new LabError({ code: LAB_ERROR_CODES.notALabMesh, message: `mesh ${mesh.metadata.name} is not a lab mesh`, hint: 'add `lab: { nodes: 2 }` under spec to run it in the lab; the lab only runs meshes that say so' });
  }
  const nodes = mesh.spec.lab.nodes || DEFAULT_LAB_NODE_COUNT;
  const taken = new Map<string, string>();
  const explicit = mesh.spec.clusters.map((c) => (c.apiServer ? parseApiServer(c.apiServer, c.name) : undefined));
  explicit.forEach((e, i) => {
    if (!e) return;
    const key = `${e.ip}:${e.port}`;
    const other = taken.get(key);
    const name = mesh.spec.clusters[i]?.name ?? '';
    if (other) throw new LabError({ code: LAB_ERROR_CODES.invalidAddress, message: `clusters ${other} and ${name} both use ${key}`, hint: 'give every cluster its own loopback address', cluster: name });
    // Each cluster's kwok serves exec and logs on the cluster's address at one fixed port.
    const sameIp = taken.get(e.ip);
    if (sameIp) throw new LabError({ code: LAB_ERROR_CODES.invalidAddress, message: `clusters ${sameIp} and ${name} both use the address ${e.ip}; in the lab each cluster needs its own (its kwok serves \`kubectl exec\` and \`logs\` there on port ${KWOK_KUBELET_PORT})`, hint: 'give every cluster its own loopback address, e.g. https://127.0.1.2:6443', cluster: name });
    taken.set(key, name);
    taken.set(e.ip, name);
  });
  const pools = labLoadBalancerPools(mesh);
  const usedIps = new Set(explicit.flatMap((e) => (e ? [e.ip] : [])));
  let next = 1;
  const clusters = mesh.spec.clusters.map((c, index): LabClusterPlan => {
    let address = explicit[index];
    const assigned = !address;
    if (!address) {
      // i-th cluster gets 127.0.1.(i+1) unless a cluster pinned that address already.
      next = Math.max(next, index + 1);
      while (usedIps.has(`${FALLBACK_PREFIX}${next}`)) next++;
      address = { ip: `${FALLBACK_PREFIX}${next}`, port: API_SERVER_PORT };
      usedIps.add(address.ip);
      next++;
    }
    const serviceCIDR = firstIPv4(c.serviceCIDRs, 'service', c.name);
    const svc = parseCidr(serviceCIDR);
    const kubernetesServiceIP = svc ? nthAddress(svc, 1) : undefined;
    if (!kubernetesServiceIP) throw new LabError({ code: LAB_ERROR_CODES.invalidAddress, message: `cluster ${c.name}: service CIDR ${serviceCIDR} is too small`, hint: 'use a /24 or wider', cluster: c.name });
    if (c.loadBalancerPool !== undefined) {
      const pool = parseCidr(c.loadBalancerPool);
      if (!pool || pool.family !== 'ipv4' || !firstHost(pool)) {
        throw new LabError({ code: LAB_ERROR_CODES.invalidAddress, message: `cluster ${c.name}: loadBalancerPool ${c.loadBalancerPool} is not an IPv4 CIDR`, hint: 'use e.g. 172.18.11.0/24', cluster: c.name });
      }
    }
    const port = address.port;
    return {
      name: c.name,
      context: c.context,
      index,
      ip: address.ip,
      port,
      apiServer: `https://${address.ip}:${port}`,
      assigned,
      network: c.network ?? '',
      podCIDR: firstIPv4(c.podCIDRs, 'pod', c.name),
      serviceCIDR,
      kubernetesServiceIP,
      loadBalancerPool: pools[index]!.pool,
      loadBalancerPoolPicked: pools[index]!.picked,
      nodes,
    };
  });
  const first = clusters[0];
  if (!first) throw new LabError({ code: LAB_ERROR_CODES.notALabMesh, message: `mesh ${mesh.metadata.name} has no clusters`, hint: 'add at least one cluster' });
  const etcd = { ip: first.ip, clientPort: ETCD_CLIENT_PORT, peerPort: ETCD_PEER_PORT };
  const fingerprint = createHash('sha256')
    .update(JSON.stringify({ v: LAB_VERSIONS, etcd, clusters: clusters.map(({ assigned: _a, loadBalancerPoolPicked: _p, ...rest }) => rest) }))
    .digest('hex')
    .slice(0, 16);
  return { mesh: mesh.metadata.name, etcd, clusters, fingerprint };
}
