import { chmod, readFile, writeFile } from 'node:fs/promises';
import { stringify } from 'yaml';
import type { CertPair } from './pki.js';

export interface KubeconfigContext {
  /** Context, cluster and user all carry this name (the mesh file's `context`). */
  name: string;
  server: string;
  caCertPem: string;
  clientCertPem: string;
  clientKeyPem: string;
}

const b64 = (pem: string) => Buffer.from(pem).toString('base64');

/** The lab's kubeconfig: one context per cluster, credentials embedded. */
export function renderKubeconfig(contexts: KubeconfigContext[], current: string): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    preferences: {},
    'current-context': current,
    clusters: contexts.map((c) => ({ name: c.name, cluster: { server: c.server, 'certificate-authority-data': b64(c.caCertPem) } })),
    users: contexts.map((c) => ({
      name: c.name,
      user: { 'client-certificate-data': b64(c.clientCertPem), 'client-key-data': b64(c.clientKeyPem) },
    })),
    contexts: contexts.map((c) => ({ name: c.name, context: { cluster: c.name, user: c.name } })),
  });
}

/** A component's own kubeconfig, pointing at its certificate files. */
export function renderComponentKubeconfig(opts: { name: string; server: string; caFile: string; client: CertPair }): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    'current-context': opts.name,
    clusters: [{ name: opts.name, cluster: { server: opts.server, 'certificate-authority': opts.caFile } }],
    users: [{ name: opts.name, user: { 'client-certificate': opts.client.cert, 'client-key': opts.client.key } }],
    contexts: [{ name: opts.name, context: { cluster: opts.name, user: opts.name } }],
  });
}

export async function writeLabKubeconfig(path: string, contexts: { name: string; server: string; ca: string; client: CertPair }[]): Promise<void> {
  const loaded = await Promise.all(
    contexts.map(async (c) => ({
      name: c.name,
      server: c.server,
      caCertPem: await readFile(c.ca, 'utf8'),
      clientCertPem: await readFile(c.client.cert, 'utf8'),
      clientKeyPem: await readFile(c.client.key, 'utf8'),
    })),
  );
  // Holds an admin key: owner-only, like the key files themselves.
  await writeFile(path, renderKubeconfig(loaded, loaded[0]?.name ?? ''), { mode: 0o600 });
  await chmod(path, 0o600);
}
