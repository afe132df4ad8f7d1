/**
 * Entry point of the lab pod runner, started detached by `lab up` as
 * `node dist/lab/podRunnerMain.js --state-dir=<dir>` when the lab has a pod network.
 */
import { join } from 'node:path';
import { kubeClients } from '../kube/index.js';
import { attachPod, detachPod } from './netns.js';
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
  log(`lab pod runner starting for mesh ${state.mesh} (namespaces ${plan.prefix}*)`);
  await Promise.all(
    plan.nodes.map((node, i) =>
      runPodRunnerForCluster({ node, clients: kubeClients(state.kubeconfig, state.clusters[i]!.context), signal: controller.signal, log, ops: { attach: attachPod, detach: detachPod } }),
    ),
  );
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
