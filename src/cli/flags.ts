import { InvalidArgumentError, Option } from 'commander';
import { PHASES } from '../plan/index.js';

/**
 * Every typed flag of every command, parsed and checked once while commander reads the
 * command line: a bad value is a usage error (exit 64) whose message names the flag, before
 * any work starts. Defaults are typed values, not strings (commander does not parse them).
 */

/** A whole number of at least `min` (`--concurrency`: 0 would run nothing). */
export function wholeNumber(min: number, max = Number.MAX_SAFE_INTEGER): (value: string) => number {
  return (value) => {
    const n = /^\s*\d+\s*$/.test(value) ? Number(value) : NaN;
    if (!Number.isSafeInteger(n) || n < min || n > max) throw new InvalidArgumentError(`expected a whole number from ${min}${max === Number.MAX_SAFE_INTEGER ? ' up' : ` to ${max}`}.`);
    return n;
  };
}

/** A positive number of seconds (fractions allowed), as milliseconds are what waits take. */
export function positiveSeconds(value: string): number {
  const n = /^\s*(\d+(\.\d*)?|\.\d+)\s*$/.test(value) ? Number(value) : NaN;
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected a positive number of seconds.');
  return n;
}

export const DEFAULT_CONCURRENCY = 6;
export const DEFAULT_APPLY_TIMEOUT_S = 180;
export const DEFAULT_DISCOVER_TIMEOUT_S = 30;
export const DEFAULT_DOCTOR_TIMEOUT_S = 10;
/** How long verify's workloads and clients may take to be ready. */
export const DEFAULT_VERIFY_TIMEOUT_S = 180;
/** verify's uncounted warm-up: new endpoints reach every istiod and client within seconds on a healthy mesh. */
export const DEFAULT_VERIFY_SETTLE_S = 45;
export const DEFAULT_PORT = 8080;

export const fileOption = (fallback = 'mesh.yaml') => new Option('-f, --file <mesh.yaml>', 'the mesh file').default(fallback);

export type OutputFormat = 'text' | 'json' | 'yaml';
export const outputOption = (choices: readonly OutputFormat[] = ['text', 'json', 'yaml']) =>
  new Option('-o, --output <format>', 'output format').choices(choices).default('text');

export const concurrencyOption = () =>
  new Option('--concurrency <n>', 'most steps running at once (at least 1)').argParser(wholeNumber(1)).default(DEFAULT_CONCURRENCY);

export const timeoutOption = (description: string, seconds: number) =>
  new Option('--timeout <seconds>', description).argParser(positiveSeconds).default(seconds);

export const portOption = (fallback = DEFAULT_PORT) => new Option('--port <n>', 'port (0 picks a free one)').argParser(wholeNumber(0, 65535)).default(fallback);
export const DEFAULT_DNS_PORT = 5353;

export type MemberSource = 'mesh' | 'secrets';
export const fromOption = () =>
  new Option('--from <source>', "member clusters: the mesh file's contexts, or the remote secrets of its first primary").choices(['mesh', 'secrets'] as const).default('mesh');

/** `apply --until <phase>`: install (new revision or in-place upgrade), move (tags, namespaces, restarts), remove-old. */
export const untilOption = () => new Option('--until <phase>', 'stop after this phase of an upgrade; a later apply continues').choices(PHASES);
