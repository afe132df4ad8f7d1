/**
 * Entry point of the lab pod runner, started detached by `lab up` as
 * `node dist/lab/podRunnerMain.js --state-dir=<dir>` when the lab has a pod network.
 */
import { join } from 'node:path';
import { kubeClients } from '../kube/index.js';
import { runLabDaemon } from './daemon.js';
import { apiBridgeSocket, bridgeArg, serveApiSocket, type ApiBridgeTarget } from './apiBridge.js';
import { apiBridgeEntry } from './loadBalancerEntry.js';
import { labLayout } from './layout.js';
import { attachPod, detachPod, netnsPids } from './netns.js';
import { spawnComponent } from './processes.js';
import { podNetworkPlan } from './podNetwork.js';
import { runPodRunnerForCluster } from './podRunner.js';

runLabDaemon('podRunnerMain.js', async ({ stateDir, state, signal, log }) => {
  const plan = podNetworkPlan(stateDir, state.clusters);
  const layout = labLayout(stateDir);
  log(`lab pod runner starting for mesh ${state.mesh} (namespaces ${plan.prefix}*)`);
  // The root side of the API bridge: one unix socket per API server of the lab.
  const bridges: ApiBridgeTarget[] = state.clusters.map((c, i) => ({ host: c.ip, port: c.port, socket: apiBridgeSocket(layout.externalDir ?? layout.stateDir, layout.stateDir, i) }));
  const sockets = bridges.map(serveApiSocket);
  const entry = apiBridgeEntry();
  const attach = (node: Parameters<typeof attachPod>[0], ip: string): string => {
    const netns = attachPod(node, ip);
    // Every lab pod reaches the lab's API servers at their own addresses, as pods reach theirs.
    if (netnsPids(netns).length === 0) {
      spawnComponent({ binary: 'ip', args: ['netns', 'exec', netns, process.execPath, entry, `--state-dir=${layout.stateDir}`, ...bridges.map(bridgeArg)], logPath: join(layout.logsDir, `${netns}-api-bridge.log`) });
    }
    return netns;
  };
  await Promise.all(
    plan.nodes.map((node, i) =>
      runPodRunnerForCluster({ node, clients: kubeClients(state.kubeconfig, state.clusters[i]!.context), signal, log, ops: { attach, detach: detachPod } }),
    ),
  );
  sockets.forEach((s) => s.close());
  log('lab pod runner stopped');
});
