/**
 * The lab's stand-in for the east-west gateway's passthrough of istiod (40-expose-istiod.yaml
 * routes 15012 and 15017 by SNI to istiod; there is no Envoy to run the gateway): for each
 * LoadBalancer Service in istio-system that offers 15012 or 15017 and has an address, a
 * layer-4 forward inside the fabric from that address to istiod's endpoint in the same
 * cluster. A remote's agents dial `remotePilotAddress`, which is that address. Reconciled
 * every few seconds from the API, so a new address or a restarted istiod is followed.
 */
import { listObjects, sleep, type KubeClients } from '../kube/index.js';
import { parseCidr, contains } from '../topology/index.js';
import { forwardArg, type TcpForward } from './apiBridge.js';
import { spawnComponent } from './processes.js';
import type { PodNetworkPlan } from './podNetwork.js';
import { serviceEndpoint } from './podStarter.js';
import { join } from 'node:path';

export const ISTIOD_PORTS = [15012, 15017];

interface ServiceLike {
  spec?: { type?: string; ports?: { port: number }[] };
  status?: { loadBalancer?: { ingress?: { ip?: string }[] } };
}

/** Forwards for one cluster, from its istio-system Services and istiod's endpoint. Pure. */
export function gatewayForwards(services: ServiceLike[], istiodIP: string | undefined, podCIDR: string): TcpForward[] {
  const pods = parseCidr(podCIDR);
  // Only an istiod of this cluster's own pods: a remote's istiod Service points at its
  // primary's gateway, and forwarding there would loop.
  if (!istiodIP || !pods || !contains(pods, istiodIP)) return [];
  const out: TcpForward[] = [];
  for (const s of services) {
    const ip = s.status?.loadBalancer?.ingress?.[0]?.ip;
    if (s.spec?.type !== 'LoadBalancer' || !ip) continue;
    for (const p of s.spec.ports ?? []) {
      if (ISTIOD_PORTS.includes(p.port)) out.push({ listenHost: ip, listenPort: p.port, targetHost: istiodIP, targetPort: p.port });
    }
  }
  return out.sort((a, b) => forwardArg(a).localeCompare(forwardArg(b)));
}

export interface GatewayForwardOptions {
  plan: PodNetworkPlan;
  clients: KubeClients[];
  signal: AbortSignal;
  log: (line: string) => void;
  /** apiBridgeMain.js */
  entry: string;
  logsDir: string;
  stateDir: string;
  intervalMs?: number;
}

export async function runGatewayForwards(opts: GatewayForwardOptions): Promise<void> {
  const running = new Map<string, { key: string; pid: number }>();
  const stop = (cluster: string) => {
    const r = running.get(cluster);
    try {
      if (r) process.kill(-r.pid, 'SIGTERM');
    } catch {
      // gone already
    }
    running.delete(cluster);
  };
  while (!opts.signal.aborted) {
    await Promise.all(
      opts.plan.nodes.map(async (node, i) => {
        let want: TcpForward[];
        try {
          const services = (await listObjects(opts.clients[i]!, 'v1', 'Service', { namespace: 'istio-system' })) as ServiceLike[];
          const istiod = await serviceEndpoint(opts.clients[i]!, { name: 'istiod', namespace: 'istio-system' });
          want = gatewayForwards(services, istiod, node.podCIDR);
        } catch {
          return; // the API server is away; keep what runs
        }
        const key = want.map(forwardArg).join(' ');
        if (running.get(node.name)?.key === key) return;
        stop(node.name);
        if (want.length === 0 || opts.signal.aborted) return;
        const child = spawnComponent({ binary: 'ip', args: ['netns', 'exec', opts.plan.fabric, process.execPath, opts.entry, `--state-dir=${opts.stateDir}`, ...want.map(forwardArg)], logPath: join(opts.logsDir, `${node.name}-gateway-forward.log`) });
        running.set(node.name, { key, pid: child.pid });
        opts.log(`${node.name}: east-west gateway stand-in: ${key.replaceAll('--tcp=', '')}`);
      }),
    );
    await sleep(opts.intervalMs ?? 2_000, opts.signal);
  }
  for (const c of [...running.keys()]) stop(c);
}
