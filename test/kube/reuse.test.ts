// reuseConnections: the requests of one set of clients share one agent and TLS context, so the
// server sees the second connection resume the first one's TLS session (what spares doctor a
// key parse and a full handshake per request); without it every request starts afresh, as
// client-node does. Each response is read whole (chunked, as the API server sends lists).
import { mkdtemp, rm } from 'node:fs/promises';
import type { TLSSocket } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubeClientsFromInline, listObjects } from '../../src/kube/index.js';
import { startTlsServer, type TlsServer } from './tlsServer.js';

let dir: string;
let api: TlsServer;
const resumed: boolean[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'meshfed-reuse-'));
  api = await startTlsServer('127.0.0.1', dir, (req, res) => {
    resumed.push((req.socket as TLSSocket).isSessionReused());
    res.setHeader('content-type', 'application/json');
    // client-node's object API asks for the group's resources before the first list.
    if (req.url === '/api/v1') return void res.end('{"kind":"APIResourceList","groupVersion":"v1","resources":[{"name":"configmaps","namespaced":true,"kind":"ConfigMap","verbs":["list"]}]}');
    // Written in two parts: a chunked response, as the API server answers a list.
    res.write('{"kind":"ConfigMapList","apiVersion":"v1","metadata":{},');
    res.end('"items":[{"metadata":{"name":"a","namespace":"default"}}]}');
  });
});

afterAll(async () => {
  await api.close();
  await rm(dir, { recursive: true, force: true });
});

const clients = (reuseConnections: boolean) => kubeClientsFromInline({ context: 'test', cluster: { name: 'test', server: api.url, caData: api.caData }, user: { name: 'test', token: 't' } }, { requestTimeoutMs: 5_000, reuseConnections });

describe('reuseConnections', () => {
  it('on: later requests resume the first TLS session, and every answer is read whole', async () => {
    resumed.length = 0;
    const k = clients(true);
    for (let i = 0; i < 4; i++) expect((await listObjects(k, 'v1', 'ConfigMap', { namespace: 'default' })).map((o) => o.metadata.name)).toEqual(['a']);
    // The resource list and four lists, on five connections: only the first does a full handshake.
    expect(resumed).toEqual([false, true, true, true, true]);
  });

  it('off: each request makes its own TLS context, so no session is resumed', async () => {
    resumed.length = 0;
    const k = clients(false);
    for (let i = 0; i < 3; i++) await listObjects(k, 'v1', 'ConfigMap', { namespace: 'default' });
    expect(resumed).toEqual([false, false, false, false]);
  });
});
