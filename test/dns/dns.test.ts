// meshfed's DNS server answers clusterset.local from the registry: queried with a real resolver
// (node:dns, c-ares, pointed at the server with setServers) over UDP, and over TCP when the
// answer does not fit a datagram. The zone comes from the same pure functions the live server
// uses (mcsState, buildRegistry), over snapshots; no cluster is involved.
import { Resolver } from 'node:dns/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildRegistry, mcsState, type ClusterSnapshot } from '../../src/discovery/index.js';
import { buildZone, startDnsServer, type DnsServer, type Zone } from '../../src/dns/index.js';
import type { KubeObject } from '../../src/kube/index.js';
import { endpointSlice, namespace, pod, service, type PodSpec } from '../discovery/helpers.js';

const exp = (ns: string, name: string): KubeObject => ({ apiVersion: 'multicluster.x-k8s.io/v1alpha1', kind: 'ServiceExport', metadata: { name, namespace: ns, creationTimestamp: '2026-01-01T00:00:00Z' as unknown as Date } });
const DB_PODS: PodSpec[] = [{ name: 'db-0', ip: '10.20.0.7' }, { name: 'db-1', ip: '10.20.0.8' }, { name: 'db-2', ip: '10.20.0.9', ready: false }];
// Enough endpoints that the SRV answer passes 512 bytes: the resolver must retry over TCP.
const BIG_PODS: PodSpec[] = Array.from({ length: 40 }, (_, i) => ({ name: `big-${i}`, ip: `10.20.1.${i + 1}` }));

function snapshots(): ClusterSnapshot[] {
  return [
    { clusterId: 'cluster01', namespaces: [namespace('sample')], services: [service('other', 'sample', { clusterIP: '10.11.0.20' })], endpointSlices: [], pods: [], serviceExports: [], serviceImports: [] },
    {
      clusterId: 'cluster02',
      namespaces: [namespace('sample')],
      services: [service('helloworld', 'sample', { clusterIP: '10.21.0.10' }), service('db', 'sample', { clusterIP: 'None', ports: [{ name: 'tcp-db', port: 5432 }] }), service('big', 'sample', { clusterIP: 'None' })],
      endpointSlices: [endpointSlice('db', 'sample', DB_PODS, [{ name: 'tcp-db', port: 5432 }]), endpointSlice('big', 'sample', BIG_PODS)],
      pods: [...DB_PODS, ...BIG_PODS].map((p) => pod('sample', p)),
      serviceExports: [exp('sample', 'helloworld'), exp('sample', 'db'), exp('sample', 'big')],
      serviceImports: [],
    },
  ];
}

let zone: Zone;
let server: DnsServer;
let resolver: Resolver;

beforeAll(async () => {
  const s = snapshots();
  zone = buildZone(mcsState(s), buildRegistry(s), { cluster: 'cluster01' });
  server = await startDnsServer({ zone: () => zone, port: 0 });
  resolver = new Resolver({ timeout: 2_000, tries: 1 });
  resolver.setServers([`127.0.0.1:${server.port}`]);
});
afterAll(() => server?.close());

const codeOf = (p: Promise<unknown>) => p.then(() => 'answered', (e: { code?: string }) => e.code);

describe('meshfed dns, queried with a real resolver', () => {
  it('listens on loopback by default', () => {
    expect(server.host).toBe('127.0.0.1');
  });

  it('A of a ClusterSetIP import: the import\'s IP in the cluster it answers for (cluster01 holds no helloworld Service)', async () => {
    expect(await resolver.resolve4('helloworld.sample.svc.clusterset.local')).toEqual(['10.21.0.10']);
    expect(await resolver.resolveSrv('_http._tcp.helloworld.sample.svc.clusterset.local')).toEqual([{ name: 'helloworld.sample.svc.clusterset.local', port: 5000, priority: 0, weight: 100 }]);
  });

  it('headless: A lists each ready endpoint; SRV lists each under <host>.<clusterid>.<svc>.<ns>.svc.clusterset.local, which resolves', async () => {
    expect((await resolver.resolve4('db.sample.svc.clusterset.local')).sort()).toEqual(['10.20.0.7', '10.20.0.8']);
    const srv = (await resolver.resolveSrv('_tcp-db._tcp.db.sample.svc.clusterset.local')).sort((a, b) => a.name.localeCompare(b.name));
    expect(srv).toEqual([
      { name: '10-20-0-7.cluster02.db.sample.svc.clusterset.local', port: 5432, priority: 0, weight: 100 },
      { name: '10-20-0-8.cluster02.db.sample.svc.clusterset.local', port: 5432, priority: 0, weight: 100 },
    ]);
    expect(await resolver.resolve4('10-20-0-8.cluster02.db.sample.svc.clusterset.local')).toEqual(['10.20.0.8']);
  });

  it('an unexported service, and any other missing name of the zone, is NXDOMAIN; names outside clusterset.local are refused', async () => {
    expect(await codeOf(resolver.resolve4('other.sample.svc.clusterset.local'))).toBe('ENOTFOUND');
    expect(await codeOf(resolver.resolve4('10-20-0-9.cluster02.db.sample.svc.clusterset.local'))).toBe('ENOTFOUND');
    expect(await codeOf(resolver.resolve4('example.com'))).toBe('EREFUSED');
    // A name that exists but has no record of the type asked: NOERROR, no data.
    expect(await codeOf(resolver.resolve6('helloworld.sample.svc.clusterset.local'))).toBe('ENODATA');
  });

  it('an answer larger than a datagram is truncated over UDP and given whole over TCP', async () => {
    const before = server.answered();
    const srv = await resolver.resolveSrv('big.sample.svc.clusterset.local');
    expect(server.answered()).toEqual({ udp: before.udp + 1, tcp: before.tcp + 1 });
    expect(srv).toHaveLength(40);
    expect(new Set(srv.map((r) => r.name)).size).toBe(40);
  });

  it('a datagram that is not DNS gets FORMERR or nothing, and the server keeps answering', async () => {
    const { createSocket } = await import('node:dgram');
    const sock = createSocket('udp4');
    const reply = new Promise<Buffer>((resolve) => sock.once('message', resolve));
    sock.send(Buffer.from([0x12, 0x34, 0xff]), server.port, '127.0.0.1');
    const r = await reply;
    sock.close();
    expect(r.readUInt16BE(0)).toBe(0x1234);
    expect(r[3]! & 0x0f).toBe(1);
    expect(await resolver.resolve4('helloworld.sample.svc.clusterset.local')).toEqual(['10.21.0.10']);
  });
});
