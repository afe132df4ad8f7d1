/**
 * The real `istioctl analyze` beside meshfed's checks: its JSON (pkg/config/analysis/diag,
 * Message.Unstructured) read into plain messages, and the findings that are expected on a mesh
 * meshfed applied, each with the reason (the README's table says the same). Pure.
 */
import type { ClusterPlan } from '../plan/index.js';

export interface AnalyzerMessage {
  /** IST0xxx. */
  code: string;
  level: 'Error' | 'Warning' | 'Info';
  /** What it is about, e.g. `Pod istio-system/istio-eastwestgateway-5d8f…`. */
  origin: string;
  message: string;
  /** The cluster, in a multicluster analysis. */
  cluster?: string;
}

/** What running `istioctl analyze` in a cluster gave: its messages, or why it could not run. */
export type AnalyzeResult = { messages: AnalyzerMessage[] } | { error: string };

const LEVELS = new Set(['Error', 'Warning', 'Info']);

/** `istioctl analyze -o json`: a list of messages (`[]` when clean); undefined when not that. */
export function parseAnalyze(stdout: string): AnalyzerMessage[] | undefined {
  let value: unknown;
  try {
    value = JSON.parse(stdout.trim() === '' ? '[]' : stdout) as unknown;
  } catch {
    return undefined;
  }
  if (!Array.isArray(value)) return undefined;
  const out: AnalyzerMessage[] = [];
  for (const m of value) {
    const o = (m ?? {}) as Record<string, unknown>;
    if (typeof o['code'] !== 'string' || typeof o['level'] !== 'string' || !LEVELS.has(o['level'])) return undefined;
    out.push({
      code: o['code'],
      level: o['level'] as AnalyzerMessage['level'],
      origin: typeof o['origin'] === 'string' ? o['origin'] : '',
      message: typeof o['message'] === 'string' ? o['message'] : '',
      ...(typeof o['cluster'] === 'string' ? { cluster: o['cluster'] } : {}),
    });
  }
  return out;
}

/**
 * One `istioctl analyze` of the whole mesh: run in one cluster's context with every other
 * cluster as a `--remote-contexts`, which is istioctl's multi-cluster analysis (its
 * cross-cluster analyzers, such as IST0170, see every cluster at once). Each cluster is read once:
 * a run per cluster read a primary's every watched cluster again through its remote secrets
 * (sixteen readings of the six-cluster mix instead of six, most of doctor's load on the API
 * servers), and showed a remote's findings once per primary beside its own.
 */
export interface AnalyzeRun {
  /** The cluster of `--context`: its messages are the run's own (istioctl names it `default`). */
  context: ClusterPlan;
  /** The clusters given as `--remote-contexts` (istioctl names their messages by context). */
  remotes: ClusterPlan[];
}

/** The run over the clusters that answered: a primary's context first (its istiod's mesh config is the one analyzed), the rest as remote contexts. */
export function analyzeRun(reached: readonly ClusterPlan[]): AnalyzeRun | undefined {
  const context = reached.find((c) => c.role === 'primary') ?? reached[0];
  return context ? { context, remotes: reached.filter((c) => c !== context) } : undefined;
}

/**
 * The run's messages by the cluster each is about: `default` (or none) is the run's own context,
 * a remote context's name its cluster; a name the run was not given stays on the context's
 * cluster with its name kept. A run that failed failed for every cluster it covered.
 */
export function analysisByCluster(run: AnalyzeRun, result: AnalyzeResult): Map<string, AnalyzeResult> {
  const clusters = [run.context, ...run.remotes];
  if ('error' in result) return new Map(clusters.map((c) => [c.name, result]));
  const byCluster = new Map<string, AnalyzerMessage[]>(clusters.map((c) => [c.name, []]));
  for (const m of result.messages) {
    const named = m.cluster === undefined || m.cluster === 'default' ? run.context : clusters.find((c) => c.context === m.cluster || c.name === m.cluster);
    const { cluster: _named, ...own } = m;
    byCluster.get((named ?? run.context).name)!.push(named ? own : m);
  }
  return new Map([...byCluster].map(([name, messages]) => [name, { messages }]));
}

/** A finding of istioctl analyze that is expected where meshfed applied the mesh, and why. */
export interface ExpectedMessage {
  code: string;
  /** Whether this message is the expected one. */
  matches(m: AnalyzerMessage, where: AnalyzedMesh): boolean;
  reason: string;
}

/** What decides whether a message is expected. */
export interface AnalyzedMesh {
  lab: boolean;
  /** The mesh has remote clusters (primary-remote models). */
  remotes: boolean;
}

/** IST0170 naming only the ports as inconsistent (not the type, selector or anything else). */
const PORTS_ONLY = /The inconsistent behaviors are: service ports are inconsistent\.?$/;

export const EXPECTED_ANALYZER_MESSAGES: readonly ExpectedMessage[] = [
  {
    code: 'IST0147',
    matches: (m, where) => where.lab && /istio-eastwestgateway/.test(`${m.origin} ${m.message}`),
    reason: "the lab's API servers run without admission webhooks, so the east-west gateway's `image: auto` is never injected (a cluster with Istio's injector fills it in)",
  },
  {
    code: 'IST0170',
    matches: (m, where) => where.remotes && m.origin === 'Service istio-system/istiod' && PORTS_ONLY.test(m.message),
    reason: "Istio's remote profile gives a remote's istiod Service only the ports its proxies and injector use (15012, 443; charts/istiod remote-istiod-service.yaml), a primary's has 15010, 15012, 443 and 15014: they differ by design",
  },
  {
    code: 'IST0170',
    matches: (m) => /^Service istio-system\/istio-(eastwest|ingress)gateway$/.test(m.origin) && PORTS_ONLY.test(m.message),
    reason:
      "the east-west and ingress gateways are LoadBalancer Services, so each cluster allocates its own nodePorts, and the analyzer compares whole ServicePorts, nodePort included (multicluster/service.go, compareServicePorts): the ports Istio's install and meshfed set are the same in every cluster",
  },
];

export function expectedReason(m: AnalyzerMessage, where: AnalyzedMesh): string | undefined {
  return EXPECTED_ANALYZER_MESSAGES.find((e) => e.code === m.code && e.matches(m, where))?.reason;
}
