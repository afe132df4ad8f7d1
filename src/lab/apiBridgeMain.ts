/**
 * The lab's forwarders, started by the pod runner inside a lab namespace:
 * - in a pod namespace, the pod side of the API bridge (apiBridge.ts):
 *   `--to=<host>:<port>=<socket>...`;
 * - in the fabric, the east-west gateway's stand-in for istiod's ports (gatewayForward.ts):
 *   `--tcp=<listen host>:<port>=<target host>:<port>...`.
 */
import { forwardArg, parseBridgeArgs, parseForwardArgs, serveApiAddress, serveTcpForward } from './apiBridge.js';

const argv = process.argv.slice(2);
const targets = parseBridgeArgs(argv);
const forwards = parseForwardArgs(argv);
if (targets.length + forwards.length === 0) {
  process.stdout.write('usage: apiBridgeMain.js --state-dir=<dir> (--to=<host>:<port>=<socket> | --tcp=<host>:<port>=<host>:<port>)...\n');
  process.exitCode = 64;
} else {
  const servers = [
    ...targets.map((t) => serveApiAddress(t).on('listening', () => process.stdout.write(`listening on ${t.host}:${t.port} → ${t.socket}\n`))),
    ...forwards.map((f) => serveTcpForward(f).on('listening', () => process.stdout.write(`forwarding ${forwardArg(f).slice('--tcp='.length)}\n`))),
  ];
  for (const s of servers) s.on('error', (e) => {
    process.stdout.write(`error: ${e.message}\n`);
    process.exit(1);
  });
  for (const sig of ['SIGTERM', 'SIGINT'] as const) process.on(sig, () => servers.forEach((s) => s.close()));
}
