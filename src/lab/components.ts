import type { LabComponent } from './state.js';
import type { LabClusterPlan, LabPlan } from './plan.js';
import type { ClusterPki } from './pki.js';
import { kwokServerArgs } from './kwokDebug.js';

/** A process to start: program, arguments and the Go runtime tuning that keeps it small. */
export interface ComponentSpec {
  component: LabComponent;
  cluster?: string;
  binary: string;
  args: string[];
  env: Record<string, string>;
}

/**
 * Soft memory limits: Go collects harder as a process nears them, which keeps a lab of
 * several clusters well inside a few GiB without starving it of CPU at start.
 */
const GO_TUNING: Record<LabComponent, Record<string, string>> = {
  etcd: { GOMEMLIMIT: '192MiB', GOGC: '100' },
  'kube-apiserver': { GOMEMLIMIT: '384MiB', GOGC: '100' },
  'kube-controller-manager': { GOMEMLIMIT: '160MiB', GOGC: '100' },
  'kube-scheduler': { GOMEMLIMIT: '96MiB', GOGC: '100' },
  kwok: { GOMEMLIMIT: '96MiB', GOGC: '100' },
  'load-balancer': {},
  'pod-runner': {},
};

/** Issuer every lab cluster's service account tokens carry (the in-cluster API address). */
export const SERVICE_ACCOUNT_ISSUER = 'https://kubernetes.default.svc.cluster.local';

/**
 * The controllers the lab needs: workloads (Deployment → ReplicaSet → Pod, StatefulSet,
 * DaemonSet, Job), Service endpoints, service accounts and their legacy token Secrets, the
 * kube-root-ca.crt ConfigMap, namespace deletion, garbage collection, aggregated RBAC
 * roles (admin/edit/view), and node lifecycle: admission taints every new Node not-ready and
 * only that controller lifts the taint once kwok reports the node Ready.
 */
export const LAB_CONTROLLERS = [
  'deployment-controller',
  'replicaset-controller',
  'statefulset-controller',
  'daemonset-controller',
  'job-controller',
  'cronjob-controller',
  'endpoints-controller',
  'endpointslice-controller',
  'endpointslice-mirroring-controller',
  'serviceaccount-controller',
  'serviceaccount-token-controller',
  'root-ca-certificate-publisher-controller',
  'namespace-controller',
  'garbage-collector-controller',
  'pod-garbage-collector-controller',
  'clusterrole-aggregation-controller',
  'node-lifecycle-controller',
  'service-cidr-controller',
  'disruption-controller',
  'ttl-after-finished-controller',
] as const;

export function etcdSpec(binary: string, plan: LabPlan, dataDir: string): ComponentSpec {
  const { ip, clientPort, peerPort } = plan.etcd;
  return {
    component: 'etcd',
    binary,
    args: [
      '--name=lab',
      `--data-dir=${dataDir}`,
      `--listen-client-urls=http://${ip}:${clientPort}`,
      `--advertise-client-urls=http://${ip}:${clientPort}`,
      `--listen-peer-urls=http://${ip}:${peerPort}`,
      `--initial-advertise-peer-urls=http://${ip}:${peerPort}`,
      `--initial-cluster=lab=http://${ip}:${peerPort}`,
      // The lab's data is disposable: skipping fsync makes every API write cheap.
      '--unsafe-no-fsync',
      '--quota-backend-bytes=2147483648',
      '--log-level=warn',
    ],
    env: GO_TUNING.etcd,
  };
}

export function apiServerSpec(binary: string, plan: LabPlan, c: LabClusterPlan, pki: ClusterPki): ComponentSpec {
  return {
    component: 'kube-apiserver',
    cluster: c.name,
    binary,
    args: [
      `--advertise-address=${c.ip}`,
      `--bind-address=${c.ip}`,
      `--secure-port=${c.port}`,
      `--etcd-servers=http://${plan.etcd.ip}:${plan.etcd.clientPort}`,
      // One etcd serves every cluster of the lab, each under its own prefix.
      `--etcd-prefix=/${c.name}/registry`,
      `--service-cluster-ip-range=${c.serviceCIDR}`,
      `--tls-cert-file=${pki.serving.cert}`,
      `--tls-private-key-file=${pki.serving.key}`,
      `--client-ca-file=${pki.ca.cert}`,
      `--service-account-issuer=${SERVICE_ACCOUNT_ISSUER}`,
      `--service-account-key-file=${pki.serviceAccountPub}`,
      `--service-account-signing-key-file=${pki.serviceAccountKey}`,
      '--authorization-mode=RBAC',
      // No kubelets and no real network: the `kubernetes` Service needs no endpoints, and the
      // reconciler would otherwise fight over a loopback advertise address.
      '--endpoint-reconciler-type=none',
      // Priority and fairness costs CPU and memory to protect a shared production API.
      '--enable-priority-and-fairness=false',
      '--allow-privileged=true',
      // Admission webhooks point at Services whose pods never run here (istiod's injector and
      // validator): the API server would dial fake pod/ClusterIP addresses in private ranges.
      // The webhook configurations are still stored and readable; they are just not called.
      '--disable-admission-plugins=MutatingAdmissionWebhook,ValidatingAdmissionWebhook',
      '--profiling=false',
      '--event-ttl=30m',
      // `kubectl exec`/`logs` go to the node's "kubelet": kwok's server on the node's
      // InternalIP (its Hostname, the node name, resolves nowhere), with a certificate of this
      // cluster's CA naming that address (kwokDebug.ts).
      '--kubelet-preferred-address-types=InternalIP',
      `--kubelet-certificate-authority=${pki.ca.cert}`,
    ],
    env: GO_TUNING['kube-apiserver'],
  };
}

export function controllerManagerSpec(binary: string, c: LabClusterPlan, pki: ClusterPki, kubeconfig: string): ComponentSpec {
  return {
    component: 'kube-controller-manager',
    cluster: c.name,
    binary,
    args: [
      `--kubeconfig=${kubeconfig}`,
      // No serving port at all: nothing scrapes it and N clusters would fight over 10257.
      '--secure-port=0',
      '--leader-elect=false',
      '--use-service-account-credentials=true',
      `--service-account-private-key-file=${pki.serviceAccountKey}`,
      `--root-ca-file=${pki.ca.cert}`,
      `--service-cluster-ip-range=${c.serviceCIDR}`,
      `--controllers=${LAB_CONTROLLERS.join(',')}`,
      '--kube-api-qps=100',
      '--kube-api-burst=200',
      '--profiling=false',
    ],
    env: GO_TUNING['kube-controller-manager'],
  };
}

export function schedulerSpec(binary: string, c: LabClusterPlan, kubeconfig: string): ComponentSpec {
  return {
    component: 'kube-scheduler',
    cluster: c.name,
    binary,
    args: [`--kubeconfig=${kubeconfig}`, '--secure-port=0', '--leader-elect=false', '--profiling=false'],
    env: GO_TUNING['kube-scheduler'],
  };
}

/**
 * kwok, with its kubelet server for `kubectl exec` and `logs` (kwokDebug.ts): `execEnv` is
 * the env from execWrapper.ts, whose PATH holds only the wrapper's links.
 */
export function kwokSpec(binary: string, c: LabClusterPlan, kubeconfig: string, stages: string[], pki: ClusterPki, execEnv: Record<string, string>): ComponentSpec {
  return {
    component: 'kwok',
    cluster: c.name,
    binary,
    args: [
      `--kubeconfig=${kubeconfig}`,
      '--manage-all-nodes=true',
      // Pod IPs come from the cluster's planned pod range.
      `--cidr=${c.podCIDR}`,
      `--node-ip=${c.ip}`,
      // Leases instead of status heartbeats: far fewer writes per node.
      '--node-lease-duration-seconds=40',
      ...kwokServerArgs(c.ip, pki.kubelet),
      ...stages.map((s) => `--config=${s}`),
    ],
    env: { ...GO_TUNING.kwok, ...execEnv },
  };
}

export function loadBalancerSpec(nodeBinary: string, entry: string, stateDir: string, component: 'load-balancer' | 'pod-runner' = 'load-balancer'): ComponentSpec {
  return {
    component,
    binary: nodeBinary,
    args: [entry, `--state-dir=${stateDir}`],
    env: {},
  };
}
