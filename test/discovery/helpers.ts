import { stringify } from 'yaml';
import { checkKubeconfig } from '../../src/discovery/index.js';
import { kubeClientsFromInline, type KubeClients, type KubeObject } from '../../src/kube/index.js';

/** A token that must never leak into any message or JSON. */
export const SECRET_TOKEN = 'eyJhbGciOiJSUzI1NiJ9.very-secret-token-value';

/** A kubeconfig shaped like istioctl create-remote-secret's: cluster, context and user named after the cluster. */
export function kubeconfig(clusterId: string, server: string, token = SECRET_TOKEN): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: clusterId, cluster: { server, 'certificate-authority-data': 'Q0EK' } }],
    contexts: [{ name: clusterId, context: { cluster: clusterId, user: clusterId } }],
    'current-context': clusterId,
    users: [{ name: clusterId, user: { token } }],
  });
}

/** Clients for a kubeconfig text the way discovery makes them: checked by the allow-list, built from what it accepted. */
export function clientsOfKubeconfig(text: string): KubeClients {
  const checked = checkKubeconfig(text);
  if (!checked.ok) throw new Error(`${checked.problem.message} (${checked.problem.field ?? ''})`);
  return kubeClientsFromInline(checked.client);
}

export const b64 = (s: string) => Buffer.from(s).toString('base64');

export function remoteSecret(
  name: string,
  data: Record<string, string>,
  opts: { namespace?: string; labels?: Record<string, string>; raw?: boolean } = {},
): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace: opts.namespace ?? 'istio-system', labels: opts.labels ?? { 'istio/multiCluster': 'true' } },
    data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, opts.raw ? v : b64(v)])),
  };
}

export function namespace(name: string, labels: Record<string, string> = {}): KubeObject {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } };
}

export function service(
  name: string,
  ns: string,
  opts: { clusterIP?: string; ports?: { name: string; port: number }[]; type?: string; labels?: Record<string, string>; ingress?: { ip?: string; hostname?: string }[]; externalIPs?: string[] } = {},
): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: ns, labels: opts.labels ?? {} },
    spec: {
      type: opts.type ?? 'ClusterIP',
      clusterIP: opts.clusterIP ?? '10.96.0.10',
      ports: (opts.ports ?? [{ name: 'http', port: 5000 }]).map((p) => ({ ...p, protocol: 'TCP' })),
      ...(opts.externalIPs ? { externalIPs: opts.externalIPs } : {}),
    },
    status: { loadBalancer: { ingress: opts.ingress ?? [] } },
  };
}

/** The east-west gateway Service as gen-eastwest-gateway.sh makes it, with its load-balancer address. */
export function eastWestGateway(network: string, ip: string, opts: { labels?: Record<string, string>; ports?: { name: string; port: number }[]; name?: string } = {}): KubeObject {
  return service(opts.name ?? 'istio-eastwestgateway', 'istio-system', {
    type: 'LoadBalancer',
    clusterIP: '10.96.1.1',
    labels: { istio: 'eastwestgateway', 'topology.istio.io/network': network, ...opts.labels },
    ports: opts.ports ?? [
      { name: 'status-port', port: 15021 },
      { name: 'tls', port: 15443 },
      { name: 'tls-istiod', port: 15012 },
      { name: 'tls-webhook', port: 15017 },
    ],
    ingress: [{ ip }],
  });
}

export interface PodSpec {
  name: string;
  ip: string;
  ready?: boolean;
  labels?: Record<string, string>;
}

/** A pod with a sidecar (tlsMode istio) unless its labels say otherwise. */
export function pod(ns: string, p: PodSpec): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: p.name, namespace: ns, labels: { app: 'helloworld', 'security.istio.io/tlsMode': 'istio', ...p.labels } },
    status: { phase: 'Running', podIP: p.ip, conditions: [{ type: 'Ready', status: p.ready === false ? 'False' : 'True' }] },
  };
}

/** The EndpointSlice the Kubernetes controller writes for `service`'s pods (conditions always set). */
export function endpointSlice(serviceName: string, ns: string, pods: PodSpec[], ports: { name: string; port: number }[] = [{ name: 'http', port: 5000 }], sliceName?: string): KubeObject {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: sliceName ?? `${serviceName}-abc12`, namespace: ns, labels: { 'kubernetes.io/service-name': serviceName } },
    addressType: 'IPv4',
    ports: ports.map((p) => ({ ...p, protocol: 'TCP' })),
    endpoints: pods.map((p) => ({
      addresses: [p.ip],
      conditions: { ready: p.ready !== false, serving: p.ready !== false, terminating: false },
      targetRef: { kind: 'Pod', namespace: ns, name: p.name },
    })),
  };
}
