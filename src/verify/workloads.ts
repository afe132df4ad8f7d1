import { applyObject, listObjects, pollUntil, type KubeClients, type KubeObject } from '../kube/index.js';
import type { Plan } from '../plan/index.js';

/** Seed 000's verification namespace, with automatic sidecar injection on. */
export const SAMPLE_NAMESPACE = 'sample';

/** Istio's helloworld sample ships v1 and v2 images. */
export type HelloworldVersion = 'v1' | 'v2';

/** Marks a namespace verify created, so that cleaning up deletes only what it made. */
export const VERIFY_LABEL = 'meshfed.io/verify';

// The objects of Istio's samples/helloworld/helloworld.yaml and samples/sleep/sleep.yaml, which
// seed 000 applies with `-l service=helloworld`, `-l version=v1|v2` and the sleep file.
const HELLOWORLD_IMAGE = (v: HelloworldVersion) => `registry.istio.io/release/examples-helloworld-${v}:1.0`;
const SLEEP_IMAGE = 'docker.io/curlimages/curl:8.16.0';

function namespace(ns: string, owned: boolean): KubeObject {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns, labels: { 'istio-injection': 'enabled', ...(owned ? { [VERIFY_LABEL]: 'true' } : {}) } } };
}

function helloworldService(ns: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'helloworld', namespace: ns, labels: { app: 'helloworld', service: 'helloworld' } },
    spec: { ports: [{ port: 5000, name: 'http' }], selector: { app: 'helloworld' } },
  };
}

/**
 * What proxyless gRPC needs for mTLS (the lab's data plane): istiod's gRPC generator sets no
 * TLS by default (pilot/pkg/networking/grpcgen/cds.go), so the client must be told to use
 * Istio's certificates (a DestinationRule ISTIO_MUTUAL) and the server to require them
 * (PeerAuthentication STRICT). Envoy sidecars on real clusters do this on their own (auto
 * mTLS), so verify applies these only in the lab. Namespace-scoped: they go with the namespace.
 * Only primaries get them: istiod reads config from its own cluster, also for its remotes' pods.
 */
export function proxylessMtlsPolicies(ns: string): KubeObject[] {
  return [
    { apiVersion: 'security.istio.io/v1', kind: 'PeerAuthentication', metadata: { name: 'meshfed-verify', namespace: ns }, spec: { mtls: { mode: 'STRICT' } } } as KubeObject,
    {
      apiVersion: 'networking.istio.io/v1',
      kind: 'DestinationRule',
      metadata: { name: 'helloworld', namespace: ns },
      spec: { host: `helloworld.${ns}.svc.cluster.local`, trafficPolicy: { tls: { mode: 'ISTIO_MUTUAL' } } },
    } as KubeObject,
  ];
}

/**
 * A sidecar's injection labels its pod `security.istio.io/tlsMode: istio`; for proxyless gRPC
 * the pod must say so itself (Istio's grpc-agent.yaml), and istiod sends another network's
 * endpoints (as its gateway) only for pods that take mTLS.
 */
const PROXYLESS_TLS_LABEL = { 'security.istio.io/tlsMode': 'istio' };

function helloworldDeployment(ns: string, version: HelloworldVersion, proxyless: boolean): KubeObject {
  const labels = { app: 'helloworld', version };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: `helloworld-${version}`, namespace: ns, labels },
    spec: {
      replicas: 1,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels: { ...labels, ...(proxyless ? PROXYLESS_TLS_LABEL : {}) } },
        spec: {
          containers: [{ name: 'helloworld', image: HELLOWORLD_IMAGE(version), resources: { requests: { cpu: '100m' } }, imagePullPolicy: 'IfNotPresent', ports: [{ containerPort: 5000 }] }],
        },
      },
    },
  };
}

function sleepObjects(ns: string): KubeObject[] {
  return [
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'sleep', namespace: ns } },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'sleep', namespace: ns, labels: { app: 'sleep', service: 'sleep' } },
      spec: { ports: [{ port: 80, name: 'http' }], selector: { app: 'sleep' } },
    },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'sleep', namespace: ns },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: 'sleep' } },
        template: {
          metadata: { labels: { app: 'sleep' } },
          spec: {
            terminationGracePeriodSeconds: 0,
            serviceAccountName: 'sleep',
            containers: [{ name: 'sleep', image: SLEEP_IMAGE, command: ['/bin/sleep', 'infinity'], imagePullPolicy: 'IfNotPresent' }],
          },
        },
      },
    },
  ];
}

export interface VerificationCluster {
  cluster: string;
  namespace: string;
  /** The HelloWorld version this cluster serves; undefined: only the Service and the client. */
  helloworld: HelloworldVersion | undefined;
  objects: KubeObject[];
}

export interface LayoutOptions {
  namespace?: string;
  /** `--place`: cluster → version; clusters not named serve no version. */
  place?: ReadonlyMap<string, HelloworldVersion>;
  /** Label the namespace as verify's own (verify deletes it afterwards); the demo keeps it. */
  owned?: boolean;
  /** The lab's proxyless gRPC: its mTLS policies in every primary, and the tlsMode pod label. */
  proxyless?: boolean;
}

/**
 * Seed 000's layout: HelloWorld v1 in the first cluster, v2 in the second (alternating beyond),
 * the helloworld Service and the sleep client in every cluster, so a call from any sleep can be
 * answered by either version only if traffic crosses clusters.
 */
export function verificationLayout(plan: Plan, opts: LayoutOptions = {}): VerificationCluster[] {
  const ns = opts.namespace ?? SAMPLE_NAMESPACE;
  return plan.clusters.map((c, i) => {
    const version: HelloworldVersion | undefined = opts.place ? opts.place.get(c.name) : i % 2 === 0 ? 'v1' : 'v2';
    return {
      cluster: c.name,
      namespace: ns,
      helloworld: version,
      objects: [
        namespace(ns, opts.owned ?? false),
        ...(opts.proxyless && c.role === 'primary' ? proxylessMtlsPolicies(ns) : []),
        helloworldService(ns),
        ...(version ? [helloworldDeployment(ns, version, opts.proxyless ?? false)] : []),
        ...sleepObjects(ns),
      ],
    };
  });
}

/** `cluster01=v1,cluster02=v2` → a map; undefined and the reason when it does not parse. */
export function parsePlacement(text: string, clusters: readonly string[]): { place: Map<string, HelloworldVersion> } | { error: string } {
  const place = new Map<string, HelloworldVersion>();
  for (const part of text.split(',').map((p) => p.trim()).filter(Boolean)) {
    const m = /^([^=]+)=(v1|v2)$/.exec(part);
    if (!m) return { error: `"${part}" is not <cluster>=v1 or <cluster>=v2` };
    if (!clusters.includes(m[1]!)) return { error: `"${m[1]}" is not a cluster of the mesh (${clusters.join(', ')})` };
    if (place.has(m[1]!)) return { error: `cluster "${m[1]}" is placed twice` };
    place.set(m[1]!, m[2] as HelloworldVersion);
  }
  if (place.size === 0) return { error: 'no cluster placed' };
  return { place };
}

export interface DeployedWorkloads {
  cluster: string;
  helloworld: HelloworldVersion | undefined;
  /** Pod name → pod IP, once every pod of the sample namespace is Ready. */
  pods: Record<string, string>;
}

const podReady = (p: KubeObject) => {
  const status = p['status'] as { podIP?: string; conditions?: { type: string; status: string }[] } | undefined;
  return !!status?.podIP && !!status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
};

/** Applies the layout to one cluster and waits until its pods are Ready. */
export async function deployVerification(k: KubeClients, layout: VerificationCluster, opts: { timeoutMs?: number } = {}): Promise<DeployedWorkloads> {
  for (const o of layout.objects) await applyObject(k, o);
  const timeoutMs = opts.timeoutMs ?? 120_000;
  const done = await pollUntil(
    async () => {
      const pods = await listObjects(k, 'v1', 'Pod', { namespace: layout.namespace });
      const wanted = [...(layout.helloworld ? ['helloworld'] : []), 'sleep'].every((app) => pods.some((p) => p.metadata.labels?.['app'] === app && podReady(p)));
      if (!wanted || !pods.every(podReady)) return undefined;
      return Object.fromEntries(pods.map((p) => [p.metadata.name, (p['status'] as { podIP: string }).podIP]));
    },
    { timeoutMs, intervalMs: 500 },
  );
  if ('value' in done) return { cluster: layout.cluster, helloworld: layout.helloworld, pods: done.value };
  throw new Error(`${layout.cluster}: the sample pods are not Ready after ${Math.round(timeoutMs / 1000)} s (kubectl -n ${layout.namespace} get pods)`);
}
