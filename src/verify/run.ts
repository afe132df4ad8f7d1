/**
 * `meshfed verify`'s imperative shell: deploys seed 000's layout, sends requests from the
 * client of every cluster through the Kubernetes exec API (the same calls on real clusters
 * and in the lab), tallies who answered, judges (judge.ts) and, unless asked to keep them,
 * removes what it made. Takes the clients it is given.
 */
import { deleteObject, execInPod, getObject, isKubeError, listObjects, pollUntil, type KubeClients, type KubeObject } from '../kube/index.js';
import { OBJECTS, type Plan } from '../plan/index.js';
import { curlLoop, echoClientArgs, errorText, loggedEchoClientArgs, parseCurlOutput, parseEchoOutput, type ParsedOutput } from './answers.js';
import { judge, type Answer, type SourceTally, type Verdict } from './judge.js';
import { deployVerification, VERIFY_LABEL, verificationLayout, type DeployedWorkloads, type HelloworldVersion, type VerificationCluster } from './workloads.js';

export interface VerifyOptions {
  plan: Plan;
  clients: ReadonlyMap<string, KubeClients | Error>;
  namespace: string;
  requests: number;
  place?: ReadonlyMap<string, HelloworldVersion>;
  keep: boolean;
  /** The lab: Istio's echo client over proxyless gRPC; no gateway data path (no Envoy). */
  lab: boolean;
  /** Deadline for the workloads to be Ready and each client to be able to call. */
  readyTimeoutMs: number;
  /** Longest uncounted warm-up per client, until one batch is answered by every cluster it must reach. */
  settleMs: number;
  progress: (line: string) => void;
}

export interface VerifyReport {
  mesh: string;
  namespace: string;
  requests: number;
  client: 'curl' | 'echo-client (proxyless gRPC)';
  placement: { cluster: string; version: string | undefined }[];
  unreachable: { cluster: string; reason: string }[];
  verdict: Verdict;
  /** Whether the answered calls were mutual TLS, and how that was seen (or that it was not). */
  mtls: MtlsObservation;
  kept: boolean;
}

/**
 * In the lab every HelloWorld pod is asked for a plaintext call: refused, its server requires
 * mTLS (PeerAuthentication STRICT in force), so every call it answered was mTLS. The peer's
 * identity itself is not observed: Istio's echo server prints no peer certificate over gRPC.
 * On real clusters verify observes nothing of mTLS (Envoy's auto mTLS decides it).
 */
/** refused: the server closed the plaintext connection; answered: it took plaintext; failed: the probe told nothing (a timeout, no exec). */
export type PlaintextResult = 'refused' | 'answered' | 'failed';

export type MtlsObservation =
  | { observed: true; enforced: boolean; servers: { cluster: string; pod: string; plaintext: PlaintextResult; detail: string }[] }
  | { observed: false; reason: string };

/** Batches of the lab's echo client: each a new gRPC channel, so one channel's pick cannot decide all. */
const LAB_BATCH = 10;

async function runClient(k: KubeClients, o: VerifyOptions, sleepPod: string): Promise<ParsedOutput> {
  if (!o.lab) {
    const r = await execInPod(k, o.namespace, sleepPod, 'sleep', curlLoop(o.namespace, o.requests), { timeoutMs: 30_000 + o.requests * 6_000 });
    return parseCurlOutput(r.stdout);
  }
  const out: Required<ParsedOutput> = { answers: [], errors: [], given: [], connectionErrors: [] };
  for (let sent = 0; sent < o.requests; sent += LAB_BATCH) {
    const n = Math.min(LAB_BATCH, o.requests - sent);
    const r = await execInPod(k, o.namespace, sleepPod, 'sleep', loggedEchoClientArgs(o.namespace, n), { timeoutMs: 60_000 }).catch((e: unknown) => ({ exitCode: -1, stdout: '', stderr: `Error exec: ${(e as Error).message}` }));
    const p = parseEchoOutput(r.stdout, r.stderr, r.exitCode, n);
    out.answers.push(...p.answers);
    out.errors.push(...p.errors);
    out.given = [...new Set([...out.given, ...(p.given ?? [])])].sort();
    out.connectionErrors.push(...(p.connectionErrors ?? []));
  }
  return out;
}

const podsOf = async (k: KubeClients, ns: string, app: string) => (await listObjects(k, 'v1', 'Pod', { namespace: ns, labelSelector: `app=${app}` })).map((p) => p.metadata.name);

/** Waits until the client can call at all (in the lab: until its agent has fetched its bootstrap). */
async function clientReady(k: KubeClients, o: VerifyOptions, sleepPod: string): Promise<void> {
  const argv = o.lab ? echoClientArgs(o.namespace, 1) : ['curl', '--version'];
  let last = '';
  const r = await pollUntil(
    async () => {
      let res: { exitCode: number; stdout: string; stderr: string };
      try {
        res = await execInPod(k, o.namespace, sleepPod, 'sleep', argv, { timeoutMs: 20_000 });
      } catch (e) {
        // The node cannot run it yet (a kubelet still starting the container; the lab's Exec object not written yet).
        last = (e as Error).message;
        return undefined;
      }
      last = `${res.stdout}${res.stderr}`.trim().split('\n').pop() ?? '';
      // An answer, or any error but "no bootstrap yet": the tally will say what it is.
      return res.exitCode === 0 || !/bootstrap|no such file/i.test(`${res.stdout}${res.stderr}`) ? true : undefined;
    },
    { timeoutMs: o.readyTimeoutMs, intervalMs: 1_000 },
  );
  if ('timedOut' in r) throw new Error(`the client pod ${o.namespace}/${sleepPod} cannot call yet after ${Math.round(o.readyTimeoutMs / 1000)} s: ${last}`);
}

/**
 * New pods' endpoints reach every istiod (through its remote secrets' watches) and then its
 * clients a few seconds after the pods are Ready: warm up, uncounted, until one batch is
 * answered by every cluster this source must reach, for at most `settleMs` (`--settle`). The
 * counted requests come after; if the mesh never settles, they say so.
 */
async function settle(k: KubeClients, o: VerifyOptions, sleepPod: string, expected: string[], podCluster: ReadonlyMap<string, string>): Promise<{ settled: boolean; ms: number }> {
  const start = Date.now();
  const deadline = start + o.settleMs;
  while (Date.now() < deadline) {
    const probe = await runClient(k, { ...o, requests: Math.max(LAB_BATCH, 2 * expected.length) }, sleepPod);
    const seen = new Set(probe.answers.map((a) => podCluster.get(a.pod)));
    if (expected.every((c) => seen.has(c))) return { settled: true, ms: Date.now() - start };
    await new Promise((r) => setTimeout(r, 1_000));
  }
  return { settled: false, ms: Date.now() - start };
}

/** A server closing a plaintext connection (grpc-go: "error reading server preface: EOF"), not a timeout or a missing route. */
const PLAINTEXT_REFUSED = /server preface|EOF|connection reset|connection closed|handshake/i;

/** A plaintext call to one HelloWorld pod from its own cluster's client, until refused (a policy reaches a server seconds after it is applied). */
async function plaintextProbe(k: KubeClients, o: VerifyOptions, sleepPod: string, ip: string): Promise<{ plaintext: PlaintextResult; detail: string }> {
  let last: { plaintext: PlaintextResult; detail: string } = { plaintext: 'failed', detail: 'not run' };
  await pollUntil(
    async () => {
      try {
        const r = await execInPod(k, o.namespace, sleepPod, 'sleep', ['echo-client', '--count', '1', '--timeout', '3s', `grpc://${ip}:5000`], { timeoutMs: 20_000 });
        const p = parseEchoOutput(r.stdout, r.stderr, r.exitCode, 1);
        const error = p.errors[0] ?? '';
        last = p.answers.length ? { plaintext: 'answered', detail: `answered by ${p.answers[0]!.pod}` } : { plaintext: PLAINTEXT_REFUSED.test(error) ? 'refused' : 'failed', detail: error };
      } catch (e) {
        last = { plaintext: 'failed', detail: `not run: ${errorText((e as Error).message)}` };
      }
      return last.plaintext === 'refused' ? true : undefined;
    },
    { timeoutMs: 15_000, intervalMs: 1_500 },
  );
  return last;
}

/** Addresses a client may be given, by what they are: a pod (`cluster02 helloworld-v2-…`) or a network's gateway. */
async function addressBook(o: VerifyOptions, reachable: ReadonlyMap<string, KubeClients>, deployed: readonly DeployedWorkloads[]): Promise<{ names: Map<string, string>; gateways: Map<string, string> }> {
  const names = new Map<string, string>();
  for (const d of deployed) for (const [pod, ip] of Object.entries(d.pods)) names.set(`${ip}:5000`, `${d.cluster} ${pod}`);
  const gateways = new Map<string, string>(); // `ip:15443` → network
  for (const c of o.plan.clusters) {
    if (!c.eastWestGateway) continue;
    const svc = await getObject(reachable.get(c.name)!, OBJECTS.eastWestService).catch(() => undefined);
    const ingress = (svc?.['status'] as { loadBalancer?: { ingress?: { ip?: string }[] } } | undefined)?.loadBalancer?.ingress ?? [];
    for (const ip of [...ingress.map((i) => i.ip), c.eastWestGateway.address].filter((x): x is string => !!x)) {
      gateways.set(`${ip}:15443`, c.network);
      names.set(`${ip}:15443`, `${c.network}'s gateway (${c.name})`);
    }
  }
  return { names, gateways };
}

export async function runVerify(o: VerifyOptions): Promise<VerifyReport> {
  const unreachable: VerifyReport['unreachable'] = [];
  const reachable = new Map<string, KubeClients>();
  for (const c of o.plan.clusters) {
    const k = o.clients.get(c.name);
    if (!k || k instanceof Error) unreachable.push({ cluster: c.name, reason: k?.message ?? 'no client' });
    else reachable.set(c.name, k);
  }
  const layouts = verificationLayout(o.plan, { namespace: o.namespace, owned: true, proxyless: o.lab, ...(o.place ? { place: o.place } : {}) });
  const notObserved: MtlsObservation = { observed: false, reason: o.lab ? 'the calls did not get that far' : "Envoy sidecars' auto mTLS decides it on real clusters; verify does not observe it (istioctl x describe pod shows it)" };
  const report = (tallies: SourceTally[], mtls: MtlsObservation = notObserved): VerifyReport => ({
    mesh: o.plan.mesh.name,
    namespace: o.namespace,
    requests: o.requests,
    client: o.lab ? 'echo-client (proxyless gRPC)' : 'curl',
    placement: layouts.map((l) => ({ cluster: l.cluster, version: l.helloworld })),
    unreachable,
    verdict: judge(
      o.plan.clusters.map((c) => ({ name: c.name, network: c.network, runsService: layouts.some((l) => l.cluster === c.name && l.helloworld !== undefined) })),
      tallies,
      { unverifiableCrossNetwork: o.lab },
    ),
    mtls,
    kept: o.keep,
  });
  if (unreachable.length) return report([]);

  const deployed = async (l: VerificationCluster) => {
    const k = reachable.get(l.cluster)!;
    // A namespace someone else made stays theirs: verify does not label (or later delete) it.
    const existing = await getObject(k, { apiVersion: 'v1', kind: 'Namespace', name: l.namespace });
    const ours = !existing || existing.metadata.labels?.[VERIFY_LABEL] === 'true';
    const objects = ours ? l.objects : l.objects.filter((x) => x.kind !== 'Namespace');
    const d = await deployVerification(k, { ...l, objects }, { timeoutMs: o.readyTimeoutMs });
    o.progress(`${l.cluster}: ${l.helloworld ? `helloworld ${l.helloworld} + ` : ''}sleep ready`);
    return d;
  };
  try {
    const workloads = await Promise.all(layouts.map(deployed));
    const book = o.lab ? await addressBook(o, reachable, workloads) : undefined;
    // Which cluster each answering pod is in: verify made them, so it can list them.
    const podCluster = new Map<string, string>();
    for (const [name, k] of reachable) for (const p of await podsOf(k, o.namespace, 'helloworld')) podCluster.set(p, name);
    const network = new Map(o.plan.clusters.map((c) => [c.name, c.network]));
    const expectedFrom = (source: string) => layouts.filter((l) => l.helloworld && network.get(l.cluster) === network.get(source)).map((l) => l.cluster);
    const tallies = await Promise.all(
      [...reachable].map(async ([name, k]): Promise<SourceTally> => {
        const sleep = (await podsOf(k, o.namespace, 'sleep'))[0];
        if (!sleep) return { source: name, requests: o.requests, answers: [], errors: ['no sleep pod'] };
        await clientReady(k, o, sleep);
        const mustReach = expectedFrom(name);
        const warm = await settle(k, o, sleep, mustReach, podCluster);
        const expected = mustReach.join(', ');
        o.progress(
          warm.settled
            ? `${name}: warm-up answered by every cluster it must reach (${expected}) after ${Math.round(warm.ms / 1000)} s; counting`
            : `${name}: warm-up not answered by every cluster it must reach (${expected}) within ${Math.round(o.settleMs / 1000)} s (--settle); counting anyway`,
        );
        const parsed = await runClient(k, o, sleep);
        o.progress(`${name}: ${parsed.answers.length} answered, ${parsed.errors.length} failed`);
        const answers: Answer[] = parsed.answers.map((a) => ({ ...a, cluster: podCluster.get(a.pod) ?? `unknown (${a.pod})` }));
        const observed = book
          ? {
              connectionErrors: (parsed.connectionErrors ?? []).map((e) => ({ to: book.names.get(e.address) ?? e.address, error: e.error })),
              gatewaysGiven: (parsed.given ?? []).filter((a) => book.gateways.has(a) && book.gateways.get(a) !== network.get(name)).map((address) => ({ network: book.gateways.get(address)!, address })),
            }
          : {};
        return { source: name, requests: o.requests, answers, errors: parsed.errors, ...observed };
      }),
    );
    if (!o.lab) return report(tallies);
    const servers = await Promise.all(
      workloads.flatMap((w) =>
        Object.entries(w.pods)
          .filter(([pod]) => pod.startsWith('helloworld-'))
          .map(async ([pod, ip]) => {
            const k = reachable.get(w.cluster)!;
            const sleep = (await podsOf(k, o.namespace, 'sleep'))[0] ?? '';
            const r = await plaintextProbe(k, o, sleep, ip);
            return { cluster: w.cluster, pod, ...r };
          }),
      ),
    );
    return report(tallies, { observed: true, enforced: servers.length > 0 && servers.every((s) => s.plaintext === 'refused'), servers });
  } finally {
    if (!o.keep) await Promise.all(layouts.map((l) => removeLayout(reachable.get(l.cluster)!, l).catch((e: unknown) => o.progress(`${l.cluster}: cleaning up failed: ${(e as Error).message}`))));
  }
}

/** Deletes what verify made: its namespace when it labelled it, else the objects it applied. */
export async function removeLayout(k: KubeClients, l: VerificationCluster): Promise<void> {
  const ns = await getObject(k, { apiVersion: 'v1', kind: 'Namespace', name: l.namespace });
  if (!ns) return;
  if (ns.metadata.labels?.[VERIFY_LABEL] === 'true') {
    const ref = { apiVersion: 'v1', kind: 'Namespace', name: l.namespace };
    await deleteObject(k, ref);
    // Finish the job: a next run (or apply) should not meet a namespace still terminating.
    await pollUntil(async () => ((await getObject(k, ref)) ? undefined : true), { timeoutMs: 120_000, intervalMs: 500 });
    return;
  }
  for (const obj of [...l.objects].reverse().filter((x: KubeObject) => x.kind !== 'Namespace')) {
    await deleteObject(k, { apiVersion: obj.apiVersion!, kind: obj.kind!, name: obj.metadata.name!, namespace: l.namespace }).catch((e: unknown) => {
      if (!(isKubeError(e) && e.reason === 'notFound')) throw e;
    });
  }
}
