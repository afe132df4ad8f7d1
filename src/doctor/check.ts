import type { ErrorCode } from '../errors/index.js';
// The stage's type from its own file: the dashboard compiles this file for the browser, without the rest of pki.
import type { RootStage } from '../pki/rootRotation.js';
import { istiodName, type ClusterPlan, type Plan } from '../plan/index.js';
import type { LiveCluster } from './live.js';
import type { AnalyzeResult } from './analyze.js';
import type { IstiodView, SecretProbe } from './probes.js';
import type { Finding, Severity } from './types.js';

/** Everything the checks judge: the plan and what was read. Pure data; no client. */
export interface DoctorInput {
  plan: Plan;
  /** By cluster name; every cluster of the plan has one. */
  live: ReadonlyMap<string, LiveCluster>;
  /** By primary, then by the watched cluster ID: what each remote secret's credentials may do. */
  probes: ReadonlyMap<string, ReadonlyMap<string, SecretProbe>>;
  /** By primary: istiod's own view of its member clusters, or the discovery engine's. */
  views: ReadonlyMap<string, IstiodView>;
  /** By cluster: what the real `istioctl analyze` said, when it was run. */
  analysis?: ReadonlyMap<string, AnalyzeResult>;
  /**
   * The roots every cluster's cacerts must hold now, from the trust folder: its root, or during
   * a root rotation the stage's roots (old + new until drop-old); undefined when it cannot be read.
   */
  meshRoot?: string;
  /** A root rotation in progress (the trust folder's stage), when there is one. */
  rootRotation?: RootRotationView;
  now: Date;
  /** The mesh file as the user named it, for the commands a fix gives. */
  meshFile: string;
  /** The command that brings the clusters to the plan, e.g. `meshfed apply -f mesh.yaml`. */
  applyCommand: string;
  /** The kubeconfig file doctor read, for a fix that edits it. */
  kubeconfig?: string;
}

/** What a cluster holds in one stage of a root rotation: the roots of its root-cert.pem and the root signing its intermediate. */
export interface StageTrustView {
  /** Undefined: before the rotation. */
  stage?: RootStage;
  trustedPem: string;
  signingPem: string;
}

/**
 * The stage the trust folder is at, and the stage before it: a cluster that still holds the one
 * before has not been shipped the stage yet (apply does that, one stage at a time), which keeps
 * working, since every stage trusts the roots its predecessor signs with.
 */
export interface RootRotationView extends StageTrustView {
  stage: RootStage;
  description: string;
  previous: StageTrustView;
}

/**
 * One named check: a stable code, a title, and a pure judgement of one reachable cluster.
 * It returns an `ok` finding when the thing it checks is right, and nothing when the thing
 * does not apply to the cluster (a gateway check where the plan has no gateway).
 */
export interface Check {
  code: ErrorCode;
  title: string;
  run(input: DoctorInput, cluster: ClusterPlan, live: LiveCluster): Finding[];
}

/** A finding of `check` about `cluster`. */
export function finding(check: Pick<Check, 'code' | 'title'>, cluster: string, severity: Severity, evidence: string, more: { resource?: string; cause?: string; fix?: string } = {}): Finding {
  return { code: check.code, check: check.title, severity, cluster, evidence, ...more };
}

export const defineCheck = (check: Check): Check => check;

/**
 * The fix for drift in what the Istio install made (mesh config, images, webhooks, a remote's
 * istiod endpoints): apply runs the install again only when its files changed or the object
 * it checks is gone (istiod's Deployment in a primary, the injection webhook in a remote), so
 * the fix removes that object and applies.
 */
export function reinstallFix(input: DoctorInput, c: ClusterPlan): string {
  const rev = input.plan.mesh.istio.revision;
  const marker = c.role === 'primary' ? `-n istio-system delete deployment ${istiodName(rev)}` : `delete mutatingwebhookconfiguration ${rev ? `istio-sidecar-injector-${rev}` : 'istio-sidecar-injector'}`;
  return `kubectl --context ${c.context} ${marker} && ${input.applyCommand}`;
}
