/**
 * Rotating the mesh root, as stages (pure). Istio 1.31's istiod takes a new root bundle in its
 * cacerts only with ISTIO_MULTIROOT_MESH=true and only when one bundle contains the other
 * (pilot/pkg/bootstrap/istio_ca.go handleEvent, pemBundleHasSubsetRelation), so the root
 * changes in three steps, each shipped to every cluster before the next:
 *
 *   trust-both  every cluster's root-cert.pem holds old + new root; intermediates unchanged
 *               (still signed by the old root): every workload learns to trust the new root.
 *   reissue     every intermediate re-issued by the new root; root-cert.pem still old + new:
 *               new workload certificates chain to the new root, old ones still verify.
 *   drop-old    root-cert.pem holds the new root only, once no workload certificate chains
 *               to the old one (apply checks that first); the new root becomes the folder's root.
 *
 * After drop-old has been applied, one more `certs --rotate-root` ends the rotation: the old
 * root's key and certificate are removed, once the CLI has read every cluster and found stage
 * drop-old in force there and no workload chaining to the old root (src/apply/rootRotationEnd.ts).
 */

export const ROOT_STAGES = ['trust-both', 'reissue', 'drop-old'] as const;
export type RootStage = (typeof ROOT_STAGES)[number];

/** The stage a `certs --rotate-root` moves to from `current` (none: not rotating). */
export function nextRootStage(current: RootStage | undefined): RootStage | 'done' {
  if (current === undefined) return 'trust-both';
  const i = ROOT_STAGES.indexOf(current);
  return ROOT_STAGES[i + 1] ?? 'done';
}

/** Which root signs the intermediates in a stage. */
export const signingRootOf = (stage: RootStage | undefined): 'old' | 'new' => (stage === 'reissue' || stage === 'drop-old' ? 'new' : 'old');

/** What each cluster's root-cert.pem holds in a stage: the roots its istiod and workloads trust. */
export function trustedRootsOf(stage: RootStage | undefined, roots: { old: string; new?: string }): string[] {
  if (stage === undefined) return [roots.old];
  if (roots.new === undefined) throw new Error(`stage ${stage} needs the new root`);
  return stage === 'drop-old' ? [roots.new] : [roots.old, roots.new];
}

/** The stage before `stage`; undefined: before the rotation. */
export const previousRootStage = (stage: RootStage): RootStage | undefined => ROOT_STAGES[ROOT_STAGES.indexOf(stage) - 1];

/** What a cluster's cacerts holds in a stage: the roots of its root-cert.pem, and the root that signed its intermediate. */
export function stageTrust(stage: RootStage | undefined, roots: { old: string; new?: string }): { trustedPem: string; signingPem: string } {
  const signing = signingRootOf(stage) === 'new' ? roots.new : roots.old;
  if (signing === undefined) throw new Error(`stage ${stage} needs the new root`);
  return { trustedPem: trustedRootsOf(stage, roots).join(''), signingPem: signing };
}

/** What people read about a stage (`certs`, `status`). */
export function describeRootStage(stage: RootStage): string {
  switch (stage) {
    case 'trust-both':
      return 'stage 1/3 trust-both: every cluster trusts the old and the new root; intermediates still from the old root';
    case 'reissue':
      return 'stage 2/3 reissue: intermediates from the new root; both roots still trusted';
    case 'drop-old':
      return 'stage 3/3 drop-old: only the new root is trusted; the old root key is kept until `certs --rotate-root` ends the rotation';
  }
}

/** The stage file's content (no key material): parsed strictly, undefined for anything else. */
export function parseRootStage(text: string): RootStage | undefined {
  try {
    const v = JSON.parse(text) as { stage?: unknown };
    return (ROOT_STAGES as readonly unknown[]).includes(v.stage) ? (v.stage as RootStage) : undefined;
  } catch {
    return undefined;
  }
}
