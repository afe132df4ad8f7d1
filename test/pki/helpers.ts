import { spawnSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { expect } from 'vitest';
import { PkiError, type PkiErrorCode } from '../../src/pki/index.js';

export const DAY_MS = 86_400_000;

export interface OpensslResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export function openssl(...args: string[]): OpensslResult {
  const r = spawnSync('openssl', args, { encoding: 'utf8' });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Runs openssl and fails the test (showing stderr) unless it exits 0. */
export function opensslOk(...args: string[]): string {
  const r = openssl(...args);
  expect(r.status, `openssl ${args.join(' ')}\n${r.stderr}`).toBe(0);
  return r.stdout;
}

const created: string[] = [];

export async function tempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `meshfed-pki-${prefix}-`));
  created.push(dir);
  return dir;
}

/** For afterAll: the folders hold private keys, so do not leave them in /tmp. */
export async function removeTempDirs(): Promise<void> {
  await Promise.all(created.splice(0).map((d) => rm(d, { recursive: true, force: true })));
}

/** PEM certificate blocks in file order, independent of the code under test. */
export function pemCertificates(text: string): string[] {
  return text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n?/g) ?? [];
}

export async function mode(path: string): Promise<number> {
  return (await stat(path)).mode & 0o777;
}

/** Every file under dir with its bytes, keyed by relative path. */
export async function snapshot(dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const walk = async (d: string): Promise<void> => {
    for (const entry of await readdir(d, { withFileTypes: true })) {
      const p = join(d, entry.name);
      if (entry.isDirectory()) await walk(p);
      else out.set(relative(dir, p), (await readFile(p)).toString('base64'));
    }
  };
  await walk(dir);
  return out;
}

/** Awaits a rejection and checks it is a PkiError with the given code. */
export async function expectPkiError(promise: Promise<unknown>, code: PkiErrorCode): Promise<PkiError> {
  const error: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(PkiError);
  const pki = error as PkiError;
  expect(pki.code, pki.message).toBe(code);
  expect(pki.hint.length).toBeGreaterThan(0);
  return pki;
}

/** `O = Istio, CN = Root CA` from `openssl x509 -text`, as a sorted list of RDNs. */
export function dnParts(text: string, field: 'Subject' | 'Issuer'): string[] {
  const line = text.split('\n').find((l) => l.trim().startsWith(`${field}:`));
  expect(line, `${field} line in openssl output`).toBeDefined();
  return (line ?? '')
    .replace(/^\s*\w+:\s*/, '')
    .split(/,\s*/)
    .map((p) => p.trim())
    .sort();
}

/** The hex line printed under an extension heading, e.g. the key identifier. */
export function extensionValue(text: string, heading: string): string {
  const match = new RegExp(`${heading}:[^\\n]*\\n\\s*([^\\n]+)`).exec(text);
  expect(match, `${heading} in openssl output`).not.toBeNull();
  return (match?.[1] ?? '').trim();
}
