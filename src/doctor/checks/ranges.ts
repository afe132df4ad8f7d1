import { contains, overlaps, parseCidr } from '../../topology/index.js';
import { defineCheck, finding, type DoctorInput } from '../check.js';
import type { LiveCluster } from '../live.js';

/** One cluster's live ranges, parsed; unparsable entries are left out. */
function rangesOf(live: LiveCluster | undefined) {
  const cidrs = (xs: readonly { cidr: string; name?: string }[]) =>
    xs.flatMap((x) => {
      const c = parseCidr(x.cidr);
      return c ? [{ text: x.cidr, cidr: c, ...(x.name !== undefined ? { name: x.name } : {}) }] : [];
    });
  return { services: cidrs(live?.ranges?.services ?? []), pods: cidrs((live?.ranges?.pods ?? []).map((cidr) => ({ cidr }))), podIPs: live?.ranges?.podIPs ?? [] };
}

/**
 * Where the live ranges of two clusters of one network collide: ranges that overlap, a pod
 * IP of one inside a range of the other, or one pod IP in both. Pure.
 */
export interface RangeCollision {
  evidence: string;
  /** A ServiceCIDR of the first cluster that is not its default one (`kubernetes`): it can be deleted. */
  extraServiceCidr?: string;
}

export function rangeCollisions(a: LiveCluster | undefined, b: LiveCluster | undefined): RangeCollision[] {
  const x = rangesOf(a);
  const y = rangesOf(b);
  const out: RangeCollision[] = [];
  const ranges = (r: typeof x) => [...r.services.map((s) => ({ ...s, what: `service range${s.name ? ` (ServiceCIDR ${s.name})` : ''}` })), ...r.pods.map((p) => ({ ...p, what: 'pod range', name: undefined }))];
  for (const p of ranges(x))
    for (const q of ranges(y))
      if (p.cidr.family === q.cidr.family && overlaps(p.cidr, q.cidr))
        out.push({ evidence: `${p.what} ${p.text} overlaps ${b?.name}'s ${q.what} ${q.text}`, ...(p.name && p.name !== 'kubernetes' ? { extraServiceCidr: p.name } : {}) });
  const inside = (ips: readonly string[], r: typeof y, owner: string | undefined) => {
    for (const ip of ips)
      for (const q of ranges(r))
        if (contains(q.cidr, ip)) {
          out.push({ evidence: `pod IP ${ip} is inside ${owner}'s ${q.what} ${q.text}` });
          return;
        }
  };
  inside(x.podIPs, y, b?.name);
  const theirs = new Set(y.podIPs);
  const shared = x.podIPs.filter((ip) => theirs.has(ip));
  if (shared.length) out.push({ evidence: `pod IP(s) ${shared.slice(0, 3).join(', ')}${shared.length > 3 ? ` and ${shared.length - 3} more` : ''} also used in ${b?.name}` });
  return out;
}

const sameNetwork = (input: DoctorInput, cluster: string) => {
  const me = input.plan.clusters.find((c) => c.name === cluster)!;
  return input.plan.clusters.filter((c) => c.name !== cluster && c.network === me.network);
};

/** MF4070: on one network, the clusters' live pod and service ranges are disjoint (read from the clusters, not the file). */
export const liveRanges = defineCheck({
  code: 'MF4070',
  title: 'pod and service ranges disjoint on the network',
  run(input, c, live) {
    const peers = sameNetwork(input, c.name).filter((p) => input.live.get(p.name)?.ranges);
    if (peers.length === 0 || !live.ranges) return [];
    const out = peers.flatMap((p) =>
      rangeCollisions(live, input.live.get(p.name)).map((why) =>
        finding(this, c.name, 'error', why.evidence, {
          cause: `on one flat network every pod and service address must be unique: istiod sends callers to pod IPs that are addresses in both ${c.name} and ${p.name}`,
          fix: why.extraServiceCidr
            ? `kubectl --context ${c.context} delete servicecidr ${why.extraServiceCidr}`
            : `give ${c.name} or ${p.name} disjoint ranges (a cluster's ranges are fixed when it is made), or put them on different networks in the mesh file`,
        }),
      ),
    );
    if (out.length > 0) return out;
    const r = live.ranges;
    return [finding(this, c.name, 'ok', `services ${r.services.map((x) => x.cidr).join(', ') || '(not served)'}; pods ${r.pods.length ? r.pods.join(', ') : `${r.podIPs.length} pod IP(s)`}; none shared with ${peers.map((p) => p.name).join(', ')}`)];
  },
});
