/**
 * Entry point of the lab load balancer (stands in for MetalLB), started detached by
 * `lab up` as `node dist/lab/loadBalancerMain.js --state-dir=<dir>`.
 */
import { kubeClients } from '../kube/index.js';
import { runLabDaemon } from './daemon.js';
import { LOAD_BALANCER_NAME, runLoadBalancerForCluster } from './loadBalancer.js';

runLabDaemon('loadBalancerMain.js', async ({ state, signal, log }) => {
  log(`${LOAD_BALANCER_NAME} starting for mesh ${state.mesh}`);
  const runs = state.clusters.map((c) => {
    if (c.loadBalancerPoolPicked) log(`${c.name}: no loadBalancerPool in the mesh file; the lab hands out ${c.loadBalancerPool}, as a cloud would`);
    return runLoadBalancerForCluster({
      cluster: c.name,
      clients: kubeClients(state.kubeconfig, c.context),
      pool: c.loadBalancerPool,
      signal,
      log,
    });
  });
  await Promise.all(runs);
  log(`${LOAD_BALANCER_NAME} stopped`);
});
