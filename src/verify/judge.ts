/**
 * How verify judges a tally, as Istio's own multicluster tests judge theirs
 * (pkg/test/framework/components/echo/check: ReachedTargetClusters): from each source, every
 * cluster of the source's network that runs the service must answer; another network that
 * runs it must be reached at network level (some cluster of it answers, through its gateway).
 * Where a path cannot be observed (the lab has no Envoy, so no gateway data path), the
 * network is marked not verifiable instead of passed or failed, and only once what can be seen
 * holds: the source's client was given that network's gateway address for its endpoints
 * (else it is missed). Pure.
 */

export interface Answer {
  /** The cluster whose pod answered. */
  cluster: string;
  version: string;
  pod: string;
}

/** What one source cluster's client saw. */
export interface SourceTally {
  source: string;
  requests: number;
  answers: Answer[];
  /** Failed requests, each with its error text (counted by text). */
  errors: string[];
  /** Connections the client's log says failed, by whom it dialled (`cluster02 helloworld-v2-…`). */
  connectionErrors?: { to: string; error: string }[];
  /** Other networks whose east-west gateway address (`ip:15443`) the client was given, as observed. */
  gatewaysGiven?: { network: string; address: string }[];
}

export interface ClusterFacts {
  name: string;
  network: string;
  /** Runs the service (a HelloWorld version is placed there). */
  runsService: boolean;
}

export type NetworkVerdict = 'reached' | 'missed' | 'not-verifiable';

export interface SourceVerdict {
  source: string;
  pass: boolean;
  /** Clusters of the source's network that run the service but never answered. */
  missingClusters: string[];
  /** Other networks running the service, by verdict; `gateway`: the address the client was given for them. */
  networks: { network: string; verdict: NetworkVerdict; gateway?: string }[];
  /** Answer counts by cluster, by version, by pod. */
  byCluster: Record<string, number>;
  byVersion: Record<string, number>;
  byPod: Record<string, number>;
  errors: Record<string, number>;
  /** Failed connections by `<to>: <error>` (a TLS error here while others answered: mTLS failed there). */
  connectionErrors: Record<string, number>;
  requests: number;
  /** Fewer requests than clusters it must reach: a pass could not be told from luck. */
  tooFewRequests: boolean;
}

export interface Verdict {
  pass: boolean;
  sources: SourceVerdict[];
}

const count = (xs: string[]): Record<string, number> => {
  const out: Record<string, number> = {};
  for (const x of xs) out[x] = (out[x] ?? 0) + 1;
  return out;
};

export interface JudgeOptions {
  /** Networks whose gateway data path this environment cannot carry (the lab: every other network). */
  unverifiableCrossNetwork?: boolean;
}

export function judge(clusters: readonly ClusterFacts[], tallies: readonly SourceTally[], opts: JudgeOptions = {}): Verdict {
  const byName = new Map(clusters.map((c) => [c.name, c]));
  const sources = tallies.map((t): SourceVerdict => {
    const src = byName.get(t.source);
    const answered = new Set(t.answers.map((a) => a.cluster));
    const serving = clusters.filter((c) => c.runsService);
    const local = serving.filter((c) => c.network === src?.network);
    const missingClusters = local.filter((c) => !answered.has(c.name)).map((c) => c.name);
    const otherNetworks = [...new Set(serving.filter((c) => c.network !== src?.network).map((c) => c.network))];
    const networks = otherNetworks.map((network) => {
      const reached = serving.some((c) => c.network === network && answered.has(c.name));
      const gateway = t.gatewaysGiven?.find((g) => g.network === network)?.address;
      const verdict: NetworkVerdict = reached ? 'reached' : opts.unverifiableCrossNetwork && gateway !== undefined ? 'not-verifiable' : 'missed';
      return { network, verdict, ...(gateway !== undefined ? { gateway } : {}) };
    });
    const tooFewRequests = t.requests < local.length + otherNetworks.length;
    return {
      source: t.source,
      pass: src !== undefined && !tooFewRequests && missingClusters.length === 0 && networks.every((n) => n.verdict !== 'missed') && t.answers.length > 0,
      tooFewRequests,
      missingClusters,
      networks,
      byCluster: count(t.answers.map((a) => a.cluster)),
      byVersion: count(t.answers.map((a) => a.version)),
      byPod: count(t.answers.map((a) => a.pod)),
      errors: count(t.errors),
      connectionErrors: count((t.connectionErrors ?? []).map((e) => `${e.to}: ${e.error}`)),
      requests: t.requests,
    };
  });
  return { pass: sources.length > 0 && sources.every((s) => s.pass), sources };
}

/**
 * Requests per source: at least max(20, 10 × clusters), so that with round robin every
 * cluster gets its turn many times over (`--requests` overrides).
 */
export function defaultRequests(clusters: number): number {
  return Math.max(20, 10 * clusters);
}
