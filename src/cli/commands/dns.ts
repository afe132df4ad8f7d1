import { Supervisor } from '../../discovery/index.js';
import { liveZone, startDnsServer, type DnsServer } from '../../dns/index.js';
import { MeshfedError } from '../../errors/index.js';
import { resolveKubeconfig } from '../environment.js';
import type { MemberSource } from '../flags.js';
import type { Io } from '../io.js';
import { stopSignal } from '../stopSignal.js';
import { loadMesh } from '../mesh.js';
import { membersOf } from './discover.js';

export interface DnsFlags {
  file: string;
  from: MemberSource;
  host: string;
  /** Checked by the flag's parser: 0 to 65535. */
  port: number;
  /** The cluster whose resolver this answers (its ServiceImports' IPs); default the first of the mesh file. */
  cluster?: string;
  kubeconfig?: string;
}

/** `meshfed dns`: clusterset.local answers from the registry, until interrupted (SIGINT/SIGTERM). */
export async function dnsCommand(flags: DnsFlags, io: Io, until?: Promise<void>): Promise<void> {
  const loaded = await loadMesh(flags.file, io);
  const spec = loaded.mesh.spec;
  if (spec.services?.discovery !== 'mcs')
    throw new MeshfedError({ code: 'MF9520', message: `${flags.file}: services.discovery is ${spec.services?.discovery ?? 'istio (by default)'}, so no service has a clusterset.local name`, hint: 'set `services: { discovery: mcs }` in the mesh file and apply it; or use `services.dnsProxy: true` for Istio\'s DNS proxying instead', resource: '--file' });
  const cluster = flags.cluster ?? spec.clusters[0]!.name;
  if (!spec.clusters.some((c) => c.name === cluster))
    throw new MeshfedError({ code: 'MF9521', message: `--cluster ${cluster}: no such cluster in ${flags.file}`, hint: `one of: ${spec.clusters.map((c) => c.name).join(', ')}`, resource: '--cluster' });
  const supervisor = new Supervisor({ members: membersOf(loaded, flags.from, resolveKubeconfig(flags.kubeconfig, loaded)), mcs: true }).start();
  const zone = liveZone(supervisor, { cluster });
  let server: DnsServer;
  try {
    server = await startDnsServer({ zone: zone.zone, host: flags.host, port: flags.port });
  } catch (e) {
    zone.stop();
    await supervisor.stop();
    throw new MeshfedError({ code: 'MF9522', message: `dns: cannot listen on ${flags.host}:${flags.port}: ${(e as Error).message}`, hint: 'pick another --port (0 picks a free one) or an address of this machine with --host', resource: '--port', cause: e });
  }
  const where = server.host.includes(':') ? `[${server.host}]:${server.port}` : `${server.host}:${server.port}`;
  if (!io.quiet) io.err(`meshfed dns: clusterset.local as cluster ${cluster} sees it, on ${where} (UDP and TCP); try: dig @${server.host} -p ${server.port} <svc>.<ns>.svc.clusterset.local (Ctrl-C stops)\n`);
  // The address alone on stdout, for scripts that start it with --port 0.
  io.out(`${where}\n`);
  const stop = until ?? stopSignal();
  try {
    await stop;
  } finally {
    await server.close();
    zone.stop();
    await supervisor.stop();
  }
}
