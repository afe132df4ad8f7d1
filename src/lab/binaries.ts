import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { LAB_ERROR_CODES, LabError, quoteLogTail } from './errors.js';
import { LAB_VERSIONS, buildScriptEnv, type LabVersions } from './versions.js';

export type LabBinaryPart = 'etcd' | 'kwok' | 'kube' | 'istio' | 'helm';

export interface LabBinaries {
  cacheDir: string;
  versions: LabVersions;
  etcd: string;
  kubeApiserver: string;
  kubeControllerManager: string;
  kubeScheduler: string;
  kubectl: string;
  kwok: string;
  /** kwok's stage files (node and pod lifecycles), passed to it with --config. */
  kwokStages: string[];
  /** kwok's CRDs for the objects the lab uses (Exec, Logs), from its module's kustomize/crd/bases. */
  kwokCrds: string[];
  istioctl: string;
  pilotDiscovery: string;
  /** Istio's agent; the lab runs it in grpc-agent mode (proxyless gRPC, no Envoy). */
  pilotAgent: string;
  /** Istio's test echo app (pkg/test/echo/cmd/server and .../client) of the same commit. */
  echoServer: string;
  echoClient: string;
  /** Istio's Helm charts of the built commit: base/, istiod/, gateway/. */
  istioCharts: string;
  helm: string;
}

/** `${MESHFED_CACHE:-$HOME/.cache/meshfed}`, as scripts/build-lab.sh computes it. */
export function labCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return env['MESHFED_CACHE'] || join(homedir(), '.cache', 'meshfed');
}

const KWOK_CRDS = ['kwok.x-k8s.io_execs.yaml', 'kwok.x-k8s.io_logs.yaml'];
const KWOK_STAGES = ['node-initialize.yaml', 'node-heartbeat-with-lease.yaml', 'pod-ready.yaml', 'pod-complete.yaml', 'pod-delete.yaml'];

/** Where each binary lives in the cache; pure. */
export function labBinaryPaths(cacheDir: string = labCacheDir(), versions: LabVersions = LAB_VERSIONS): LabBinaries {
  const kube = join(cacheDir, `kubernetes-${versions.kubernetes}`, 'bin');
  const istio = join(cacheDir, `istio-${versions.istio}`, 'bin');
  const kwokDir = join(cacheDir, `kwok-${versions.kwok}`);
  return {
    cacheDir,
    versions,
    etcd: join(cacheDir, `etcd-${versions.etcd}`, 'bin', 'etcd'),
    kubeApiserver: join(kube, 'kube-apiserver'),
    kubeControllerManager: join(kube, 'kube-controller-manager'),
    kubeScheduler: join(kube, 'kube-scheduler'),
    kubectl: join(kube, 'kubectl'),
    kwok: join(kwokDir, 'bin', 'kwok'),
    kwokStages: KWOK_STAGES.map((s) => join(kwokDir, 'stages', s)),
    kwokCrds: KWOK_CRDS.map((s) => join(kwokDir, 'crds', s)),
    istioctl: join(istio, 'istioctl'),
    pilotDiscovery: join(istio, 'pilot-discovery'),
    pilotAgent: join(istio, 'pilot-agent'),
    echoServer: join(istio, 'echo-server'),
    echoClient: join(istio, 'echo-client'),
    istioCharts: join(cacheDir, `istio-${versions.istio}`, 'charts'),
    helm: join(cacheDir, `helm-${versions.helm}`, 'bin', 'helm'),
  };
}

function filesOf(b: LabBinaries, part: LabBinaryPart): string[] {
  switch (part) {
    case 'etcd':
      return [b.etcd];
    case 'kwok':
      return [b.kwok, ...b.kwokStages, ...b.kwokCrds];
    case 'kube':
      return [b.kubeApiserver, b.kubeControllerManager, b.kubeScheduler, b.kubectl];
    case 'istio':
      return [b.istioctl, b.pilotDiscovery, b.pilotAgent, b.echoServer, b.echoClient, ...['base', 'istiod', 'gateway'].map((c) => join(b.istioCharts, c, 'Chart.yaml'))];
    case 'helm':
      return [b.helm];
  }
}

/** Every program the lab may have started, for finding its processes by command line. */
export function labProgramPaths(b: LabBinaries): string[] {
  return [b.etcd, b.kubeApiserver, b.kubeControllerManager, b.kubeScheduler, b.kwok, process.execPath];
}

export function missingParts(b: LabBinaries, parts: LabBinaryPart[]): LabBinaryPart[] {
  return parts.filter((p) => filesOf(b, p).some((f) => !existsSync(f)));
}

/** scripts/build-lab.sh, found from this module in src/lab or dist/lab alike. */
export function buildScriptPath(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'scripts', 'build-lab.sh');
}

const ALL_PARTS: LabBinaryPart[] = ['etcd', 'kwok', 'kube', 'istio', 'helm'];

export interface EnsureOptions {
  onProgress?(line: string): void;
  /** Defaults to every part; `lab up` asks only for what it runs. */
  parts?: LabBinaryPart[];
  env?: NodeJS.ProcessEnv;
}

async function runBuild(part: LabBinaryPart, opts: EnsureOptions): Promise<void> {
  const script = buildScriptPath();
  if (!existsSync(script)) {
    throw new LabError({ code: LAB_ERROR_CODES.buildFailed, message: `the lab build script is missing (${script})`, hint: 'reinstall meshfed, or build from a checkout of its repository' });
  }
  const env = { ...(opts.env ?? process.env), ...buildScriptEnv() };
  const tail: string[] = [];
  const child = spawn('bash', [script, part], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const onLine = (line: string) => {
    tail.push(line);
    if (tail.length > 40) tail.shift();
    opts.onProgress?.(line);
  };
  createInterface({ input: child.stdout }).on('line', onLine);
  createInterface({ input: child.stderr }).on('line', onLine);
  const code = await new Promise<number>((res) => {
    child.on('error', () => res(127));
    child.on('close', (c) => res(c ?? 1));
  });
  if (code === 0) return;
  const text = tail.join('\n');
  if (/no Go toolchain/.test(text)) {
    throw new LabError({ code: LAB_ERROR_CODES.noGoToolchain, message: 'building the lab needs Go, and there is none on PATH', hint: 'install Go >= 1.25 (https://go.dev/dl) and reach the Go module proxy, then run `meshfed lab up` again' });
  }
  throw new LabError({ code: LAB_ERROR_CODES.buildFailed, message: `building the lab's ${part} binaries failed (exit ${code}):\n${quoteLogTail(text, 12)}`, hint: 'fix the cause above (often the module proxy or disk space) and run again; finished parts stay cached' });
}

/**
 * Makes sure the lab's binaries exist, building what is missing with scripts/build-lab.sh
 * (streaming its lines to onProgress). Returns at once when everything is cached.
 */
export async function ensureLabBinaries(opts: EnsureOptions = {}): Promise<LabBinaries> {
  const binaries = labBinaryPaths(labCacheDir(opts.env));
  for (const part of missingParts(binaries, opts.parts ?? ALL_PARTS)) {
    opts.onProgress?.(`[lab build] building ${part} (cached afterwards in ${binaries.cacheDir})`);
    await runBuild(part, opts);
  }
  const still = missingParts(binaries, opts.parts ?? ALL_PARTS);
  if (still.length > 0) {
    throw new LabError({ code: LAB_ERROR_CODES.binaryMissing, message: `the lab build finished but ${still.join(', ')} binaries are missing in ${binaries.cacheDir}`, hint: 'run scripts/build-lab.sh by hand and read its output' });
  }
  return binaries;
}
