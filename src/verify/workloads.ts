import { applyObject, listObjects, pollUntil, type KubeClients, type KubeObject } from '../kube/index.js';
import type { Plan } from '../plan/index.js';

/** Seed 000's verification namespace, with automatic sidecar injection on. */
export const SAMPLE_NAMESPACE = 'sample';

export type HelloworldVersion = 'v1' | 'v2';

// The objects of Istio's samples/helloworld/helloworld.yaml and samples/sleep/sleep.yaml, which
// seed 000 applies with `-l service=helloworld`, `-l version=v1|v2` and the sleep file.
const HELLOWORLD_IMAGE = (v: HelloworldVersion) => `registry.istio.io/release/examples-helloworld-${v}:1.0`;
const SLEEP_IMAGE = 'docker.io/curlimages/curl:8.16.0';

function namespace(): KubeObject {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name: SAMPLE_NAMESPACE, labels: { 'istio-injection': 'enabled' } } };
}

function helloworldService(): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'helloworld', namespace: SAMPLE_NAMESPACE, labels: { app: 'helloworld', service: 'helloworld' } },
    spec: { ports: [{ port: 5000, name: 'http' }], selector: { app: 'helloworld' } },
  };
}

function helloworldDeployment(version: HelloworldVersion): KubeObject {
  const labels = { app: 'helloworld', version };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: `helloworld-${version}`, namespace: SAMPLE_NAMESPACE, labels },
    spec: {
      replicas: 1,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: {
          containers: [{ name: 'helloworld', image: HELLOWORLD_IMAGE(version), resources: { requests: { cpu: '100m' } }, imagePullPolicy: 'IfNotPresent', ports: [{ containerPort: 5000 }] }],
        },
      },
    },
  };
}

function sleepObjects(): KubeObject[] {
  return [
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'sleep', namespace: SAMPLE_NAMESPACE } },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'sleep', namespace: SAMPLE_NAMESPACE, labels: { app: 'sleep', service: 'sleep' } },
      spec: { ports: [{ port: 80, name: 'http' }], selector: { app: 'sleep' } },
    },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'sleep', namespace: SAMPLE_NAMESPACE },
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
  /** The HelloWorld version this cluster serves. */
  helloworld: HelloworldVersion;
  objects: KubeObject[];
}

/**
 * Seed 000's layout: HelloWorld v1 in the first cluster, v2 in the second (alternating beyond),
 * the helloworld Service and the sleep client in every cluster, so a call from any sleep can be
 * answered by either version only if traffic crosses clusters.
 */
export function verificationLayout(plan: Plan): VerificationCluster[] {
  return plan.clusters.map((c, i) => {
    const version: HelloworldVersion = i % 2 === 0 ? 'v1' : 'v2';
    return { cluster: c.name, helloworld: version, objects: [namespace(), helloworldService(), helloworldDeployment(version), ...sleepObjects()] };
  });
}

export interface DeployedWorkloads {
  cluster: string;
  helloworld: HelloworldVersion;
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
      const pods = await listObjects(k, 'v1', 'Pod', { namespace: SAMPLE_NAMESPACE });
      const wanted = ['helloworld', 'sleep'].every((app) => pods.some((p) => p.metadata.labels?.['app'] === app && podReady(p)));
      if (!wanted || !pods.every(podReady)) return undefined;
      return Object.fromEntries(pods.map((p) => [p.metadata.name, (p['status'] as { podIP: string }).podIP]));
    },
    { timeoutMs, intervalMs: 500 },
  );
  if ('value' in done) return { cluster: layout.cluster, helloworld: layout.helloworld, pods: done.value };
  throw new Error(`${layout.cluster}: the sample pods are not Ready after ${Math.round(timeoutMs / 1000)} s (kubectl -n ${SAMPLE_NAMESPACE} get pods)`);
}
