/**
 * Entry point of the lab load balancer (stands in for MetalLB), started detached by
 * `lab up` as `node dist/lab/loadBalancerMain.js --state-dir=<dir>`.
 */
import { join } from 'node:path';
import { kubeClients } from '../kube/index.js';
import { LOAD_BALANCER_NAME, runLoadBalancerForCluster } from './loadBalancer.js';
import { readStateFile } from './state.js';

function log(line: string): void {
  process.stdout.write(`${new Date().toISOString()} ${line}\n`);
}

async function main(argv: string[]): Promise<number> {
  const arg = argv.find((a) => a.startsWith('--state-dir='));
  if (!arg) {
    log('usage: loadBalancerMain.js --state-dir=<lab state dir>');
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
  log(`${LOAD_BALANCER_NAME} starting for mesh ${state.mesh}`);
  const runs = state.clusters.map((c) => {
    if (c.loadBalancerPoolPicked) log(`${c.name}: no loadBalancerPool in the mesh file; the lab hands out ${c.loadBalancerPool}, as a cloud would`);
    return runLoadBalancerForCluster({
      cluster: c.name,
      clients: kubeClients(state.kubeconfig, c.context),
      pool: c.loadBalancerPool,
      signal: controller.signal,
      log,
    });
  });
  await Promise.all(runs);
  log(`${LOAD_BALANCER_NAME} stopped`);
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
