/**
 * Entry point of the lab pod runner, started detached by `lab up` as
 * `node dist/lab/podRunnerMain.js --state-dir=<dir>` when the lab has a pod network.
 */
import { createHash } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { kubeClients } from '../kube/index.js';
import { runLabDaemon } from './daemon.js';
import { apiBridgeSocket, bridgeArg, serveApiSocket, type ApiBridgeTarget } from './apiBridge.js';
import { labBinaryPaths } from './binaries.js';
import { labWorkloadOf } from './images.js';
import { apiBridgeEntry } from './loadBalancerEntry.js';
import { labLayout } from './layout.js';
import { attachPod, detachPod, killNetnsProcesses } from './netns.js';
import { spawnComponent } from './processes.js';
import { kwokPodDebugOps } from './podDebug.js';
import { podNetworkPlan, type ClusterNode } from './podNetwork.js';
import { runPodRunnerForCluster, type PodNetworkOps } from './podRunner.js';
import { startLabPod } from './podStarter.js';
import type { PodObject } from './podSpec.js';
import { podLogPath, podRootDir } from './podFiles.js';
import { runGatewayForwards } from './gatewayForward.js';

runLabDaemon('podRunnerMain.js', async ({ stateDir, state, signal, log }) => {
  const plan = podNetworkPlan(stateDir, state.clusters);
  const layout = labLayout(stateDir);
  const binaries = labBinaryPaths();
  log(`lab pod runner starting for mesh ${state.mesh} (namespaces ${plan.prefix}*)`);
  // The root side of the API bridge: one unix socket per API server of the lab.
  const bridges: ApiBridgeTarget[] = state.clusters.map((c, i) => ({ host: c.ip, port: c.port, socket: apiBridgeSocket(layout.externalDir ?? layout.stateDir, layout.stateDir, i) }));
  const sockets = bridges.map(serveApiSocket);
  const entry = apiBridgeEntry();
  const clients = state.clusters.map((c) => kubeClients(state.kubeconfig, c.context));
  const starting = new Map<string, AbortController>();
  // kwok's Exec and Logs objects per cluster (podDebug.ts): rewritten with each container's
  // env once its pod has started, so `kubectl exec` sees what a container would.
  const debugs = plan.nodes.map((node, i) => kwokPodDebugOps({ cluster: node.name, clients: clients[i]!, stateDir: layout.stateDir, log }));
  const keyOf = (node: ClusterNode, k: string) => `${node.name}/${k}`;
  // Unix socket paths are short: the pods' XDS folders live beside the API bridge's sockets.
  const xdsDirOf = (node: ClusterNode, k: string) => join(layout.externalDir ?? layout.stateDir, `${plan.prefix}xds`, createHash('sha256').update(keyOf(node, k)).digest('hex').slice(0, 12));

  const ops: PodNetworkOps = {
    attach(node, ip) {
      const netns = attachPod(node, ip);
      // A namespace left by an earlier runner holds processes of a pod that starts afresh now.
      killNetnsProcesses(netns);
      if (signal.aborted) return netns; // stopping: start nothing new
      // Every lab pod reaches the lab's API servers at their own addresses, as pods reach theirs.
      spawnComponent({ binary: 'ip', args: ['netns', 'exec', netns, process.execPath, entry, `--state-dir=${layout.stateDir}`, ...bridges.map(bridgeArg)], logPath: join(layout.logsDir, `${netns}-api-bridge.log`) });
      return netns;
    },
    detach: detachPod,
    run(node, pod, netns) {
      const workload = labWorkloadOf(pod);
      if (!workload || signal.aborted) return;
      const i = plan.nodes.indexOf(node);
      const cluster = state.clusters[i]!;
      const key = keyOf(node, `${pod.metadata.namespace}/${pod.metadata.name}`);
      starting.get(key)?.abort();
      const controller = new AbortController();
      starting.set(key, controller);
      // Ends when the pod goes or the runner stops (no listener left on the runner's signal per start).
      const podSignal = AbortSignal.any([signal, controller.signal]);
      const { namespace, name } = pod.metadata;
      startLabPod(pod as PodObject, workload, {
        clients: clients[i]!,
        cluster: node.name,
        netns,
        root: podRootDir(layout.stateDir, node.name, namespace, name),
        xdsDir: xdsDirOf(node, `${namespace}/${name}`),
        logPath: (container) => podLogPath(layout.stateDir, node.name, namespace, name, container),
        binaries,
        apiServer: { server: `https://${cluster.ip}:${cluster.port}`, caData: clients[i]!.config.getCurrentCluster()?.caData ?? '' },
        signal: podSignal,
        log,
      })
        .then((started) => {
          if (!podSignal.aborted) debugs[i]!.podAttached(pod, netns, started.execContexts);
        })
        .catch((e: unknown) => log(`${node.name}: ${pod.metadata.namespace}/${pod.metadata.name}: not started: ${(e as Error).message}`));
    },
    stop(node, k) {
      const key = keyOf(node, k);
      starting.get(key)?.abort();
      starting.delete(key);
      // The pod's files hold its tokens (and istiod's CA key): they go with it; its logs stay.
      const [namespace = '', name = ''] = k.split('/');
      rmSync(podRootDir(layout.stateDir, node.name, namespace, name), { recursive: true, force: true });
      rmSync(xdsDirOf(node, k), { recursive: true, force: true });
    },
  };
  await Promise.all([
    ...plan.nodes.map((node, i) =>
      runPodRunnerForCluster({ node, clients: clients[i]!, signal, log, ops, debug: debugs[i]! }),
    ),
    runGatewayForwards({ plan, clients, signal, log, entry, logsDir: layout.logsDir, stateDir: layout.stateDir }),
  ]);
  sockets.forEach((s) => s.close());
  log('lab pod runner stopped');
});
