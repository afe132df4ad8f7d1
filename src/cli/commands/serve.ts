import { readFile } from 'node:fs/promises';
import { Supervisor } from '../../discovery/index.js';
import { MeshfedError } from '../../errors/index.js';
import { isLoopback, startServer } from '../../serve/index.js';
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
  tokenFile?: string;
  allowHost?: string[];
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

/** The discovery engine behind the HTTP API, until interrupted (SIGINT/SIGTERM). */
export async function serveCommand(flags: ServeFlags, io: Io, until?: Promise<void>): Promise<void> {
  const loaded = await loadMesh(flags.file, io);
  const token = await tokenOf(flags);
  if (!isLoopback(flags.host) && token === undefined) {
    // Refused before any cluster is watched; startServer refuses it too.
    throw new MeshfedError({ code: 'MF9511', message: `serve --host ${flags.host}: off loopback the API must ask for a token`, hint: 'give one with --token-file <file> (mode 0600) or MESHFED_SERVE_TOKEN', resource: '--host' });
  }
  const supervisor = new Supervisor({ members: membersOf(loaded, flags.from, resolveKubeconfig(flags.kubeconfig, loaded)) }).start();
  const server = await startServer({ source: supervisor, host: flags.host, port: flags.port, ...(token ? { token } : {}), allowHosts: flags.allowHost ?? [] }).catch(async (e: unknown) => {
    await supervisor.stop();
    throw e;
  });
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
