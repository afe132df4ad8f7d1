import { contains, isLoopbackHost, overlaps, parseAddress, parseCidr, type Cidr } from './cidr.js';
import type { SourceDocument } from './source.js';
import type { Diagnostic, MeshFile, Severity } from './types.js';

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const TRUST_DOMAIN = /^[A-Za-z0-9]([-A-Za-z0-9.]*[A-Za-z0-9])?$/;
const VERSION = /^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/;

export function isDnsLabel(s: string): boolean {
  return s.length <= 63 && DNS_LABEL.test(s);
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
  spec.clusters.forEach((c, i) => {
    if (c.controlPlane === 'self') return;
    const at = `/spec/clusters/${i}/controlPlane`;
    if (c.controlPlane === c.name) {
      emit('MF3006', at, `cluster "${c.name}" names itself as its control plane`, 'write `controlPlane: self` for a primary');
      return;
    }
    const j = byName.get(c.controlPlane);
    if (j === undefined) {
      const names = [...byName.keys()].filter((n) => spec.clusters[byName.get(n)!]!.controlPlane === 'self');
      emit('MF3003', at, `remote "${c.name}" names control plane "${c.controlPlane}", which is not a cluster of this mesh`, names.length ? `use one of the primaries: ${names.join(', ')}` : 'add the primary cluster to spec.clusters');
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
        if (!cidr) emit('MF3011', pointer, `"${text}" is not a valid CIDR`, 'write an address range such as 10.10.0.0/16');
        else list.push({ cidr, pointer, kind: kind === 'podCIDRs' ? 'pod' : 'service' });
      });
    }
    ranges.set(i, list);
    let pool: Cidr | undefined;
    if (c.loadBalancerPool !== undefined) {
      pool = parseCidr(c.loadBalancerPool);
      if (!pool) emit('MF3011', `/spec/clusters/${i}/loadBalancerPool`, `"${c.loadBalancerPool}" is not a valid CIDR`, 'write an address range such as 172.18.11.0/24');
    }
    if (c.eastWestGatewayAddress !== undefined) {
      const pointer = `/spec/clusters/${i}/eastWestGatewayAddress`;
      if (!parseAddress(c.eastWestGatewayAddress))
        emit('MF3041', pointer, `"${c.eastWestGatewayAddress}" is not an IP address`, 'write the IP address the east-west gateway is reached at');
      else if (pool && !contains(pool, c.eastWestGatewayAddress))
        emit('MF3041', pointer, `east-west gateway address ${c.eastWestGatewayAddress} is outside the pool ${c.loadBalancerPool}`, 'pick an address inside loadBalancerPool, or remove one of the two');
    }
    if (c.nodeAddress !== undefined && !parseAddress(c.nodeAddress))
      emit('MF3011', `/spec/clusters/${i}/nodeAddress`, `"${c.nodeAddress}" is not an IP address`, 'write the node IP other clusters route through');
  });
  // Flat networks route pod to pod: ranges of clusters sharing a network must be disjoint.
  spec.clusters.forEach((a, i) => {
    spec.clusters.forEach((b, j) => {
      if (j <= i || (a.network ?? '') !== (b.network ?? '')) return;
      for (const ra of ranges.get(i) ?? [])
        for (const rb of ranges.get(j) ?? [])
          if (overlaps(ra.cidr, rb.cidr))
            emit('MF3010', rb.pointer, `${rb.kind} range ${rb.cidr.text} of "${b.name}" overlaps ${ra.kind} range ${ra.cidr.text} of "${a.name}" on network "${a.network ?? '(default)'}"`, 'clusters of one flat network need disjoint pod and service ranges: change one range, or put the clusters on different networks');
    });
  });

  // Flat networks with several clusters need node routes between them (seed 000's `ip route add`).
  if (!lab) {
    spec.clusters.forEach((c, i) => {
      const peers = spec.clusters.filter((o) => o.name !== c.name && (o.network ?? '') === (c.network ?? ''));
      if (peers.length > 0 && c.nodeAddress === undefined)
        emit('MF3024', `/spec/clusters/${i}`, `cluster "${c.name}" shares flat network "${c.network ?? '(default)'}" with ${peers.map((p) => p.name).join(', ')} but has no nodeAddress`, `set nodeAddress to a node IP of "${c.name}" so the rendered routes.sh can route its pod and service ranges (skip if your network already routes them)`, 'warning');
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
      emit('MF3022', pointer, `"${c.apiServer}" is not a URL`, 'write https://<address>:<port>, e.g. https://172.18.0.2:6443');
      return;
    }
    if (url.protocol === 'http:') {
      emit('MF3021', pointer, `API server "${c.apiServer}" uses plain http`, 'remote secrets need the TLS endpoint: write https://…:6443');
      return;
    }
    if (url.protocol !== 'https:') {
      emit('MF3022', pointer, `API server "${c.apiServer}" is not an https URL`, 'write https://<address>:<port>');
      return;
    }
    if (isLoopbackHost(url.hostname) && !lab)
      emit('MF3020', pointer, `API server "${c.apiServer}" is on loopback: the other control planes cannot reach it`, "use the address other clusters reach (kind: the control-plane container's IP, e.g. https://172.18.0.2:6443); only a lab mesh (spec.lab) may use loopback");
  });
  return out;
}
