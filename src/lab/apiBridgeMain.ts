/**
 * The pod side of the lab's API bridge (apiBridge.ts), started by the pod runner inside a pod
 * namespace as `node dist/lab/apiBridgeMain.js --state-dir=<dir> --to=<host>:<port>=<socket>...`.
 */
import { parseBridgeArgs, serveApiAddress } from './apiBridge.js';

const targets = parseBridgeArgs(process.argv.slice(2));
if (targets.length === 0) {
  process.stdout.write('usage: apiBridgeMain.js --state-dir=<dir> --to=<host>:<port>=<socket>...\n');
  process.exitCode = 64;
} else {
  const servers = targets.map((t) => serveApiAddress(t).on('listening', () => process.stdout.write(`listening on ${t.host}:${t.port} → ${t.socket}\n`)));
  for (const sig of ['SIGTERM', 'SIGINT'] as const) process.on(sig, () => servers.forEach((s) => s.close()));
}
