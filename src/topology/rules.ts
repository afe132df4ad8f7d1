import { contains, isLoopbackHost, overlaps, parseAddress, parseCidr, type Cidr } from './cidr.js';
import { MESH_FILE_LIMITS } from './limits.js';
import type { SourceDocument } from './source.js';
import type { Diagnostic, MeshFile, Severity } from './types.js';

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const TRUST_DOMAIN = /^[A-Za-z0-9]([-A-Za-z0-9.]*[A-Za-z0-9])?$/;
const VERSION = /^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/;

export function isDnsLabel(s: string): boolean {
  return s.length <= 63 && DNS_LABEL.test(s);
}

// C0 and C1 controls, DEL, and the Unicode line and paragraph separators: none belongs in a
// name, context, address or path, and a newline would end the comment or line it is written to.
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

/** A value as messages show it: quoted, escaped, and cut short. */
export function shown(value: string): string {
  return JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value);
}

/** Up to `n` names, then how many more. */
function some(names: string[], n = 5): string {
  return names.length <= n ? names.join(', ') : `${names.slice(0, n).join(', ')} and ${names.length - n} more`;
}

const CIDR_HINT = (example: string) => `write an address range such as ${example} (IPv4 as a dotted quad without leading zeros: 010.0.0.0 would be read as octal)`;

/**
 * A host of meshConfig.serviceSettings: a DNS name of labels, or `*.` and one (Istio matches
 * `*` alone too, which would make every service cluster-local: written out, that is `*.local`).
 */
export function isServiceHost(host: string): boolean {
  const name = host.startsWith('*.') ? host.slice(2) : host;
  return name.length > 0 && name.length <= 253 && name.split('.').every(isDnsLabel);
}

interface Emit {
  (code: string, pointer: string, message: string, hint: string, severity?: Severity): void;
}

/** Semantic rules (MF3xxx) over a schema-valid, normalized mesh file. Collects every problem. */
export function checkRules(mesh: MeshFile, doc: SourceDocument): Diagnostic[] {
  const out: Diagnostic[] = [];
  const emit: Emit = (code, pointer, message, hint, severity = 'error') =>
    out.push({ code, severity, message, hint, file: doc.file, path: pointer, ...doc.locate(pointer) });
  const { spec } = mesh;
  const lab = spec.lab !== undefined;

  // Every string that reaches a rendered file, a command line or a message.
  const strings: [string, string | undefined][] = [
    ['/metadata/name', mesh.metadata.name],
    ['/spec/istio/version', spec.istio.version],
    ['/spec/istio/revision', spec.istio.revision],
    ['/spec/trust/trustDomain', spec.trust.trustDomain],
    ['/spec/trust/rootDir', spec.trust.rootDir],
  ];
  spec.clusters.forEach((c, i) => {
    for (const k of ['name', 'context', 'apiServer', 'network', 'controlPlane', 'loadBalancerPool', 'eastWestGatewayAddress', 'nodeAddress'] as const) strings.push([`/spec/clusters/${i}/${k}`, c[k]]);
    for (const k of ['podCIDRs', 'serviceCIDRs'] as const) c[k].forEach((v, j) => strings.push([`/spec/clusters/${i}/${k}/${j}`, v]));
  });
  (spec.services?.clusterLocal ?? []).forEach((h, j) => strings.push([`/spec/services/clusterLocal/${j}`, h]));
  for (const [pointer, value] of strings)
    if (value !== undefined && CONTROL.test(value))
      emit('MF3050', pointer, `${shown(value)} holds a control character (newline, tab, escape, …)`, 'write the value on one line, without control characters: it is copied into rendered files and commands');

  const label = (value: string, pointer: string, what: string, code = 'MF3001') => {
    if (!isDnsLabel(value))
      emit(code, pointer, `${what} "${value}" is not a DNS-1123 label`, 'use at most 63 lower-case letters, digits and "-", starting and ending with a letter or digit');
  };
  label(mesh.metadata.name, '/metadata/name', 'mesh name');
  if (spec.istio.revision !== undefined) label(spec.istio.revision, '/spec/istio/revision', 'revision', 'MF3032');
  if (!VERSION.test(spec.istio.version))
    emit('MF3031', '/spec/istio/version', `Istio version "${spec.istio.version}" is not well formed`, 'write a release such as "1.30.3" (no "v" prefix)');
  if (!TRUST_DOMAIN.test(spec.trust.trustDomain))
    emit('MF3030', '/spec/trust/trustDomain', `trust domain "${spec.trust.trustDomain}" is not well formed`, 'write a DNS-like name such as "cluster.local", without scheme, port or path');

  (spec.services?.clusterLocal ?? []).forEach((host, j) => {
    if (!isServiceHost(host))
      emit('MF3060', `/spec/services/clusterLocal/${j}`, `cluster-local host ${shown(host)} is not a hostname or "*." and a domain`, 'write a service hostname such as "web.shop.svc.cluster.local", or a wildcard such as "*.kube-system.svc.cluster.local" (as meshConfig.serviceSettings takes them)');
  });

  const byName = new Map<string, number>();
  const contexts = new Map<string, number>();
  // Whether a cluster wrote `context:` itself (normalize defaults it to the name).
  const rawClusters = (doc.value as { spec?: { clusters?: unknown } } | null)?.spec?.clusters;
  const wroteContext = (i: number): boolean =>
    Array.isArray(rawClusters) && (rawClusters[i] as Record<string, unknown> | null)?.['context'] !== undefined;
  spec.clusters.forEach((c, i) => {
    const at = `/spec/clusters/${i}`;
    label(c.name, `${at}/name`, 'cluster name');
    if (byName.has(c.name))
      emit('MF3002', `${at}/name`, `cluster name "${c.name}" is used twice (first at cluster #${byName.get(c.name)! + 1})`, 'give every cluster a unique name: it becomes its cluster ID');
    else byName.set(c.name, i);
    if (contexts.has(c.context) && c.context !== '')
      emit('MF3042', `${at}/${wroteContext(i) ? 'context' : 'name'}`, `kubeconfig context "${c.context}" is used by two clusters`, 'each cluster needs its own kubeconfig context');
    else contexts.set(c.context, i);
    if (c.network !== undefined) label(c.network, `${at}/network`, 'network name');
  });

  // Control planes: every remote names an existing primary.
  const servesRemotes = new Set<string>();
  const primaryNames = [...byName.keys()].filter((n) => spec.clusters[byName.get(n)!]!.controlPlane === 'self');
  spec.clusters.forEach((c, i) => {
    if (c.controlPlane === 'self') return;
    const at = `/spec/clusters/${i}/controlPlane`;
    if (c.controlPlane === c.name) {
      emit('MF3006', at, `cluster "${c.name}" names itself as its control plane`, 'write `controlPlane: self` for a primary');
      return;
    }
    const j = byName.get(c.controlPlane);
    if (j === undefined) {
      const names = primaryNames;
      emit('MF3003', at, `remote "${c.name}" names control plane ${shown(c.controlPlane)}, which is not a cluster of this mesh`, names.length ? `use one of the primaries: ${some(names)}` : 'add the primary cluster to spec.clusters');
      return;
    }
    const target = spec.clusters[j]!;
    if (target.controlPlane !== 'self')
      emit('MF3004', at, `remote "${c.name}" names "${c.controlPlane}" as its control plane, but "${c.controlPlane}" is itself a remote (of "${target.controlPlane}")`, `point "${c.name}" at a primary (controlPlane: ${target.controlPlane === target.name ? 'self' : target.controlPlane}) or make "${c.controlPlane}" a primary`);
    servesRemotes.add(c.controlPlane);
  });
  spec.clusters.forEach((c, i) => {
    if (servesRemotes.has(c.name) && c.controlPlane !== 'self' && c.controlPlane !== c.name)
      emit('MF3005', `/spec/clusters/${i}/controlPlane`, `"${c.name}" runs the control plane of other clusters but points at "${c.controlPlane}"`, `a control plane for remotes must be a primary: write \`controlPlane: self\` for "${c.name}"`);
  });
  if (!spec.clusters.some((c) => c.controlPlane === 'self'))
    emit('MF3007', '/spec/clusters', 'the mesh has no primary cluster', 'set `controlPlane: self` on at least one cluster');

  // Networks: all or nothing.
  const withNetwork = spec.clusters.filter((c) => c.network !== undefined);
  if (withNetwork.length > 0 && withNetwork.length < spec.clusters.length) {
    spec.clusters.forEach((c, i) => {
      if (c.network === undefined)
        emit('MF3040', `/spec/clusters/${i}`, `cluster "${c.name}" has no network while others do`, `add \`network: <name>\`; clusters on one flat network share its name (e.g. "${withNetwork[0]!.network}")`);
    });
  }

  // Address ranges.
  const ranges = new Map<number, { cidr: Cidr; pointer: string; kind: string }[]>();
  spec.clusters.forEach((c, i) => {
    const list: { cidr: Cidr; pointer: string; kind: string }[] = [];
    for (const kind of ['podCIDRs', 'serviceCIDRs'] as const) {
      c[kind].forEach((text, k) => {
        const pointer = `/spec/clusters/${i}/${kind}/${k}`;
        const cidr = parseCidr(text);
        if (!cidr) emit('MF3011', pointer, `${shown(text)} is not a valid CIDR`, CIDR_HINT('10.10.0.0/16'));
        else list.push({ cidr, pointer, kind: kind === 'podCIDRs' ? 'pod' : 'service' });
      });
    }
    ranges.set(i, list);
    let pool: Cidr | undefined;
    if (c.loadBalancerPool !== undefined) {
      pool = parseCidr(c.loadBalancerPool);
      if (!pool) emit('MF3011', `/spec/clusters/${i}/loadBalancerPool`, `${shown(c.loadBalancerPool)} is not a valid CIDR`, CIDR_HINT('172.18.11.0/24'));
    }
    if (c.eastWestGatewayAddress !== undefined) {
      const pointer = `/spec/clusters/${i}/eastWestGatewayAddress`;
      if (!parseAddress(c.eastWestGatewayAddress))
        emit('MF3041', pointer, `${shown(c.eastWestGatewayAddress)} is not an IP address`, 'write the IP address the east-west gateway is reached at (IPv4 as a dotted quad without leading zeros)');
      else if (pool && !contains(pool, c.eastWestGatewayAddress))
        emit('MF3041', pointer, `east-west gateway address ${c.eastWestGatewayAddress} is outside the pool ${c.loadBalancerPool}`, 'pick an address inside loadBalancerPool, or remove one of the two');
    }
    if (c.nodeAddress !== undefined && !parseAddress(c.nodeAddress))
      emit('MF3011', `/spec/clusters/${i}/nodeAddress`, `${shown(c.nodeAddress)} is not an IP address`, 'write the node IP other clusters route through (IPv4 as a dotted quad without leading zeros, e.g. 172.18.0.2)');
  });
  // Flat networks route pod to pod: ranges of clusters sharing a network must be disjoint.
  // A sweep over the ranges sorted by start finds, for each range, one range of another cluster
  // it overlaps (if any) in O(n log n); each range is reported once, at the later cluster.
  const byNetwork = new Map<string, { cidr: Cidr; pointer: string; kind: string; cluster: number }[]>();
  spec.clusters.forEach((c, i) => {
    const key = c.network ?? '';
    const list = byNetwork.get(key) ?? [];
    for (const r of ranges.get(i) ?? []) list.push({ ...r, cluster: i });
    byNetwork.set(key, list);
  });
  for (const list of byNetwork.values()) {
    for (const family of ['ipv4', 'ipv6'] as const) {
      const sorted = list.filter((r) => r.cidr.family === family).sort((a, b) => (a.cidr.first < b.cidr.first ? -1 : a.cidr.first > b.cidr.first ? 1 : a.cluster - b.cluster));
      // The two ranges reaching furthest so far, from two different clusters.
      let far: (typeof sorted)[number] | undefined;
      let farOther: (typeof sorted)[number] | undefined;
      const reported = new Set<string>();
      for (const r of sorted) {
        const other = far && far.cluster !== r.cluster ? far : farOther;
        if (other && r.cidr.first <= other.cidr.last) {
          const [a, b] = other.cluster < r.cluster ? [other, r] : [r, other];
          if (!reported.has(b.pointer)) {
            reported.add(b.pointer);
            const an = spec.clusters[a.cluster]!;
            const bn = spec.clusters[b.cluster]!;
            emit('MF3010', b.pointer, `${b.kind} range ${b.cidr.text} of "${bn.name}" overlaps ${a.kind} range ${a.cidr.text} of "${an.name}" on network "${an.network ?? '(default)'}"`, 'clusters of one flat network need disjoint pod and service ranges: change one range, or put the clusters on different networks');
          }
        }
        if (!far || r.cidr.last > far.cidr.last) {
          if (far && far.cluster !== r.cluster) farOther = far;
          far = r;
        } else if (r.cluster !== far.cluster && (!farOther || r.cidr.last > farOther.cidr.last)) {
          farOther = r;
        }
      }
    }
  }

  // Flat networks with several clusters need node routes between them (seed 000's `ip route add`).
  if (!lab) {
    const onNetwork = new Map<string, string[]>();
    for (const c of spec.clusters) onNetwork.set(c.network ?? '', [...(onNetwork.get(c.network ?? '') ?? []), c.name].slice(0, 7));
    const counts = new Map<string, number>();
    for (const c of spec.clusters) counts.set(c.network ?? '', (counts.get(c.network ?? '') ?? 0) + 1);
    spec.clusters.forEach((c, i) => {
      const peerCount = (counts.get(c.network ?? '') ?? 1) - 1;
      if (peerCount > 0 && c.nodeAddress === undefined) {
        const named = onNetwork.get(c.network ?? '')!.filter((n) => n !== c.name).slice(0, 5);
        const peers = peerCount > named.length ? `${named.join(', ')} and ${peerCount - named.length} more` : named.join(', ');
        emit('MF3024', `/spec/clusters/${i}`, `cluster "${c.name}" shares flat network "${c.network ?? '(default)'}" with ${peers} but has no nodeAddress`, `set nodeAddress to a node IP of "${c.name}" so the rendered routes.sh can route its pod and service ranges (skip if your network already routes them)`, 'warning');
      }
    });
  }

  // API servers: other control planes must be able to reach them.
  spec.clusters.forEach((c, i) => {
    const pointer = `/spec/clusters/${i}/apiServer`;
    if (c.apiServer === undefined) {
      if (spec.clusters.length > 1 && !lab)
        emit('MF3023', `/spec/clusters/${i}`, `cluster "${c.name}" has no apiServer`, "set apiServer to the address other clusters' control planes use; without it meshfed falls back to your kubeconfig's server, often unreachable from other clusters", 'warning');
      return;
    }
    let url: URL;
    try {
      url = new URL(c.apiServer);
    } catch {
      emit('MF3022', pointer, `${shown(c.apiServer)} is not a URL`, 'write https://<address>:<port>, e.g. https://172.18.0.2:6443');
      return;
    }
    if (url.protocol === 'http:') {
      emit('MF3021', pointer, `API server "${c.apiServer}" uses plain http`, 'remote secrets need the TLS endpoint: write https://…:6443');
      return;
    }
    if (url.protocol !== 'https:') {
      emit('MF3022', pointer, `API server ${shown(c.apiServer)} is not an https URL`, 'write https://<address>:<port>');
      return;
    }
    if (url.username || url.password) {
      emit('MF3022', pointer, 'API server URL holds a user name or password', 'write https://<address>:<port>; credentials belong in the kubeconfig, never in the mesh file');
      return;
    }
    // The URL parser rewrites `010.010.0.1` and `2130706433` into dotted quads; the file must
    // already say what every reader of it will take it for.
    const written = /^https:\/\/([^/?#]*)/i.exec(c.apiServer)?.[1]?.replace(/:\d*$/, '').toLowerCase();
    if (written !== url.hostname) {
      emit('MF3022', pointer, `API server host ${shown(written ?? c.apiServer)} is not written the way it is read (${url.hostname})`, `write the host as ${url.hostname}${/^[\d.]+$/.test(url.hostname) ? ' (IPv4 as a dotted quad without leading zeros)' : ''}`);
      return;
    }
    if (isLoopbackHost(url.hostname) && !lab)
      emit('MF3020', pointer, `API server "${c.apiServer}" is on loopback: the other control planes cannot reach it`, "use the address other clusters reach (kind: the control-plane container's IP, e.g. https://172.18.0.2:6443); only a lab mesh (spec.lab) may use loopback");
  });

  // What the plan will hold, counted without building it: every primary holds a remote secret
  // for every other cluster, and every cluster of a flat network a route to each range of the others.
  const primaries = spec.clusters.filter((c) => c.controlPlane === 'self').length;
  const secrets = primaries * Math.max(0, spec.clusters.length - 1);
  if (secrets > MESH_FILE_LIMITS.remoteSecrets)
    emit('MF3051', '/spec/clusters', `the mesh needs ${secrets} remote secrets (${primaries} primaries × ${spec.clusters.length - 1} other clusters); meshfed plans at most ${MESH_FILE_LIMITS.remoteSecrets}`, 'make more clusters remotes of fewer primaries: each primary watches every other cluster');
  const flat = new Map<string, { clusters: number; ranges: number }>();
  for (const c of spec.clusters) {
    const f = flat.get(c.network ?? '') ?? { clusters: 0, ranges: 0 };
    flat.set(c.network ?? '', { clusters: f.clusters + 1, ranges: f.ranges + c.podCIDRs.length + c.serviceCIDRs.length });
  }
  let routes = 0;
  for (const f of flat.values()) routes += (f.clusters - 1) * f.ranges;
  if (routes > MESH_FILE_LIMITS.routes)
    emit('MF3051', '/spec/clusters', `the mesh needs ${routes} flat-network routes (every cluster of a flat network routes to the ranges of all the others); meshfed plans at most ${MESH_FILE_LIMITS.routes}`, 'split large flat networks into several networks joined by east-west gateways');
  return out;
}
