/**
 * Which processes a lab pod runs, with which argv, environment and files: the pod's spec (as
 * the API server holds it, plus the lab's grpc-agent injection, grpcAgent.ts) turned into a
 * plan. Pure; podStarter.ts fetches the inputs and carries it out.
 */
import { posix } from 'node:path';
import type { LabBinaries } from './binaries.js';
import { AGENT_CONTAINER } from './grpcAgent.js';
import type { LabWorkload } from './images.js';
import { containerArgs, containerEnv, tokenKey, volumeFiles, type ContainerSpec, type PodFile, type PodInputs, type PodObject } from './podSpec.js';

export interface PodProcess {
  container: string;
  binary: string;
  args: string[];
  env: Record<string, string>;
  /** Start only once this file exists (the gRPC bootstrap the agent writes). */
  waitFor?: string;
}

export interface PodRunPlan {
  files: PodFile[];
  dirs: string[];
  processes: PodProcess[];
  /**
   * What `kubectl exec` into each container sees: its env (without values taken from secrets,
   * since this goes into kwok's Exec object, an API object) and the pod's root as its directory.
   */
  execContexts: Record<string, { env: Record<string, string>; workDir: string }>;
}

export interface ApiServerAccess {
  /** https://<ip>:<port> of the pod's own cluster. */
  server: string;
  caData: string;
}

/** The path (under the root) where the lab puts istiod's in-cluster credentials as a kubeconfig. */
export const LAB_IN_CLUSTER_KUBECONFIG = 'var/run/secrets/kubernetes.io/serviceaccount/lab-kubeconfig';

/**
 * client-go's in-cluster config reads absolute paths (/var/run/secrets/kubernetes.io/...) and
 * the Service address of the API server, neither of which a process outside a container has;
 * so the lab hands istiod the same credentials (its service account's bound token and the
 * cluster's CA, from its kube-api-access volume) as a kubeconfig naming its API server.
 */
export function inClusterKubeconfig(access: ApiServerAccess, token: string): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'in-cluster', cluster: { server: access.server, 'certificate-authority-data': access.caData } }],
    users: [{ name: 'in-cluster', user: { token } }],
    contexts: [{ name: 'in-cluster', context: { cluster: 'in-cluster', user: 'in-cluster' } }],
    'current-context': 'in-cluster',
  });
}

function containerPort(c: ContainerSpec | undefined, fallback: number): number {
  return c?.ports?.[0]?.containerPort ?? fallback;
}

/**
 * The echo server's flags for a HelloWorld or echo app container: gRPC on the container's
 * port, its version and cluster in every answer (pkg/test/echo/fields.go) and, when the pod
 * has the agent, an xDS-enabled gRPC server (so mTLS policy applies to it).
 */
export function echoServerArgs(app: ContainerSpec | undefined, version: string, cluster: string, xds: boolean): string[] {
  const port = String(containerPort(app, 5000));
  // An echo app container that brings its own flags (Istio's test pods do) keeps them.
  if (app?.args?.some((a) => a.startsWith('--'))) return app.args;
  return ['--grpc', port, ...(xds ? ['--xds-grpc-server', port] : []), '--version', version, '--cluster', cluster];
}

export interface WorkloadPlanInput {
  /** The pod, already through injection when it is injected. */
  pod: PodObject;
  workload: LabWorkload;
  inputs: PodInputs;
  root: string;
  binaries: Pick<LabBinaries, 'pilotDiscovery' | 'pilotAgent' | 'echoServer'>;
  /** The cluster's name, for an un-injected echo server's `--cluster`. */
  cluster: string;
  /** For istiod: the API server of its own cluster. */
  apiServer: ApiServerAccess;
  /** ISTIO_META_CLUSTER_ID when injected. */
  clusterID?: string;
}

export function workloadPlan(w: WorkloadPlanInput): PodRunPlan {
  const containers = w.pod.spec?.containers ?? [];
  const files: PodFile[] = [];
  const dirs: string[] = [];
  for (const c of containers) {
    const v = volumeFiles(w.pod, c, w.inputs);
    files.push(...v.files);
    dirs.push(...v.dirs);
  }
  const processes: PodProcess[] = [];
  const envOf = (c: ContainerSpec) => containerEnv(w.pod, c, w.inputs, w.root);
  const execContexts: PodRunPlan['execContexts'] = {};
  for (const c of containers) {
    const secretNames = new Set((c.env ?? []).filter((e) => e.valueFrom?.secretKeyRef).map((e) => e.name));
    execContexts[c.name] = { env: Object.fromEntries(Object.entries(envOf(c)).filter(([k]) => !secretNames.has(k))), workDir: w.root };
  }
  if (w.workload.kind === 'istiod') {
    const c = containers[0]!;
    const env = envOf(c);
    const token = w.inputs.tokens.get(tokenKey(undefined, 3607));
    const named = env['KUBECONFIG'];
    const materialised = named !== undefined && files.some((f) => posix.join(w.root, f.path) === named);
    if (!materialised && token) {
      files.push({ path: LAB_IN_CLUSTER_KUBECONFIG, content: inClusterKubeconfig(w.apiServer, token), mode: 0o600 });
      env['KUBECONFIG'] = posix.join(w.root, LAB_IN_CLUSTER_KUBECONFIG);
    }
    processes.push({ container: c.name, binary: w.binaries.pilotDiscovery, args: containerArgs(c, env), env });
    return { files, dirs, processes, execContexts };
  }
  const agent = containers.find((c) => c.name === AGENT_CONTAINER);
  const apps = containers.filter((c) => c.name !== AGENT_CONTAINER);
  if (agent) {
    const env = envOf(agent);
    processes.push({ container: agent.name, binary: w.binaries.pilotAgent, args: containerArgs(agent, env), env });
  }
  if (w.workload.kind === 'echo-server') {
    const app = apps[0];
    const env = app ? envOf(app) : {};
    const bootstrap = env['GRPC_XDS_BOOTSTRAP'];
    processes.push({
      container: app?.name ?? 'app',
      binary: w.binaries.echoServer,
      args: echoServerArgs(app, w.workload.version, agent ? (w.clusterID ?? w.cluster) : w.cluster, agent !== undefined),
      env,
      ...(agent && bootstrap ? { waitFor: bootstrap } : {}),
    });
  }
  // An echo client pod (seed 000's sleep) runs no process of its own: it waits for
  // `kubectl exec`, as sleep does; its agent keeps the gRPC bootstrap and certificates fresh.
  return { files, dirs, processes, execContexts };
}
