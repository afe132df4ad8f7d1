import type { VerifyReport as VerifyRun } from '../verify/index.js';
import type { VerifySource, VerifyReport } from './checks.js';

/** A cause of a failed verify as `meshfed verify` names it (its code, cluster and words). */
export interface VerifyCauseLine {
  code: string;
  cluster: string;
  check: string;
  cause: string;
}

/**
 * `meshfed verify`'s report as the dashboard shows it, per source cluster: who answered
 * (cluster and the version placed there), why it failed (the causes verify named for that
 * source, clusters that never answered), and what was observed without being a verdict
 * (another network's gateway given but its path not verifiable; mTLS).
 */
export function verifyTally(run: VerifyRun, causes: readonly VerifyCauseLine[]): VerifyReport {
  const versionOf = new Map(run.placement.map((p) => [p.cluster, p.version]));
  const mtls = run.mtls.observed ? (run.mtls.enforced ? 'mTLS: every HelloWorld pod refused plaintext, so the answered calls were mTLS' : 'mTLS: not shown for every HelloWorld pod') : `mTLS: not observed (${run.mtls.reason})`;
  const unreachable = run.unreachable.map((u): VerifySource => ({ cluster: u.cluster, verdict: 'fail', requests: 0, answeredBy: [], reasons: [`unreachable: ${u.reason}`] }));
  const sources = run.verdict.sources.map((s): VerifySource => {
    const reasons = [
      ...(s.missingClusters.length ? [`never answered by ${s.missingClusters.join(', ')}`] : []),
      ...s.networks.filter((n) => n.verdict === 'missed').map((n) => `network ${n.network} missed`),
      ...(s.tooFewRequests ? ['too few requests to reach every cluster'] : []),
      ...causes.filter((c) => c.cluster === s.source || (!s.pass && s.missingClusters.includes(c.cluster))).map((c) => `[${c.code}] ${c.cluster}: ${c.cause}`),
    ];
    const notes = [...s.networks.filter((n) => n.verdict === 'not-verifiable').map((n) => `network ${n.network}: given its gateway ${n.gateway ?? ''}; the path through it is not verifiable here`), mtls];
    return {
      cluster: s.source,
      verdict: s.pass ? 'pass' : 'fail',
      requests: s.requests,
      answeredBy: Object.entries(s.byCluster)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([cluster, count]) => ({ cluster, ...(versionOf.get(cluster) ? { version: versionOf.get(cluster)! } : {}), count })),
      ...(reasons.length ? { reasons } : {}),
      notes,
    };
  });
  return { verdict: run.verdict.pass && run.unreachable.length === 0 ? 'pass' : 'fail', sources: [...unreachable, ...sources] };
}
