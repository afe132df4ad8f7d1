import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import { networkInterfaces } from 'node:os';
import type { ApiError } from './errors.js';

/** What a request must satisfy before any route sees it. */
export interface Guard {
  /** `host:port` values (lower case) the Host header may carry. */
  allowedHosts: ReadonlySet<string>;
  /** When set, every request needs `Authorization: Bearer <token>`. */
  token?: string;
}

export type Refusal = { status: number; error: ApiError; headers?: Record<string, string> };

export const isLoopback = (host: string): boolean => host === 'localhost' || host === '::1' || (isIP(host) === 4 && host.startsWith('127.'));
const isWildcard = (host: string) => host === '0.0.0.0' || host === '::' || host === '';

/** How a Host header names `address` (IPv6 in brackets). */
const hostOf = (address: string, port: number) => `${isIP(address) === 6 ? `[${address}]` : address}:${port}`.toLowerCase();

/**
 * The Host values a browser sends for the bound address: a page of another origin that made
 * its name resolve to this address (DNS rebinding) sends its own name, and is refused. A
 * wildcard bind accepts this machine's interface addresses; `names` adds DNS names.
 */
export function allowedHosts(bound: string, port: number, names: readonly string[] = []): Set<string> {
  const addresses = isWildcard(bound) ? Object.values(networkInterfaces()).flatMap((l) => (l ?? []).map((i) => i.address)) : [bound];
  const out = new Set(addresses.map((a) => hostOf(a, port)));
  if (isLoopback(bound) || isWildcard(bound)) out.add(`localhost:${port}`);
  for (const n of names) out.add(hostOf(n, port));
  // A browser leaves out the default port.
  if (port === 80) for (const h of [...out]) out.add(h.replace(/:80$/, ''));
  return out;
}

const digest = (s: string) => createHash('sha256').update(s).digest();

/** The first reason to refuse `req`, or undefined. Host first: a rebinding page learns nothing else. */
export function refusal(req: IncomingMessage, guard: Guard): Refusal | undefined {
  const host = (req.headers.host ?? '').toLowerCase();
  if (!guard.allowedHosts.has(host)) {
    return { status: 421, error: { code: 'MF9506', message: `Host ${host === '' ? '(none)' : JSON.stringify(host.slice(0, 100))} is not the address this API serves on`, hint: `use one of: ${[...guard.allowedHosts].slice(0, 8).join(', ')}; serve --allow-host adds a DNS name` } };
  }
  if (guard.token !== undefined) {
    const given = /^Bearer (.+)$/i.exec(req.headers.authorization ?? '')?.[1] ?? '';
    // Compared as digests: equal length, constant time, and the token's length is not leaked.
    if (!timingSafeEqual(digest(given), digest(guard.token))) {
      return { status: 401, error: { code: 'MF9508', message: 'this API needs a bearer token', hint: 'send Authorization: Bearer <the token serve was started with>' }, headers: { 'www-authenticate': 'Bearer' } };
    }
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    return { status: 405, error: { code: 'MF9504', message: `${String(req.method).slice(0, 20)}: the API is read-only`, hint: 'use GET' }, headers: { allow: 'GET, HEAD' } };
  }
  const length = Number(req.headers['content-length'] ?? '0');
  if (req.headers['transfer-encoding'] !== undefined || !(length === 0)) {
    return { status: 413, error: { code: 'MF9507', message: 'the API takes no request body', hint: 'send GET without a body' }, headers: { connection: 'close' } };
  }
  return undefined;
}

/** The path and query of an origin-form target, with the path's %-escapes checked; undefined when malformed. */
export function parseTarget(target: string | undefined): { path: string; query: URLSearchParams } | undefined {
  // Origin form only (`/path?query`): an absolute or authority form is not for this server.
  if (target === undefined || !target.startsWith('/') || target.startsWith('//')) return undefined;
  let url: URL;
  try {
    url = new URL(target, 'http://api.invalid');
  } catch {
    return undefined;
  }
  return { path: url.pathname, query: url.searchParams };
}

/** decodeURIComponent that answers undefined instead of throwing on a bad escape (`%`, `%C0`). */
export function decodeSegment(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}
