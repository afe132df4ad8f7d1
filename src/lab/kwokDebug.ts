/**
 * `kubectl exec` and `kubectl logs` for the pods the lab runs, through kwok's own Exec and
 * Logs objects (kwok.x-k8s.io/v1alpha1, kwok v0.8.0). Pure: the objects, the kwok flags and
 * the exec wrapper, as data. podDebug.ts writes them.
 *
 * The path of a request, as on a real cluster: kubectl → API server
 * (`pods/exec`, `pods/log`) → the "kubelet" of the pod's node, which is kwok's server on the
 * node's InternalIP and daemon endpoint port (the cluster's loopback address, port
 * KWOK_KUBELET_PORT) → kwok looks up the Exec/Logs object named like the pod. With none, kwok
 * answers "no exec found for container ..." and runs nothing: every pod the lab does not run
 * stays a fake, for exec too.
 *
 * kwok runs an exec'd command itself, on its own host, looked up on its own PATH, with the
 * object's env added; it has no hook for a command prefix. The lab therefore starts kwok with
 * a PATH of one folder (execWrapper.ts) holding, for every program name on the host's PATH,
 * a link to one wrapper script, which enters the pod's network namespace (named by the Exec
 * object's env) with `ip netns exec` and runs the real program there. A lab part: a real
 * kubelet starts the command inside the container instead.
 */
import type { KubeObject } from '../kube/index.js';
import type { PodLike } from './images.js';
import { podLogPath } from './podFiles.js';

export const KWOK_API_VERSION = 'kwok.x-k8s.io/v1alpha1';
/** The kubelet's own port; each cluster's kwok binds it on the cluster's loopback address. */
export const KWOK_KUBELET_PORT = 10250;
/** The kinds kwok is told to watch (`--enable-crds`); their CRDs come from kwok's module. */
export const KWOK_DEBUG_KINDS = ['Exec', 'Logs'] as const;
/** The env var of an Exec object that names the pod's network namespace to the wrapper. */
export const POD_NETNS_ENV = 'MESHFED_POD_NETNS';
/** The env var holding the host's PATH, for the wrapper to find the real programs with. */
export const HOST_PATH_ENV = 'MESHFED_HOST_PATH';
/** Marks the objects the lab made, so they are told apart from a user's own. */
export const LAB_DEBUG_LABEL = 'meshfed.io/lab-pod';

export interface DebugPod {
  namespace: string;
  name: string;
  uid: string;
  containers: string[];
}

/** The facts the Exec and Logs objects need, or undefined for a pod without a uid yet. */
export function debugPodOf(pod: PodLike): DebugPod | undefined {
  const uid = pod.metadata.uid;
  if (!uid) return undefined;
  return { namespace: pod.metadata.namespace, name: pod.metadata.name, uid, containers: (pod.spec?.containers ?? []).map((c) => c.name) };
}

function metadataOf(pod: DebugPod): KubeObject['metadata'] {
  return {
    name: pod.name,
    namespace: pod.namespace,
    labels: { [LAB_DEBUG_LABEL]: 'true' },
    // Owned by the pod: the garbage collector removes them with it, even if the runner is down.
    ownerReferences: [{ apiVersion: 'v1', kind: 'Pod', name: pod.name, uid: pod.uid, blockOwnerDeletion: false }],
  };
}

/** What a command exec'd into one container sees besides the pod's namespace: its env and working directory. */
export interface ContainerExecContext {
  env?: Record<string, string>;
  workDir?: string;
}

/**
 * kwok's Exec object for a lab pod: every container's commands run in the pod's namespace;
 * a container named in `containers` also gets that env and working directory (as a
 * kubelet's exec sees the container's env), e.g. the gRPC xDS bootstrap of an echo client.
 */
export function kwokExecObject(pod: DebugPod, netns: string, containers: Record<string, ContainerExecContext> = {}): KubeObject {
  const netnsEnv = { name: POD_NETNS_ENV, value: netns };
  const named = Object.entries(containers).map(([name, c]) => ({
    containers: [name],
    local: {
      ...(c.workDir ? { workDir: c.workDir } : {}),
      envs: [...Object.entries(c.env ?? {}).filter(([k]) => k !== POD_NETNS_ENV && k !== HOST_PATH_ENV && k !== 'PATH').map(([k, v]) => ({ name: k, value: v })), netnsEnv],
    },
  }));
  return {
    apiVersion: KWOK_API_VERSION,
    kind: 'Exec',
    metadata: metadataOf(pod),
    // kwok takes the first target naming the container, else the first without names.
    spec: { execs: [...named, { local: { envs: [netnsEnv] } }] },
  };
}

/** kwok's Logs object for a lab pod: each container's log file (podFiles.ts). */
export function kwokLogsObject(pod: DebugPod, stateDir: string, cluster: string): KubeObject {
  return {
    apiVersion: KWOK_API_VERSION,
    kind: 'Logs',
    metadata: metadataOf(pod),
    spec: { logs: pod.containers.map((c) => ({ containers: [c], logsFile: podLogPath(stateDir, cluster, pod.namespace, pod.name, c), follow: true })) },
  };
}

/** kwok's flags for its kubelet server and the Exec/Logs objects. */
export function kwokServerArgs(ip: string, tls: { cert: string; key: string }): string[] {
  return [
    // On the cluster's loopback address only: kwok's server asks no client for credentials.
    `--server-address=${ip}:${KWOK_KUBELET_PORT}`,
    `--node-port=${KWOK_KUBELET_PORT}`,
    `--tls-cert-file=${tls.cert}`,
    `--tls-private-key-file=${tls.key}`,
    `--enable-crds=${KWOK_DEBUG_KINDS.join(',')}`,
  ];
}

/**
 * The wrapper every name in kwok's PATH links to. It refuses to run anything without a lab
 * pod namespace (so no exec ever lands on the host), then runs the program of its own name
 * inside that namespace with the host's PATH.
 */
export function execWrapperScript(prefix: string): string {
  return [
    '#!/bin/sh',
    '# meshfed lab: runs a `kubectl exec` command inside the lab pod network namespace that',
    `# kwok's Exec object names in $${POD_NETNS_ENV} (a lab part; a kubelet would enter the container).`,
    'name=${0##*/}',
    `ns=$${POD_NETNS_ENV}`,
    'case "$ns" in',
    `  ${prefix}*) ;;`,
    `  *) echo "meshfed lab: this pod has no lab network namespace; not running $name" >&2; exit 126 ;;`,
    'esac',
    `PATH=$${HOST_PATH_ENV}`,
    'export PATH',
    `unset ${POD_NETNS_ENV} ${HOST_PATH_ENV}`,
    'exec ip netns exec "$ns" "$name" "$@"',
    '',
  ].join('\n');
}
