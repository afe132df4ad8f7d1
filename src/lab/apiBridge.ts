/**
 * How a lab pod reaches the lab's API servers. They listen on the host's loopback addresses
 * (127.x.y.z), which a pod namespace cannot route to; so, as a lab stand-in for a pod's path
 * to its API server, a forwarder inside the pod namespace listens on the same address and
 * port on its own loopback and hands each connection over a unix socket (which crosses
 * namespaces) to the pod runner, which connects to the real API server. TLS stays end to end:
 * kubeconfigs and remote secrets keep their https://127.x.y.z:6443 URLs and certificates.
 */
import { createHash } from 'node:crypto';
import { rmSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';

export interface ApiBridgeTarget {
  host: string;
  port: number;
  /** The unix socket the pod runner serves for this API server. */
  socket: string;
}

/**
 * Unix socket paths are limited to 107 bytes, so they live in a short folder named after the
 * state dir: `<shm or state dir>/mfl<hash>-api-<i>.sock`.
 */
export function apiBridgeSocket(dir: string, stateDir: string, clusterIndex: number): string {
  return join(dir, `mfl${createHash('sha256').update(stateDir).digest('hex').slice(0, 6)}-api-${clusterIndex}.sock`);
}

/** `--to=<host>:<port>=<socket>` arguments for apiBridgeMain.js, and back. */
export const bridgeArg = (t: ApiBridgeTarget): string => `--to=${t.host}:${t.port}=${t.socket}`;

export function parseBridgeArgs(argv: string[]): ApiBridgeTarget[] {
  return argv.flatMap((a) => {
    const m = /^--to=([^:=]+):(\d+)=(.+)$/.exec(a);
    return m ? [{ host: m[1]!, port: Number(m[2]), socket: m[3]! }] : [];
  });
}

function pipeBoth(a: Socket, b: Socket): void {
  a.pipe(b).pipe(a);
  const end = () => {
    a.destroy();
    b.destroy();
  };
  a.on('error', end).on('close', end);
  b.on('error', end).on('close', end);
}

/** Root side (in the pod runner): unix socket → the real API server. */
export function serveApiSocket(t: ApiBridgeTarget): Server {
  rmSync(t.socket, { force: true });
  const server = createServer((s) => pipeBoth(s, connect(t.port, t.host)));
  server.listen(t.socket);
  return server;
}

/** Pod side (inside a pod namespace): the API server's address on its loopback → unix socket. */
export function serveApiAddress(t: ApiBridgeTarget): Server {
  const server = createServer((s) => pipeBoth(s, connect(t.socket)));
  server.listen(t.port, t.host);
  return server;
}

/**
 * The lab's stand-in for the east-west gateway's TLS passthrough of istiod's ports (there is
 * no Envoy to run the gateway): a plain layer-4 forward from a load balancer address, inside
 * the fabric namespace, to istiod's pod (gatewayForward.ts). TLS stays end to end.
 */
export interface TcpForward {
  listenHost: string;
  listenPort: number;
  targetHost: string;
  targetPort: number;
}

export const forwardArg = (f: TcpForward): string => `--tcp=${f.listenHost}:${f.listenPort}=${f.targetHost}:${f.targetPort}`;

export function parseForwardArgs(argv: string[]): TcpForward[] {
  return argv.flatMap((a) => {
    const m = /^--tcp=([^:=]+):(\d+)=([^:=]+):(\d+)$/.exec(a);
    return m ? [{ listenHost: m[1]!, listenPort: Number(m[2]), targetHost: m[3]!, targetPort: Number(m[4]) }] : [];
  });
}

export function serveTcpForward(f: TcpForward): Server {
  const server = createServer((s) => pipeBoth(s, connect(f.targetPort, f.targetHost)));
  server.listen(f.listenPort, f.listenHost);
  return server;
}
