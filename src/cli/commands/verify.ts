import { InvalidArgumentError } from 'commander';
import { clientsFor } from '../../apply/index.js';
import { CHECKS, judgeMesh, readMesh, readMeshTrustView, type Finding } from '../../doctor/index.js';
import { planMesh } from '../../plan/index.js';
import { defaultRequests, parsePlacement, runVerify, SAMPLE_NAMESPACE, TLS_ERROR, type HelloworldVersion, type MtlsObservation, type SourceVerdict, type VerifyReport } from '../../verify/index.js';
import { resolveKubeconfig } from '../environment.js';
import { CommandExit, EXIT } from '../exit.js';
import type { Io } from '../io.js';
import { loadMesh } from '../mesh.js';

export interface VerifyFlags {
  file: string;
  output: string;
  namespace: string;
  requests?: number;
  place?: string;
  keep: boolean;
  timeout: number;
  /** Seconds of uncounted warm-up at most (`--settle`). */
  settle: number;
  kubeconfig?: string;
}

/** A cause of a failed verify: a doctor finding (its check's code), or what the responses said. */
export interface VerifyCause {
  code: string;
  check: string;
  cluster: string;
  cause: string;
  /** What doctor saw, where the cause is a doctor finding. */
  evidence?: string;
  fix?: string;
}

/** Seed 000's table: per source, who answered (cluster, version, pod, count), the verdict. */
export function formatVerify(r: VerifyReport, causes: VerifyCause[]): string {
  const lines = [`verify ${r.mesh}: ${r.requests} requests from the sleep client of each cluster to helloworld.${r.namespace}:5000 (${r.client})`];
  lines.push(`  placement: ${r.placement.map((p) => `${p.cluster}=${p.version ?? '-'}`).join(', ')}`);
  for (const u of r.unreachable) lines.push(`✗ ${u.cluster}: unreachable: ${u.reason}`);
  for (const s of r.verdict.sources) {
    lines.push(`${s.pass ? '✓' : '✗'} from ${s.source}: ${Object.values(s.byCluster).reduce((a, b) => a + b, 0)} of ${s.requests} answered`);
    for (const [pod, n] of Object.entries(s.byPod).sort()) lines.push(`    ${pod}  ${n}`);
    for (const [cluster, n] of Object.entries(s.byCluster).sort()) lines.push(`    cluster ${cluster}: ${n}`);
    for (const [version, n] of Object.entries(s.byVersion).sort()) lines.push(`    version ${version}: ${n}`);
    for (const [e, n] of Object.entries(s.errors)) lines.push(`    failed ${n}×: ${e}`);
    for (const [e, n] of Object.entries(s.connectionErrors)) lines.push(`    connection failed ${n}× to ${e}`);
    if (s.missingClusters.length) lines.push(`    never answered: ${s.missingClusters.join(', ')}`);
    for (const n of s.networks) lines.push(`    network ${n.network}: ${networkLine(r, n)}`);
    if (s.tooFewRequests) lines.push('    too few requests to reach every cluster: raise --requests');
  }
  lines.push(...mtlsLines(r.mtls));
  if (causes.length) {
    lines.push('', 'Why (each names the doctor check that covers it):');
    for (const c of causes) lines.push(`  [${c.code}] ${c.cluster}: ${c.check}: ${c.cause}${c.fix ? `\n      fix: ${c.fix}` : ''}`);
  }
  const unverifiable = r.verdict.sources.some((s) => s.networks.some((n) => n.verdict === 'not-verifiable'));
  const mtls = r.mtls.observed && r.mtls.enforced ? ' Calls were mTLS.' : '';
  const passLine = unverifiable
    ? `Verify: pass within each network; every client was given the other networks' gateway addresses; the data path between networks is not verifiable here (no gateway data path without Envoy).${mtls}`
    : `Verify: pass — traffic crosses clusters as the mesh says.${mtls}`;
  lines.push('', r.unreachable.length ? `Verify: a cluster is unreachable (${r.unreachable.map((u) => u.cluster).join(', ')})` : r.verdict.pass ? passLine : 'Verify: FAIL');
  return lines.join('\n') + '\n';
}

function networkLine(r: VerifyReport, n: SourceVerdict['networks'][number]): string {
  if (n.verdict === 'not-verifiable') return `its client was given ${n.gateway} (the network's east-west gateway) for its endpoints; the data path through the gateway is not verifiable here (it needs Envoy, which the lab does not have)`;
  if (n.verdict === 'missed' && r.client !== 'curl') return "missed: its client was not given the network's gateway address (istiod's split horizon did not reach it)";
  return n.verdict;
}

/** What was seen of mTLS, and what was not. */
function mtlsLines(m: MtlsObservation): string[] {
  if (!m.observed) return [`  mTLS: not observed (${m.reason})`];
  const lines = m.enforced
    ? ['  mTLS: every HelloWorld pod refused a plaintext call (PeerAuthentication STRICT, DestinationRule ISTIO_MUTUAL in the namespace), so every answered call was mutual TLS; the peer identity itself is not shown (the echo server prints no peer certificate)']
    : ['  mTLS: not shown for every pod: a HelloWorld pod that takes plaintext, or a probe that told nothing, leaves open whether calls to it were mTLS'];
  for (const s of m.servers) lines.push(`    ${s.cluster} ${s.pod}: plaintext ${s.plaintext}${s.detail ? ` (${s.detail})` : ''}`);
  return lines;
}

/** `--requests`: a whole number of at least 1. */
export function requestCount(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 10_000) throw new InvalidArgumentError('a whole number from 1 to 10000');
  return n;
}

/** doctor's error findings, and the responses' TLS errors (pointing at the trust checks). */
async function causesOf(report: VerifyReport, loaded: Awaited<ReturnType<typeof loadMesh>>, clients: ReturnType<typeof clientsFor>, timeoutMs: number): Promise<VerifyCause[]> {
  const plan = planMesh(loaded.mesh);
  const reading = await readMesh({ plan, clients, probeTimeoutMs: timeoutMs, syncView: true, probeSecrets: true });
  const doctor = judgeMesh({ plan, ...reading, ...(await readMeshTrustView(loaded.rootDir)), now: new Date(), meshFile: loaded.path, applyCommand: `meshfed apply -f ${loaded.path}` }, CHECKS);
  const causes: VerifyCause[] = doctor.clusters.flatMap((c) =>
    c.findings.filter((f: Finding) => f.severity === 'error').map((f) => ({ code: f.code, check: f.check, cluster: c.cluster, cause: f.cause ?? f.evidence, evidence: f.evidence, ...(f.fix ? { fix: f.fix } : {}) })),
  );
  for (const s of report.verdict.sources) {
    // A TLS error in a failed request, or in a connection the log shows failing while others answered.
    const tls = [...Object.keys(s.errors), ...Object.keys(s.connectionErrors)].find((e) => TLS_ERROR.test(e));
    if (tls) {
      // doctor's MF4041 says which cluster's cacerts chains elsewhere: that is the cause, so say it in those words.
      const chains = causes.filter((c) => c.code === 'MF4041' || c.code === 'MF4043');
      for (const c of chains) if (!c.cause.startsWith('roots differ')) c.cause = `roots differ: ${c.evidence ?? ''} (${c.cause}); the responses show TLS errors (${tls})`;
      if (!chains.length && !causes.some((c) => c.code === 'MF4041' && c.cluster === s.source))
        causes.push({ code: 'MF4041', check: 'cacerts chains to the mesh root', cluster: s.source, cause: `TLS errors in the responses (${tls}): if roots differ (the clusters' intermediates do not chain to one root) mTLS fails; doctor found no cacerts off the mesh root, so compare the workloads' roots (MF4043)`, fix: `meshfed doctor -f ${loaded.path} --check MF4041 --check MF4043` });
    }
    const xds = Object.keys(s.errors).find((e) => /name resolver|xds|bootstrap/i.test(e));
    if (xds && !causes.some((c) => c.cluster === s.source)) {
      causes.push({
        code: 'MF4050',
        check: 'member clusters synced',
        cluster: s.source,
        cause: `${s.source}'s client got no configuration from its istiod (${xds}): the istiod that serves ${s.source} does not know it (its remote secret, or a token it cannot review)`,
        fix: `meshfed doctor -f ${loaded.path}, then meshfed apply -f ${loaded.path}`,
      });
    }
    const refused = [...Object.keys(s.errors), ...Object.keys(s.connectionErrors)].find((e) => !TLS_ERROR.test(e) && !/name resolver|xds|bootstrap/i.test(e) && /refused|no route|unreachable|i\/o timeout|deadline exceeded|connect:/i.test(e));
    if (refused && !causes.some((c) => c.cluster === s.source)) {
      // Routes live outside the Kubernetes API, so no doctor check reads them.
      causes.push({
        code: '-',
        check: 'network path between the clusters',
        cluster: s.source,
        cause: `connection errors in the responses (${refused}): no path from ${s.source}'s pods to ${s.missingClusters.join(', ') || "another cluster's"} pods`,
        fix: `on a flat network, run each cluster's rendered 90-routes.sh on its nodes (lab: meshfed lab routes -f ${loaded.path} -d out)`,
      });
    }
    if (s.missingClusters.length && Object.keys(s.errors).length === 0 && !causes.some((c) => c.code !== '-')) {
      // Every request was answered, never by some clusters, and doctor finds the control
      // planes in order (synced, secrets, trust): their pods cannot be reached from here.
      // (gRPC round robin and Envoy alike skip endpoints they cannot connect to.)
      causes.push({
        code: '-',
        check: 'network path between the clusters',
        cluster: s.source,
        cause: `every request from ${s.source} was answered, never by ${s.missingClusters.join(', ')}, while doctor finds every control plane in order: ${s.source}'s pods cannot reach theirs`,
        fix: `on a flat network, run each cluster's rendered 90-routes.sh on its nodes (lab: meshfed lab routes -f ${loaded.path} -d out)`,
      });
    }
  }
  return causes;
}

/** One verify run and its causes, as `meshfed verify` prints them (serve --verify-every runs it too). */
export async function verifyOnce(loaded: Awaited<ReturnType<typeof loadMesh>>, flags: Omit<VerifyFlags, 'file' | 'output'>, progress: (line: string) => void): Promise<{ report: VerifyReport; causes: VerifyCause[] }> {
  const plan = planMesh(loaded.mesh);
  let place: Map<string, HelloworldVersion> | undefined;
  if (flags.place) {
    const parsed = parsePlacement(flags.place, plan.clusters.map((c) => c.name));
    if ('error' in parsed) throw new InvalidArgumentError(`--place: ${parsed.error} (e.g. --place cluster01=v1,cluster02=v2)`);
    place = parsed.place;
  }
  const ms = flags.timeout * 1000;
  const clients = clientsFor(plan, resolveKubeconfig(flags.kubeconfig, loaded), { requestTimeoutMs: 30_000 });
  const report = await runVerify({
    plan,
    clients,
    namespace: flags.namespace,
    requests: flags.requests ?? defaultRequests(plan.clusters.length),
    ...(place ? { place } : {}),
    keep: flags.keep,
    lab: loaded.mesh.spec.lab !== undefined,
    readyTimeoutMs: ms,
    settleMs: flags.settle * 1000,
    progress,
  });
  const causes = !report.verdict.pass && report.unreachable.length === 0 ? await causesOf(report, loaded, clients, 10_000).catch(() => []) : [];
  return { report, causes };
}

export async function verifyCommand(flags: VerifyFlags, io: Io): Promise<void> {
  const loaded = await loadMesh(flags.file, io);
  const { report, causes } = await verifyOnce(loaded, flags, (line) => {
    if (!io.quiet) io.err(`${line}\n`);
  });
  io.out(flags.output === 'json' ? JSON.stringify({ ...report, causes }, null, 2) + '\n' : formatVerify(report, causes));
  if (report.unreachable.length) throw new CommandExit(EXIT.unreachable);
  if (!report.verdict.pass) throw new CommandExit(EXIT.partial);
}

export { SAMPLE_NAMESPACE };
