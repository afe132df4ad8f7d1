import { readFile } from 'node:fs/promises';
import { McsController, Supervisor } from '../../discovery/index.js';
import { kubeClients, type KubeClients } from '../../kube/index.js';
import { MeshfedError } from '../../errors/index.js';
import { summarizeTrust } from '../../pki/index.js';
import { planMesh } from '../../plan/index.js';
import { isLoopback, periodic, periodicChecks, startServer, verifyTally } from '../../serve/index.js';
import { SAMPLE_NAMESPACE } from '../../verify/index.js';
import { verifyOnce } from './verify.js';
import { runDoctor } from './doctor.js';
import { resolveKubeconfig } from '../environment.js';
import { DEFAULT_DOCTOR_TIMEOUT_S, DEFAULT_VERIFY_SETTLE_S, DEFAULT_VERIFY_TIMEOUT_S, type MemberSource } from '../flags.js';
import type { Io } from '../io.js';
import { stopSignal } from '../stopSignal.js';
import { loadMesh } from '../mesh.js';
import { membersOf, scopesOf } from './discover.js';

export interface ServeFlags {
  file: string;
  from: MemberSource;
  host: string;
  /** Checked by the flag's parser: 0 to 65535. */
  port: number;
  kubeconfig?: string;
  tokenFile?: string;
  allowHost?: string[];
  /** Seconds between doctor runs shown on the dashboard; 0 (default) runs none. */
  doctorEvery?: number;
  verifyEvery?: number;
}

/** The API's token: from --token-file, else MESHFED_SERVE_TOKEN; never from the command line (ps shows it). */
async function tokenOf(flags: ServeFlags): Promise<string | undefined> {
  if (flags.tokenFile === undefined) return process.env['MESHFED_SERVE_TOKEN']?.trim() || undefined;
  const text = await readFile(flags.tokenFile, 'utf8').catch((e: unknown) => {
    throw new MeshfedError({ code: 'MF9511', message: `--token-file ${flags.tokenFile}: cannot be read`, hint: 'give a readable file holding the token (mode 0600)', resource: '--token-file', cause: e });
  });
  const token = text.trim();
  if (token === '') throw new MeshfedError({ code: 'MF9511', message: `--token-file ${flags.tokenFile} is empty`, hint: 'write a long random token into it, e.g. `openssl rand -hex 32`', resource: '--token-file' });
  return token;
}

/** Clients of the mesh file's contexts, by cluster; a context that cannot be loaded is said and left out (its imports are not written). */
function mcsWriters(loaded: Awaited<ReturnType<typeof loadMesh>>, kubeconfig: string, io: Io): Map<string, KubeClients> {
  const out = new Map<string, KubeClients>();
  for (const c of loaded.mesh.spec.clusters) {
    try {
      out.set(c.name, kubeClients(kubeconfig, c.context));
    } catch (e) {
      io.err(`meshfed serve: MCS controller: no client for ${c.name}: ${(e as Error).message}\n`);
    }
  }
  return out;
}

/** The discovery engine behind the HTTP API, until interrupted (SIGINT/SIGTERM). */
export async function serveCommand(flags: ServeFlags, io: Io, until?: Promise<void>): Promise<void> {
  const loaded = await loadMesh(flags.file, io);
  const token = await tokenOf(flags);
  if (!isLoopback(flags.host) && token === undefined) {
    // Refused before any cluster is watched; startServer refuses it too.
    throw new MeshfedError({ code: 'MF9511', message: `serve --host ${flags.host}: off loopback the API must ask for a token`, hint: 'give one with --token-file <file> (mode 0600) or MESHFED_SERVE_TOKEN', resource: '--host' });
  }
  const kubeconfig = resolveKubeconfig(flags.kubeconfig, loaded);
  const mcs = loaded.mesh.spec.services?.discovery === 'mcs';
  const supervisor = new Supervisor({ members: membersOf(loaded, flags.from, kubeconfig), ...(mcs ? { mcs: true } : {}) }).start();
  // In mcs mode serve is the MCS controller; it writes through the mesh file's contexts (a
  // remote secret's reader token may not write ServiceImports).
  const controller = mcs ? new McsController({ source: supervisor, writers: mcsWriters(loaded, kubeconfig, io) }).start() : undefined;
  const plan = planMesh(loaded.mesh);
  const clusters = plan.clusters.map((c) => c.name);
  // Without istioctl analyze (MF4080): a process per cluster every S seconds is too much here.
  const doctorRuns = flags.doctorEvery ? periodic(() =>
    runDoctor(loaded, { file: flags.file, timeout: DEFAULT_DOCTOR_TIMEOUT_S, analyze: false, ...(flags.kubeconfig ? { kubeconfig: flags.kubeconfig } : {}) }), flags.doctorEvery * 1000) : undefined;
  // verify as `meshfed verify` runs it: its workloads deployed, called and removed each time (so choose a long interval).
  const verifyRuns = flags.verifyEvery
    ? periodic(async () => {
        const { report, causes } = await verifyOnce(loaded, { namespace: SAMPLE_NAMESPACE, keep: false, timeout: DEFAULT_VERIFY_TIMEOUT_S, settle: DEFAULT_VERIFY_SETTLE_S, ...(flags.kubeconfig ? { kubeconfig: flags.kubeconfig } : {}) }, () => undefined);
        return verifyTally(report, causes);
      }, flags.verifyEvery * 1000)
    : undefined;
  const doctor = doctorRuns || verifyRuns ? periodicChecks({ ...(doctorRuns ? { doctor: doctorRuns } : {}), ...(verifyRuns ? { verify: verifyRuns } : {}) }) : undefined;
  // The supervisor, plus each service's scope under the mesh file's services section.
  const source = { registry: () => supervisor.registry(), clusters: () => supervisor.clusters(), onChange: (l: () => void) => supervisor.onChange(l), scopes: () => scopesOf(loaded, supervisor) };
  const server = await startServer({
    source,
    host: flags.host,
    port: flags.port,
    ...(token ? { token } : {}),
    allowHosts: flags.allowHost ?? [],
    plan,
    // Certificates only, read per request so a rotation shows without a restart.
    trust: () => summarizeTrust(loaded.rootDir, clusters),
    ...(doctor ? { checks: doctor } : {}),
  }).catch(async (e: unknown) => {
    doctor?.stop();
    await controller?.stop();
    await supervisor.stop();
    throw e;
  });
  if (!io.quiet) io.err(`meshfed serve: the dashboard at ${server.url}/; the API at ${server.url}/api/v1/ (clusters, services, services/<hostname>/endpoints[?network=N|?cluster=C], events, topology, trust, checks, checks/doctor, checks/verify) (Ctrl-C stops)\n`);
  // The URL on stdout alone, for scripts that start it with --port 0.
  io.out(`${server.url}\n`);
  const stop = until ?? stopSignal();
  try {
    await stop;
  } finally {
    doctor?.stop();
    await server.close();
    await controller?.stop();
    await supervisor.stop();
  }
}
