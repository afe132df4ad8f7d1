/**
 * Entry point of the lab pod runner, started detached by `lab up` as
 * `node dist/lab/podRunnerMain.js --state-dir=<dir>` when the lab has a pod network.
 */
import { join } from 'node:path';
import { kubeClients } from '../kube/index.js';
import { apiBridgeSocket, bridgeArg, serveApiSocket, type ApiBridgeTarget } from './apiBridge.js';
import { apiBridgeEntry } from './loadBalancerEntry.js';
import { labLayout } from './layout.js';
import { attachPod, detachPod, netnsPids } from './netns.js';
import { spawnComponent } from './processes.js';
import { podNetworkPlan } from './podNetwork.js';
import { runPodRunnerForCluster } from './podRunner.js';
import { readStateFile } from './state.js';

function log(line: string): void {
  process.stdout.write(`${new Date().toISOString()} ${line}\n`);
}

async function main(argv: string[]): Promise<number> {
  const arg = argv.find((a) => a.startsWith('--state-dir='));
  if (!arg) {
    log('usage: podRunnerMain.js --state-dir=<lab state dir>');
    return 64;
  }
  const stateDir = arg.slice('--state-dir='.length);
  const state = readStateFile(join(stateDir, 'state.json'));
  if (!state) {
    log(`no lab state in ${stateDir}`);
    return 66;
  }
  const controller = new AbortController();
  for (const sig of ['SIGTERM', 'SIGINT'] as const) process.on(sig, () => controller.abort());
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
      runPodRunnerForCluster({ node, clients: kubeClients(state.kubeconfig, state.clusters[i]!.context), signal: controller.signal, log, ops: { attach, detach: detachPod } }),
    ),
  );
  sockets.forEach((s) => s.close());
  log('lab pod runner stopped');
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    log(`fatal: ${(e as Error).stack ?? String(e)}`);
    process.exitCode = 1;
  },
);
