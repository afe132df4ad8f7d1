export { buildZone, DNS_TTL_SECONDS, type Zone, type ZoneEntry, type ZoneOptions, type SrvRecord } from './zone.js';
export { answerQuery, FLAG, RCODE } from './answer.js';
export { startDnsServer, type DnsServer, type DnsServerOptions } from './server.js';
export { liveZone, type LiveZone } from './live.js';
