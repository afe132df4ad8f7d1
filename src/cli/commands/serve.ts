import { Supervisor } from '../../discovery/index.js';
import { startServer } from '../../serve/index.js';
import { resolveKubeconfig } from '../environment.js';
import type { MemberSource } from '../flags.js';
import type { Io } from '../io.js';
import { loadMesh } from '../mesh.js';
import { membersOf } from './discover.js';

export interface ServeFlags {
  file: string;
  from: MemberSource;
  host: string;
  /** Checked by the flag's parser: 0 to 65535. */
  port: number;
  kubeconfig?: string;
}

/** The discovery engine behind the HTTP API, until interrupted (SIGINT/SIGTERM). */
export async function serveCommand(flags: ServeFlags, io: Io, until?: Promise<void>): Promise<void> {
  const loaded = await loadMesh(flags.file, io);
  const supervisor = new Supervisor({ members: membersOf(loaded, flags.from, resolveKubeconfig(flags.kubeconfig, loaded)) }).start();
  const server = await startServer({ source: supervisor, host: flags.host, port: flags.port });
  if (!io.quiet) io.err(`meshfed serve: ${server.url}/api/v1/clusters, /api/v1/services, /api/v1/services/<hostname>/endpoints[?network=N|?cluster=C], /api/v1/events (Ctrl-C stops)\n`);
  // The URL on stdout alone, for scripts that start it with --port 0.
  io.out(`${server.url}\n`);
  const stop =
    until ??
    new Promise<void>((resolve) => {
      for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => resolve());
    });
  try {
    await stop;
  } finally {
    await server.close();
    await supervisor.stop();
  }
}
