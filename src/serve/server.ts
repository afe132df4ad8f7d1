import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { apiHandler } from './api.js';
import type { RegistrySource } from './source.js';

export interface RunningServer {
  url: string;
  close(): Promise<void>;
}

/** Serves the API on host:port (port 0 picks a free one). Loopback by default: it is an operator's tool. */
export async function startServer(opts: { source: RegistrySource; host?: string; port?: number }): Promise<RunningServer> {
  const server: Server = createServer(apiHandler(opts.source));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
  });
  const a = server.address() as AddressInfo;
  return {
    url: `http://${a.address}:${a.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
