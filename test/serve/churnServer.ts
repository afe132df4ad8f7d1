/**
 * `meshfed serve`'s HTTP server (the real startServer) over a registry that changes every few
 * milliseconds, with event data of some tens of kilobytes: a process the fuzz test attacks and
 * whose RSS it reads. Prints the URL on stdout. The registry is seed 000's layout from the
 * discovery fixtures; the clusters' states flip on every change (test data, no Kubernetes).
 */
import { buildRegistry, type ClusterStatus } from '../../src/discovery/index.js';
import { startServer, type RegistrySource } from '../../src/serve/index.js';
import { cluster01, cluster02 } from '../discovery/fixtures.js';

const registry = buildRegistry([cluster01(), cluster02()]);
const listeners = new Set<() => void>();
let flip = 0;
// 200 clusters with long messages: each event is ~40 KB, as a large mesh in trouble would send.
const states = (): ClusterStatus[] =>
  Array.from({ length: 200 }, (_, i) => ({ clusterId: `cluster${i}`, state: (i + flip) % 2 ? 'synced' : 'syncing', lastError: { code: 'MF7001', cause: 'unreachable', message: `cluster${i}: /api/v1/pods: ECONNREFUSED `.padEnd(150, '.'), hint: 'check that the API server is running' } }));
let current = states();
const source: RegistrySource = {
  registry: () => registry,
  clusters: () => current,
  onChange(l) {
    listeners.add(l);
    return () => void listeners.delete(l);
  },
};
setInterval(() => {
  flip++;
  current = states();
  for (const l of listeners) l();
}, Number(process.env['CHURN_MS'] ?? 5));

const server = await startServer({ source, port: 0 });
process.stdout.write(`${server.url}\n`);

// What the process really holds, for the fuzz test: after a full GC (run with --expose-gc),
// the JS heap plus memory outside it (Buffers, socket write queues). RSS alone moves with when
// the collector last ran, which on a loaded machine says little.
process.on('SIGUSR2', () => {
  (globalThis as { gc?: () => void }).gc?.();
  const m = process.memoryUsage();
  process.stdout.write(`${JSON.stringify({ retainedMiB: (m.heapUsed + m.external) / 2 ** 20 })}\n`);
});
