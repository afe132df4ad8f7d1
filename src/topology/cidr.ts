import ipaddr from 'ipaddr.js';

export interface Cidr {
  text: string;
  family: 'ipv4' | 'ipv6';
  /** First and last address as big integers, for overlap checks across both families. */
  first: bigint;
  last: bigint;
}

function toBig(bytes: number[]): bigint {
  return bytes.reduce((acc, b) => (acc << 8n) | BigInt(b), 0n);
}

/**
 * Only the canonical spellings: IPv4 as a dotted quad of decimals without leading zeros, IPv6
 * without a zone. ipaddr.js (like inet_aton) also reads `010.010.0.0` as octal 8.8.0.0 and
 * `2130706433` as 127.0.0.1, which a reader of the file, and `ip route`, would read otherwise.
 */
function isCanonicalAddress(text: string): boolean {
  return text.includes(':') ? ipaddr.IPv6.isValid(text) && !text.includes('%') : ipaddr.IPv4.isValidFourPartDecimal(text);
}

export function parseCidr(text: string): Cidr | undefined {
  const slash = text.indexOf('/');
  if (slash === -1 || !isCanonicalAddress(text.slice(0, slash)) || !/^(0|[1-9][0-9]{0,2})$/.test(text.slice(slash + 1))) return undefined;
  try {
    const [addr, bits] = ipaddr.parseCIDR(text);
    const bytes = addr.toByteArray();
    const width = bytes.length * 8;
    const base = toBig(bytes);
    const hostBits = BigInt(width - bits);
    const mask = (1n << hostBits) - 1n;
    const first = base & ~mask;
    return { text, family: addr.kind(), first, last: first | mask };
  } catch {
    return undefined;
  }
}

export function overlaps(a: Cidr, b: Cidr): boolean {
  return a.family === b.family && a.first <= b.last && b.first <= a.last;
}

export function parseAddress(text: string): { family: 'ipv4' | 'ipv6'; value: bigint } | undefined {
  if (!isCanonicalAddress(text)) return undefined;
  const a = ipaddr.parse(text);
  return { family: a.kind(), value: toBig(a.toByteArray()) };
}

export function contains(c: Cidr, address: string): boolean {
  const a = parseAddress(address);
  return !!a && a.family === c.family && a.value >= c.first && a.value <= c.last;
}

function fromBig(value: bigint, family: 'ipv4' | 'ipv6'): string {
  const n = family === 'ipv4' ? 4 : 16;
  const bytes: number[] = [];
  for (let i = n - 1; i >= 0; i--) bytes.push(Number((value >> BigInt(i * 8)) & 0xffn));
  return ipaddr.fromByteArray(bytes).toString();
}

/** The n-th address of a range (0 = the range's first address). */
export function nthAddress(c: Cidr, n: number): string | undefined {
  const v = c.first + BigInt(n);
  return v > c.last ? undefined : fromBig(v, c.family);
}

/**
 * First usable host of a pool: skips the network address when the range is wide enough to
 * have one (seed 000's MetalLB gave its first gateway 172.18.11.1 from 172.18.11.0/24).
 */
export function firstHost(c: Cidr): string | undefined {
  return c.last - c.first >= 2n ? nthAddress(c, 1) : nthAddress(c, 0);
}

export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  if (!ipaddr.isValid(h)) return false;
  const a = ipaddr.process(h);
  // 0.0.0.0 / :: name no host: a client dialling them reaches only itself.
  return a.range() === 'loopback' || a.range() === 'unspecified';
}
