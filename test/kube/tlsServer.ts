import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';

/** A loopback HTTPS server with a self-signed certificate (openssl) for `ip`, standing for an API server a test controls. */
export interface TlsServer {
  url: string;
  /** base64 PEM, for a kubeconfig's certificate-authority-data. */
  caData: string;
  server: Server;
  close(): Promise<void>;
}

export async function startTlsServer(ip: string, dir: string, handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<TlsServer> {
  const key = join(dir, `${ip}.key`);
  const cert = join(dir, `${ip}.crt`);
  await promisify(execFile)('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=test-api', '-addext', `subjectAltName=IP:${ip}`, '-keyout', key, '-out', cert]);
  const pem = await readFile(cert, 'utf8');
  const server = createServer({ key: await readFile(key), cert: pem }, handler);
  await new Promise<void>((resolve) => server.listen(0, ip, resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://${ip}:${port}`,
    caData: Buffer.from(pem).toString('base64'),
    server,
    close: () => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
  };
}
