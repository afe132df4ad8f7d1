import { LAB_ERROR_CODES, LabError } from './errors.js';
import { KWOK_KUBELET_PORT } from './kwokDebug.js';
import type { LabPlan } from './plan.js';
import { portHolder } from './processes.js';

/** Every address:port the lab will bind must be free; says who holds one that is not. */
export function assertPortsFree(plan: LabPlan): void {
  const wanted: { ip: string; port: number; what: string; cluster?: string }[] = [
    { ip: plan.etcd.ip, port: plan.etcd.clientPort, what: 'etcd' },
    { ip: plan.etcd.ip, port: plan.etcd.peerPort, what: 'etcd (peer)' },
    ...plan.clusters.map((c) => ({ ip: c.ip, port: c.port, what: `the API server of ${c.name}`, cluster: c.name })),
    ...plan.clusters.map((c) => ({ ip: c.ip, port: KWOK_KUBELET_PORT, what: `kwok's kubelet server of ${c.name} (exec, logs)`, cluster: c.name })),
  ];
  for (const w of wanted) {
    const holder = portHolder(w.ip, w.port);
    if (!holder) continue;
    throw new LabError({ code: LAB_ERROR_CODES.portInUse, message: `${w.ip}:${w.port}, needed by ${w.what}, is held by ${holder.pid !== undefined ? `pid ${holder.pid}` : 'another process'} (${holder.command}), which this lab did not start`, hint: 'stop that process, or give the cluster another loopback address (apiServer: https://127.0.x.y:6443 in the mesh file)', cluster: w.cluster });
  }
}

/** etcd's own health endpoint (plain HTTP on loopback; etcd is the lab's, not a cluster API). */
export async function etcdHealthy(plan: LabPlan): Promise<true | string> {
  try {
    const res = await fetch(`http://${plan.etcd.ip}:${plan.etcd.clientPort}/health`, { signal: AbortSignal.timeout(2_000) });
    const body = (await res.json()) as { health?: string };
    return body.health === 'true' ? true : `health ${JSON.stringify(body)}`;
  } catch (e) {
    return (e as Error).message;
  }
}
