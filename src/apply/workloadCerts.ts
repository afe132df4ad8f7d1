/**
 * Which workloads still hold a certificate from an intermediate that is no longer the
 * cluster's: each mesh pod's certificate chain read through the Kubernetes exec API. A
 * proxyless gRPC workload (Istio's grpc-agent template) names its files in the gRPC xDS
 * bootstrap that GRPC_XDS_BOOTSTRAP points at (file_watcher's certificate_file, which the
 * agent writes: pkg/istio-agent/grpcxds/grpc_bootstrap.go), so meshfed reads the bootstrap
 * and then that file, from the app's container. An Envoy sidecar keeps its certificate in
 * Envoy's memory only: such a pod is reported as unreadable, not guessed at.
 */
import { execInPod, listObjects, type KubeClients } from '../kube/index.js';
import { issuedBy } from '../pki/index.js';

export const AGENT_CONTAINER = 'istio-proxy';

export type WorkloadCertState = 'current' | 'previous' | 'unreadable';

export interface WorkloadCert {
  namespace: string;
  pod: string;
  state: WorkloadCertState;
  /** Why it could not be read (unreadable only). */
  reason?: string;
  /** The workload's chain (certificates only; the agent keeps the key in its own file). */
  chainPem?: string;
  /** The roots it trusts (its ca_certificate_file), when readable. */
  rootsPem?: string;
}

interface PodLike {
  metadata: { name: string; namespace: string; labels?: Record<string, string>; annotations?: Record<string, string>; deletionTimestamp?: string };
  spec?: { containers?: { name: string }[] };
  status?: { phase?: string };
}

interface NamespaceLike {
  metadata: { name: string; labels?: Record<string, string> };
}

/** Whether the leaf of `chainPem` was issued by `caCertPem` (the cluster's intermediate now). Pure. */
export const certState = (chainPem: string, caCertPem: string): WorkloadCertState => (issuedBy(chainPem, caCertPem) ? 'current' : 'previous');

/**
 * Whether a pod is in the mesh: it carries Istio's agent, or its namespace asks for injection
 * (istio-injection=enabled or an istio.io/rev label) and the pod does not opt out. Pure.
 */
export function inMesh(pod: PodLike, namespace: NamespaceLike | undefined): boolean {
  if ((pod.spec?.containers ?? []).some((c) => c.name === AGENT_CONTAINER)) return true;
  const optOut = pod.metadata.labels?.['sidecar.istio.io/inject'] ?? pod.metadata.annotations?.['sidecar.istio.io/inject'];
  if (optOut === 'false') return false;
  const labels = namespace?.metadata.labels ?? {};
  return labels['istio-injection'] === 'enabled' || (labels['istio.io/rev'] !== undefined && labels['istio-injection'] !== 'disabled');
}

/** The certificate and trust files a gRPC xDS bootstrap names (file_watcher's certificate_file, ca_certificate_file). Pure. */
export function bootstrapCertificateFiles(bootstrapJson: string): { cert: string; ca?: string } | undefined {
  try {
    const b = JSON.parse(bootstrapJson) as { certificate_providers?: Record<string, { config?: { certificate_file?: string; ca_certificate_file?: string } }> };
    const config = Object.values(b.certificate_providers ?? {}).find((p) => p.config?.certificate_file)?.config;
    return config?.certificate_file ? { cert: config.certificate_file, ...(config.ca_certificate_file ? { ca: config.ca_certificate_file } : {}) } : undefined;
  } catch {
    return undefined;
  }
}

/** Running mesh pods outside istio-system. */
export async function meshWorkloads(k: KubeClients): Promise<PodLike[]> {
  const [pods, namespaces] = await Promise.all([listObjects(k, 'v1', 'Pod', {}), listObjects(k, 'v1', 'Namespace', {})]);
  const byName = new Map((namespaces as unknown as NamespaceLike[]).map((n) => [n.metadata.name, n]));
  return (pods as unknown as PodLike[]).filter((p) => p.metadata.namespace !== 'istio-system' && !p.metadata.deletionTimestamp && p.status?.phase === 'Running' && inMesh(p, byName.get(p.metadata.namespace)));
}

const firstLine = (s: string) => s.trim().split('\n')[0]?.slice(0, 200) ?? '';

/** Reads one workload's certificate chain and the roots it trusts through exec, from its app container. */
export async function readWorkloadChain(k: KubeClients, pod: PodLike): Promise<{ chainPem: string; rootsPem?: string } | { reason: string }> {
  const { namespace, name } = pod.metadata;
  const container = (pod.spec?.containers ?? []).find((c) => c.name !== AGENT_CONTAINER)?.name;
  if (!container) return { reason: 'no app container' };
  try {
    const bootstrap = await execInPod(k, namespace, name, container, ['sh', '-c', 'cat "$GRPC_XDS_BOOTSTRAP"'], { timeoutMs: 20_000 });
    const files = bootstrap.exitCode === 0 ? bootstrapCertificateFiles(bootstrap.stdout) : undefined;
    if (!files) return { reason: `no gRPC xDS bootstrap naming a certificate file (an Envoy sidecar keeps it in memory: istioctl proxy-config secret ${name}.${namespace})` };
    const chain = await execInPod(k, namespace, name, container, ['cat', files.cert], { timeoutMs: 20_000 });
    if (chain.exitCode !== 0 || !chain.stdout.includes('BEGIN CERTIFICATE')) return { reason: `cannot read ${files.cert}: ${firstLine(chain.stderr) || `exit ${chain.exitCode}`}` };
    const roots = files.ca ? await execInPod(k, namespace, name, container, ['cat', files.ca], { timeoutMs: 20_000 }) : undefined;
    return { chainPem: chain.stdout, ...(roots?.exitCode === 0 ? { rootsPem: roots.stdout } : {}) };
  } catch (e) {
    return { reason: firstLine((e as Error).message) };
  }
}

/** Every mesh workload of the cluster and whether its certificate comes from `caCertPem`. */
export async function workloadCerts(k: KubeClients, caCertPem: string): Promise<WorkloadCert[]> {
  const out: WorkloadCert[] = [];
  for (const p of await meshWorkloads(k)) {
    const { namespace, name } = p.metadata;
    const read = await readWorkloadChain(k, p);
    out.push('chainPem' in read ? { namespace, pod: name, state: certState(read.chainPem, caCertPem), ...read } : { namespace, pod: name, state: 'unreadable', reason: read.reason });
  }
  return out;
}
