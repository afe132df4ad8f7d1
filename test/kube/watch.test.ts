/**
 * watchPath over node:https against a loopback TLS server the test controls: events in order,
 * the last resourceVersion, abort mid-stream and before any header (the request and its
 * socket end at once, nothing thrown later), a 410 ERROR event, an HTTP error status.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubeClientsFromInline, watchPath, type KubeClients } from '../../src/kube/index.js';
import { startTlsServer, type TlsServer } from './tlsServer.js';

let dir: string;
let api: TlsServer;
let clients: KubeClients;
let behave: (req: IncomingMessage, res: ServerResponse) => void = () => undefined;
const closed: string[] = [];
const uncaught: unknown[] = [];
const onUncaught = (e: unknown) => uncaught.push(e);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'meshfed-watch-'));
  api = await startTlsServer('127.0.0.1', dir, (req, res) => {
    req.socket.once('close', () => closed.push(req.url ?? ''));
    behave(req, res);
  });
  clients = kubeClientsFromInline({ context: 'test', cluster: { name: 'test', server: api.url, caData: api.caData }, user: { name: 'test', token: 't' } });
  process.on('uncaughtException', onUncaught);
});
afterAll(async () => {
  process.off('uncaughtException', onUncaught);
  await api?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const line = (type: string, name: string, rv: string) => JSON.stringify({ type, object: { metadata: { name, resourceVersion: rv } } }) + '\n';
const until = async (what: () => boolean) => {
  for (let i = 0; i < 100 && !what(); i++) await new Promise((r) => setTimeout(r, 20));
};

describe('watchPath', () => {
  it('delivers events in order and resolves with the last resourceVersion when the server ends the stream', async () => {
    let asked = '';
    behave = (req, res) => {
      asked = req.url ?? '';
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(line('ADDED', 'a', '5') + line('MODIFIED', 'a', '6') + line('BOOKMARK', '', '9'));
    };
    const seen: string[] = [];
    const rv = await watchPath<{ metadata: { name: string } }>(clients, '/api/v1/pods', '3', (e) => seen.push(`${e.type}:${e.object.metadata.name}`), new AbortController().signal, { timeoutSeconds: 60 });
    expect(seen).toEqual(['ADDED:a', 'MODIFIED:a', 'BOOKMARK:']);
    expect(rv).toBe('9');
    expect(new URL(asked, 'https://x').searchParams.toString()).toBe('watch=true&resourceVersion=3&allowWatchBookmarks=true&timeoutSeconds=60');
  });

  it('abort mid-stream: resolves with the version seen, closes the connection, throws nothing later', async () => {
    closed.length = 0;
    behave = (_, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write(line('ADDED', 'b', '12'));
    };
    const ac = new AbortController();
    const p = watchPath(clients, '/api/v1/services', '1', () => ac.abort(), ac.signal);
    expect(await p).toBe('12');
    await until(() => closed.some((u) => u.startsWith('/api/v1/services')));
    expect(closed).toContain('/api/v1/services?watch=true&resourceVersion=1&allowWatchBookmarks=true');
    await new Promise((r) => setTimeout(r, 100));
    expect(uncaught).toEqual([]);
  });

  it('abort before the server sent any header: resolves at once and the socket is closed', async () => {
    closed.length = 0;
    behave = () => undefined; // accepted, never answered
    const ac = new AbortController();
    const p = watchPath(clients, '/api/v1/namespaces', '1', () => undefined, ac.signal);
    await new Promise((r) => setTimeout(r, 200));
    const t = Date.now();
    ac.abort();
    expect(await p).toBe('1');
    expect(Date.now() - t).toBeLessThan(100);
    await until(() => closed.some((u) => u.startsWith('/api/v1/namespaces')));
    expect(closed.filter((u) => u.startsWith('/api/v1/namespaces'))).toHaveLength(1);
    expect(uncaught).toEqual([]);
  });

  it('a 410 ERROR event rejects with cause conflict; an HTTP error status with its cause', async () => {
    behave = (_, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write(JSON.stringify({ type: 'ERROR', object: { kind: 'Status', code: 410, message: 'too old resource version' } }) + '\n');
    };
    await expect(watchPath(clients, '/api/v1/pods', '1', () => undefined, new AbortController().signal)).rejects.toMatchObject({ reason: 'conflict', status: 410 });
    behave = (_, res) => res.writeHead(403, { 'content-type': 'application/json' }).end('{"kind":"Status","code":403,"message":"pods is forbidden"}');
    await expect(watchPath(clients, '/api/v1/pods', '1', () => undefined, new AbortController().signal)).rejects.toMatchObject({ reason: 'forbidden', status: 403, message: expect.stringContaining('pods is forbidden') });
  });
});
