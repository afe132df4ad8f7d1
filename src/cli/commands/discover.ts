import { Supervisor, mcsState, serviceScopes, splitHorizonView, type ClusterInfo, type Registry, type ServiceScope, type SupervisorMembers } from '../../discovery/index.js';
import { kubeClients, kubeClientsFromInline, within } from '../../kube/index.js';
import { resolveKubeconfig } from '../environment.js';
import { CommandExit, EXIT } from '../exit.js';
import type { MemberSource } from '../flags.js';
import type { Io } from '../io.js';
import { loadMesh, type LoadedMesh } from '../mesh.js';

export interface DiscoverFlags {
  file: string;
  output: string;
  from: MemberSource;
  network?: string;
  /** Seconds, checked by the flag's parser: positive. */
  timeout: number;
  kubeconfig?: string;
}

/** The mesh file's contexts, or (--from secrets) the remote secrets of its first primary. */
export function membersOf(loaded: LoadedMesh, from: MemberSource, kubeconfig: string): SupervisorMembers {
  const clusters = loaded.mesh.spec.clusters;
  if (from !== 'secrets') return { from: 'mesh', clusters: clusters.map((c) => ({ clusterId: c.name, clients: () => kubeClients(kubeconfig, c.context) })) };
  const primary = clusters.find((c) => c.controlPlane === 'self') ?? clusters[0]!;
  return {
    from: 'secrets',
    local: { clusterId: primary.name, clients: () => kubeClients(kubeconfig, primary.context) },
    // Built from the settings the allow-list accepted, never from the secret's text.
    clientsFor: (member) => kubeClientsFromInline(member.clientConfig()),
  };
}

/** Each service's scope under the mesh file's services section (mcs mode reads the exports the supervisor watches). */
export function scopesOf(loaded: LoadedMesh, supervisor: Pick<Supervisor, 'registry' | 'snapshots'>): Map<string, ServiceScope> {
  const services = loaded.mesh.spec.services;
  const discovery = services?.discovery ?? 'istio';
  const mcs = discovery === 'mcs' ? mcsState(supervisor.snapshots().map((s) => s.snapshot)) : undefined;
  return serviceScopes(supervisor.registry(), { discovery, ...(services?.clusterLocal ? { clusterLocal: services.clusterLocal } : {}) }, mcs);
}

/** The data `-o json` prints: names, addresses and states only; kubeconfigs stay in memory. */
export function discoveryReport(clusters: ClusterInfo[], registry: Registry, problems: ReturnType<Supervisor['secretProblems']>, network?: string, scopes?: ReadonlyMap<string, ServiceScope>) {
  return {
    clusters,
    services: registry.services.map((s) => ({
      hostname: s.hostname,
      ...(scopes?.get(s.hostname) ? { scope: scopes.get(s.hostname)! } : {}),
      namespace: s.namespace,
      name: s.name,
      ports: s.ports,
      clusters: s.clusters.map((c) => ({ cluster: c.cluster, clusterIPs: c.clusterIPs, type: c.type })),
      endpoints: s.endpoints.map((e) => ({ cluster: e.cluster, network: e.network, address: e.address, ports: e.ports, ready: e.ready, health: e.health, tlsMode: e.tlsMode })),
    })),
    gateways: registry.gateways,
    clusterNetworks: registry.clusterNetworks,
    secrets: { errors: problems.errors.map((e) => e.toJSON()), ignored: problems.ignored, ...(problems.watchError ? { watchError: problems.watchError } : {}) },
    ...(network !== undefined ? { view: registry.services.map((s) => splitHorizonView(registry, s, network)) } : {}),
  };
}

export function formatDiscovery(report: ReturnType<typeof discoveryReport>): string {
  const lines: string[] = ['CLUSTERS'];
  for (const c of report.clusters) {
    lines.push(`  ${c.clusterId}  ${c.state}  ${c.source}${c.secret ? ` (${c.secret.namespace}/${c.secret.name})` : ''}  ${c.server}`);
    if (c.lastError) lines.push(`    error ${c.lastError.code} [${c.lastError.cause}]: ${c.lastError.message}`, `    hint: ${c.lastError.hint}`);
  }
  for (const e of report.secrets.errors) lines.push(`  secret ${e.secret.namespace}/${e.secret.name} cluster ${e.clusterId}: error ${e.code}: ${e.message}`);
  for (const i of report.secrets.ignored) lines.push(`  ignored: ${i.message}`);
  if (report.secrets.watchError) lines.push(`  remote secrets not readable: ${report.secrets.watchError.code} [${report.secrets.watchError.cause}]: ${report.secrets.watchError.message}`);
  lines.push('', 'SERVICES');
  for (const s of report.services) {
    lines.push(`  ${s.hostname}  (${s.clusters.map((c) => c.cluster).join(', ')})`);
    if (s.scope) lines.push(`    scope: ${s.scope.scope}: ${s.scope.why}`, `    reaches: ${s.scope.hosts.map((h) => `${h.hostname} ${h.reaches}${h.vips ? ` (VIPs ${Object.entries(h.vips).map(([c, ips]) => `${c} ${ips.join(' ')}`).join(', ')})` : ''}`).join('; ')}`);
    for (const e of s.endpoints) lines.push(`    ${e.cluster}  ${e.network || '-'}  ${e.address}  ${e.ready ? 'ready' : e.health}`);
  }
  if (report.view) {
    lines.push('', `VIEW OF NETWORK ${report.view[0]?.network ?? ''}`);
    for (const v of report.view) {
      for (const p of v.ports) {
        lines.push(`  ${v.hostname}:${p.port} (${p.name})`);
        for (const e of p.endpoints) lines.push(`    ${e.address}:${e.port}  weight ${e.weight}  ${e.via}  ${e.cluster}/${e.network || '-'}${e.healthy ? '' : '  unhealthy'}`);
      }
      for (const d of v.dropped) lines.push(`  ${v.hostname}: left out ${d.cluster} ${d.address} (${d.reason})`);
    }
  }
  return lines.join('\n') + '\n';
}

/** One shot: start the watchers, wait until every cluster is synced or timed out, print, stop. */
export async function discoverCommand(flags: DiscoverFlags, io: Io): Promise<void> {
  const loaded = await loadMesh(flags.file, io);
  const kubeconfig = resolveKubeconfig(flags.kubeconfig, loaded);
  const ms = flags.timeout * 1000;
  const mcs = loaded.mesh.spec.services?.discovery === 'mcs';
  const supervisor = new Supervisor({ members: membersOf(loaded, flags.from, kubeconfig), syncTimeoutMs: ms, ...(mcs ? { mcs: true } : {}) }).start();
  try {
    // --timeout is a hard deadline: a cluster added late by a secret has its own sync deadline,
    // which may end after ours; it is then reported as it is (syncing).
    await within(supervisor.settled(), ms);
    const clusters = supervisor.clusters();
    const report = discoveryReport(clusters, supervisor.registry(), supervisor.secretProblems(), flags.network, scopesOf(loaded, supervisor));
    io.out(flags.output === 'json' ? JSON.stringify(report, null, 2) + '\n' : formatDiscovery(report));
    if (clusters.some((c) => c.state !== 'synced') || report.secrets.watchError) throw new CommandExit(EXIT.unreachable);
  } finally {
    // Stopping aborts every request; a server cannot hold us past a short grace.
    await within(supervisor.stop(), STOP_GRACE_MS);
  }
}

const STOP_GRACE_MS = 1_000;
