import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { main } from '../../src/cli/main.js';
import type { Io } from '../../src/cli/io.js';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const FIXTURES = join(REPO, 'test/render/fixtures');
export const GOLDEN_ROOT = join(REPO, 'test/golden/render');
// CI clones the repository next to shared/, as the sessions' checkout sits beside it.
export const SEED_000 = join(REPO, '..', 'shared', 'seeds', '000_a99d4b17e0ee9054.txt');

/** The four models of seed 000, in the order the seed describes them. */
export const SEED_MODELS = ['primary-remote', 'multi-primary', 'primary-remote-multi-network', 'multi-primary-multi-network'] as const;
export type SeedModel = (typeof SEED_MODELS)[number];

/** Every mesh file with golden files: name → mesh file. */
export const GOLDEN_EXAMPLES: Record<string, string> = {
  'primary-remote': join(REPO, 'examples/primary-remote/mesh.yaml'),
  'multi-primary': join(REPO, 'examples/multi-primary/mesh.yaml'),
  'primary-remote-multi-network': join(REPO, 'examples/primary-remote-multi-network/mesh.yaml'),
  'multi-primary-multi-network': join(REPO, 'examples/multi-primary-multi-network/mesh.yaml'),
  mix: join(REPO, 'examples/mix/mesh.yaml'),
  'global-services': join(REPO, 'examples/global-services/mesh.yaml'),
  'primary-remote-multi-network-helm': join(FIXTURES, 'primary-remote-multi-network-helm/mesh.yaml'),
  'primary-remote-multi-network-revision': join(FIXTURES, 'primary-remote-multi-network-revision/mesh.yaml'),
};

export type Obj = Record<string, unknown>;
export const isObj = (v: unknown): v is Obj => !!v && typeof v === 'object' && !Array.isArray(v);

export interface CapturedIo extends Io {
  stdout: string;
  stderr: string;
}

export function captureIo(): CapturedIo {
  const io: CapturedIo = {
    stdout: '',
    stderr: '',
    quiet: false,
    verbose: false,
    out: (t) => void (io.stdout += t),
    err: (t) => void (io.stderr += t),
  };
  return io;
}

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** `meshfed <args>` through the CLI's own entry point, with output captured. */
export async function meshfed(...args: string[]): Promise<CliRun> {
  const io = captureIo();
  const code = await main(args, io);
  return { code, stdout: io.stdout, stderr: io.stderr };
}

const made: string[] = [];

export async function tempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `meshfed-render-${prefix}-`));
  made.push(dir);
  return dir;
}

/** Removes the temp folders this test file made (call from afterAll). */
export async function removeTempDirs(): Promise<void> {
  await Promise.all(made.splice(0).map((d) => rm(d, { recursive: true, force: true })));
}

/** Renders a mesh file with the CLI into a new temp folder (or `out`) and fails loudly on a non-zero exit. */
export async function renderWithCli(meshFile: string, opts: { out?: string; args?: string[] } = {}): Promise<{ dir: string } & CliRun> {
  const dir = opts.out ?? (await tempDir('out'));
  const run = await meshfed('render', '-f', meshFile, '-o', dir, ...(opts.args ?? []));
  if (run.code !== 0) throw new Error(`meshfed render -f ${meshFile} exited ${run.code}\n${run.stderr}`);
  return { dir, ...run };
}

export interface TreeFile {
  content: string;
  mode: number;
}

/** Every file under dir, keyed by relative path with `/` separators, sorted. */
export async function readTree(dir: string): Promise<Map<string, TreeFile>> {
  const out = new Map<string, TreeFile>();
  const walk = async (d: string): Promise<void> => {
    const entries = (await readdir(d, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      const p = join(d, entry.name);
      if (entry.isDirectory()) await walk(p);
      else out.set(relative(dir, p).split('\\').join('/'), { content: await readFile(p, 'utf8'), mode: (await stat(p)).mode & 0o777 });
    }
  };
  await walk(dir);
  return out;
}

/** Parses every YAML document of a text (skipping empty ones); a syntax error throws. */
export function parseYamlDocs(text: string, what = 'YAML'): unknown[] {
  const docs = parseAllDocuments(text);
  const list = Array.isArray(docs) ? docs : [docs];
  const out: unknown[] = [];
  for (const d of list) {
    if (d.errors.length) throw new Error(`${what}: ${d.errors.map((e) => e.message).join('; ')}`);
    const v: unknown = d.toJS({ maxAliasCount: -1 });
    if (v !== null && v !== undefined) out.push(v);
  }
  return out;
}

export function parseYamlDoc(text: string, what = 'YAML'): Obj {
  const docs = parseYamlDocs(text, what);
  if (docs.length !== 1 || !isObj(docs[0])) throw new Error(`${what}: expected exactly one YAML mapping, found ${docs.length} documents`);
  return docs[0];
}

/** Value at a dotted path (`spec.values.global.meshID`); array indexes are numbers. */
export function getPath(obj: unknown, path: (string | number)[]): unknown {
  let cur: unknown = obj;
  for (const k of path) {
    if (Array.isArray(cur) && typeof k === 'number') cur = cur[k];
    else if (isObj(cur) && typeof k === 'string') cur = cur[k];
    else return undefined;
  }
  return cur;
}

/** Every scalar leaf of a parsed YAML value as [path, value]; arrays are leaves (compared whole). */
export function leaves(obj: unknown, prefix: string[] = []): [string[], unknown][] {
  if (!isObj(obj)) return [[prefix, obj]];
  return Object.entries(obj).flatMap(([k, v]) => leaves(v, [...prefix, k]));
}

/** Deletes the value at path and returns it (or undefined when absent). */
export function takePath(obj: unknown, path: (string | number)[]): unknown {
  const parent = getPath(obj, path.slice(0, -1));
  const last = path[path.length - 1]!;
  if (Array.isArray(parent) && typeof last === 'number') return parent.splice(last, 1)[0];
  if (isObj(parent) && typeof last === 'string') {
    const v = parent[last];
    delete parent[last];
    return v;
  }
  return undefined;
}

/** A `VAR=${VAR:-default}` default from scripts/build-lab.sh: the one place versions are pinned. */
export function labBuildDefault(name: string): string {
  const text = readFileSync(join(REPO, 'scripts/build-lab.sh'), 'utf8');
  const m = new RegExp(`^${name}=\\$\\{${name}:-([^}]+)\\}`, 'm').exec(text);
  if (!m?.[1]) throw new Error(`scripts/build-lab.sh has no ${name}=\${${name}:-…} line`);
  return m[1];
}

const BUILD_HINT = 'run `bash scripts/build-lab.sh istio` (it downloads the Istio module into the Go module cache and builds istioctl)';

function goModCache(): string {
  if (process.env['GOMODCACHE']) return process.env['GOMODCACHE'];
  const r = spawnSync('go', ['env', 'GOMODCACHE'], { encoding: 'utf8' });
  if (r.status === 0 && r.stdout.trim()) return r.stdout.trim();
  return join(process.env['GOPATH'] ?? join(homedir(), 'go'), 'pkg/mod');
}

/** Istio's sources at the pinned commit, read from the Go module cache (never copied into the repo). */
export function istioModuleDir(): string {
  const version = labBuildDefault('ISTIO_MODULE_VERSION');
  const dir = join(goModCache(), `istio.io/istio@${version}`);
  if (!existsSync(join(dir, 'samples/multicluster/gen-eastwest-gateway.sh')))
    throw new Error(`Istio's module istio.io/istio@${version} is not in the Go module cache (${dir}); ${BUILD_HINT}`);
  return dir;
}

/** The istioctl the lab build made from the pinned Istio commit. */
export function istioctlPath(): string {
  const cache = process.env['MESHFED_CACHE'] ?? join(homedir(), '.cache/meshfed');
  const path = join(cache, `istio-${labBuildDefault('ISTIO_VERSION')}`, 'bin/istioctl');
  if (!existsSync(path)) throw new Error(`istioctl is not built (${path} is missing); ${BUILD_HINT}`);
  return path;
}

/** A readable line diff (expected golden → actual render) for failure messages. */
export function lineDiff(expected: string, actual: string, context = 3): string {
  const a = expected.split('\n');
  const b = actual.split('\n');
  // Longest common subsequence on lines; files are small enough for the O(n·m) table.
  const n = a.length;
  const m = b.length;
  const lcs: number[][] = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--) for (let j = m - 1; j >= 0; j--) lcs[i]![j] = a[i] === b[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
  const ops: { tag: ' ' | '-' | '+'; text: string; line: number }[] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] === b[j]) ops.push({ tag: ' ', text: a[i++]!, line: j++ + 1 });
    else if (i < n && (j >= m || lcs[i + 1]![j]! >= lcs[i]![j + 1]!)) ops.push({ tag: '-', text: a[i++]!, line: j + 1 });
    else ops.push({ tag: '+', text: b[j]!, line: ++j });
  }
  const show = new Set<number>();
  ops.forEach((op, k) => {
    if (op.tag !== ' ') for (let d = -context; d <= context; d++) show.add(k + d);
  });
  const out: string[] = [];
  let last = -2;
  ops.forEach((op, k) => {
    if (!show.has(k)) return;
    if (k !== last + 1) out.push(`@@ near line ${op.line} of the render @@`);
    out.push(`${op.tag} ${op.text}`);
    last = k;
  });
  return out.join('\n');
}
