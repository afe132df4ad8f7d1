import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { KubeError, kubeClients, readyz, waitForReadyz } from '../../src/kube/index.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

/** A port nothing listens on: bound, noted, released. */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

async function kubeconfigFor(server: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'meshfed-kube-'));
  dirs.push(dir);
  const path = join(dir, 'kubeconfig');
  await writeFile(
    path,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'c', cluster: { server, 'insecure-skip-tls-verify': true } }],
      users: [{ name: 'u', user: { token: 'not-a-real-token' } }],
      contexts: [{ name: 'east', context: { cluster: 'c', user: 'u' } }],
      'current-context': 'east',
    }),
  );
  return path;
}

describe('kube health', () => {
  it('kubeClients refuses a context the kubeconfig lacks, naming the ones it has', async () => {
    const path = await kubeconfigFor('https://127.0.0.1:1');
    let err: unknown;
    try {
      kubeClients(path, 'west');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(KubeError);
    expect((err as KubeError).reason).toBe('notFound');
    expect((err as KubeError).hint).toContain('east');
  });

  it('readyz reports an unreachable server without throwing; waitForReadyz times out with the reason', async () => {
    const clients = kubeClients(await kubeconfigFor(`https://127.0.0.1:${await closedPort()}`), 'east');
    const r = await readyz(clients, { timeoutMs: 1_000 });
    expect(r.ready).toBe(false);
    expect(r.detail).toContain('ECONNREFUSED');

    let now = 0;
    const err = await waitForReadyz(clients, { timeoutMs: 3_000, now: () => now, sleep: async (ms) => void (now += ms + 1_000) }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(KubeError);
    expect((err as KubeError).reason).toBe('timeout');
    expect((err as KubeError).message).toContain('ECONNREFUSED');
  });
});
