import type { Answer, DecodedPacket, Packet } from 'dns-packet';
import { CLUSTERSET_DOMAIN, DNS_TTL_SECONDS, type Zone } from './zone.js';

/** Header flag bits and response codes (RFC 1035 4.1.1, as dns-packet takes them in `flags`). */
export const FLAG = { authoritative: 1 << 10, truncated: 1 << 9, recursionDesired: 1 << 8 } as const;
export const RCODE = { noError: 0, formErr: 1, servFail: 2, nxDomain: 3, notImp: 4, refused: 5 } as const;

const inZone = (name: string) => name === CLUSTERSET_DOMAIN || name.endsWith(`.${CLUSTERSET_DOMAIN}`);

/** The SOA that negative answers carry, so resolvers cache a missing name only as long as a record. */
function soa(): Answer {
  return {
    type: 'SOA',
    name: CLUSTERSET_DOMAIN,
    ttl: DNS_TTL_SECONDS,
    data: { mname: `ns.dns.${CLUSTERSET_DOMAIN}`, rname: `hostmaster.${CLUSTERSET_DOMAIN}`, serial: 1, refresh: 7200, retry: 1800, expire: 86400, minimum: DNS_TTL_SECONDS },
  };
}

/**
 * The response to one query: authoritative for clusterset.local (A, SRV; any other type of a
 * name that exists is an empty NOERROR answer), NXDOMAIN for a name the zone lacks, REFUSED
 * outside the zone (this is not a recursive resolver).
 */
export function answerQuery(query: DecodedPacket, zone: Zone): Packet {
  const base = { type: 'response' as const, id: query.id ?? 0, questions: query.questions ?? [] };
  const rd = query.flag_rd ? FLAG.recursionDesired : 0;
  const q = query.questions?.[0];
  if (!q || (query.questions?.length ?? 0) !== 1) return { ...base, flags: rd | RCODE.formErr };
  const name = q.name.toLowerCase().replace(/\.$/, '');
  if (!inZone(name)) return { ...base, flags: rd | RCODE.refused };
  const entry = zone.get(name);
  const authoritative = FLAG.authoritative | rd;
  if (!entry) return { ...base, flags: authoritative | RCODE.nxDomain, authorities: [soa()] };
  const answers: Answer[] = [];
  if (q.type === 'A' || (q.type as string) === 'ANY') for (const ip of entry.a) answers.push({ type: 'A', name: q.name, ttl: DNS_TTL_SECONDS, data: ip });
  if (q.type === 'SRV' || (q.type as string) === 'ANY') for (const s of entry.srv) answers.push({ type: 'SRV', name: q.name, ttl: DNS_TTL_SECONDS, data: { ...s } });
  // SRV targets' addresses, as kube-dns adds them, so a client needs no second query.
  const additionals: Answer[] = [];
  if (q.type === 'SRV')
    for (const s of entry.srv) for (const ip of zone.get(s.target)?.a ?? []) additionals.push({ type: 'A', name: s.target, ttl: DNS_TTL_SECONDS, data: ip });
  return { ...base, flags: authoritative | RCODE.noError, answers, ...(additionals.length ? { additionals } : {}), ...(answers.length ? {} : { authorities: [soa()] }) };
}
