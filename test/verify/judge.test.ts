import { describe, expect, it } from 'vitest';
import { defaultRequests, judge, type Answer, type ClusterFacts, type SourceTally } from '../../src/verify/judge.js';

const answers = (spec: Record<string, number>): Answer[] =>
  Object.entries(spec).flatMap(([cluster, n]) => Array.from({ length: n }, () => ({ cluster, version: cluster === 'cluster01' ? 'v1' : 'v2', pod: `helloworld-${cluster}` })));
const tally = (source: string, spec: Record<string, number>, errors: string[] = [], requests?: number): SourceTally => ({
  source,
  requests: requests ?? Object.values(spec).reduce((a, b) => a + b, 0) + errors.length,
  answers: answers(spec),
  errors,
});

describe("verify's judgement (Istio's ReachedTargetClusters)", () => {
  const flat: ClusterFacts[] = [
    { name: 'cluster01', network: 'network1', runsService: true },
    { name: 'cluster02', network: 'network1', runsService: true },
  ];

  it('one network: every serving cluster must answer every source', () => {
    const ok = judge(flat, [tally('cluster01', { cluster01: 10, cluster02: 10 }), tally('cluster02', { cluster01: 9, cluster02: 11 })]);
    expect(ok.pass).toBe(true);
    expect(ok.sources[1]).toMatchObject({ pass: true, byCluster: { cluster01: 9, cluster02: 11 }, byVersion: { v1: 9, v2: 11 }, missingClusters: [] });

    const local = judge(flat, [tally('cluster01', { cluster01: 20 }), tally('cluster02', { cluster01: 10, cluster02: 10 })]);
    expect(local.pass).toBe(false);
    expect(local.sources[0]).toMatchObject({ pass: false, missingClusters: ['cluster02'] });
    expect(local.sources[1]!.pass).toBe(true);
  });

  it('errors are counted by text and do not fail a source that was answered by every cluster', () => {
    const v = judge(flat, [tally('cluster01', { cluster01: 5, cluster02: 5 }, ['connection refused', 'connection refused', 'timeout'])]);
    expect(v.sources[0]).toMatchObject({ pass: true, errors: { 'connection refused': 2, timeout: 1 }, requests: 13 });
    const none = judge(flat, [tally('cluster01', {}, ['connection refused'])]);
    expect(none.sources[0]).toMatchObject({ pass: false, missingClusters: ['cluster01', 'cluster02'] });
  });

  it('two networks: the own network by cluster, the other at network level; unobservable in the lab', () => {
    const two: ClusterFacts[] = [
      { name: 'cluster01', network: 'network1', runsService: true },
      { name: 'cluster02', network: 'network2', runsService: true },
      { name: 'cluster03', network: 'network2', runsService: true },
    ];
    // network2 reached through one of its clusters is enough
    const v = judge(two, [tally('cluster01', { cluster01: 10, cluster03: 10 })]);
    expect(v.sources[0]).toMatchObject({ pass: true, networks: [{ network: 'network2', verdict: 'reached' }] });
    // from cluster02, cluster03 is in its own network and must answer itself
    const w = judge(two, [tally('cluster02', { cluster01: 10, cluster02: 10 })]);
    expect(w.sources[0]).toMatchObject({ pass: false, missingClusters: ['cluster03'] });
    // not reaching network2 fails, unless the environment cannot carry that path (the lab)
    expect(judge(two, [tally('cluster01', { cluster01: 20 })]).sources[0]).toMatchObject({ pass: false, networks: [{ network: 'network2', verdict: 'missed' }] });
    // ... and only once what can be seen holds: the client was given network2's gateway
    const given = { ...tally('cluster01', { cluster01: 20 }), gatewaysGiven: [{ network: 'network2', address: '192.0.2.9:15443' }] };
    expect(judge(two, [given], { unverifiableCrossNetwork: true }).sources[0]).toMatchObject({ pass: true, networks: [{ network: 'network2', verdict: 'not-verifiable', gateway: '192.0.2.9:15443' }] });
    expect(judge(two, [tally('cluster01', { cluster01: 20 })], { unverifiableCrossNetwork: true }).sources[0]).toMatchObject({ pass: false, networks: [{ network: 'network2', verdict: 'missed' }] });
    const otherGateway = { ...tally('cluster01', { cluster01: 20 }), gatewaysGiven: [{ network: 'network3', address: '192.0.2.10:15443' }] };
    expect(judge(two, [otherGateway], { unverifiableCrossNetwork: true }).sources[0]).toMatchObject({ pass: false, networks: [{ network: 'network2', verdict: 'missed' }] });
  });

  it('connection failures the client log shows are counted by whom and why, and do not decide the verdict alone', () => {
    const t = { ...tally('cluster01', { cluster01: 10, cluster02: 10 }), connectionErrors: [{ to: 'cluster02 helloworld-v2-a', error: 'tls: bad certificate' }, { to: 'cluster02 helloworld-v2-a', error: 'tls: bad certificate' }] };
    expect(judge(flat, [t]).sources[0]).toMatchObject({ pass: true, connectionErrors: { 'cluster02 helloworld-v2-a: tls: bad certificate': 2 } });
  });

  it('a service absent from a cluster: that cluster need not answer, and may still be a source', () => {
    const some: ClusterFacts[] = [
      { name: 'cluster01', network: 'network1', runsService: true },
      { name: 'cluster02', network: 'network1', runsService: false },
    ];
    const v = judge(some, [tally('cluster01', { cluster01: 20 }), tally('cluster02', { cluster01: 20 })]);
    expect(v.pass).toBe(true);
    expect(v.sources.map((s) => s.missingClusters)).toEqual([[], []]);
  });

  it('fewer requests than clusters to reach cannot pass, even if each request was answered', () => {
    const three: ClusterFacts[] = ['cluster01', 'cluster02', 'cluster03'].map((name) => ({ name, network: 'network1', runsService: true }));
    const v = judge(three, [tally('cluster01', { cluster01: 1, cluster02: 1 }, [], 2)]);
    expect(v.sources[0]).toMatchObject({ pass: false, tooFewRequests: true, missingClusters: ['cluster03'] });
    expect(defaultRequests(1)).toBe(20);
    expect(defaultRequests(4)).toBe(40);
  });

  it('a source the mesh does not know, or no source at all, is no pass', () => {
    expect(judge(flat, [tally('elsewhere', { cluster01: 10, cluster02: 10 })]).pass).toBe(false);
    expect(judge(flat, []).pass).toBe(false);
  });
});
