// The MCS controller's decisions (src/discovery/mcs.ts), a pure function of the snapshots:
// which ServiceImports every cluster gets and the conditions of every ServiceExport, with the
// MCS spec's conflict rule (the oldest export wins; both sides of a conflict are told).
import { describe, expect, it } from 'vitest';
import { mcsState, serviceImportObject, withReady } from '../../src/discovery/index.js';
import type { ClusterSnapshot } from '../../src/discovery/index.js';
import type { KubeObject } from '../../src/kube/index.js';

const svc = (ns: string, name: string, spec: Record<string, unknown>): KubeObject => ({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: ns }, spec });
const exp = (ns: string, name: string, created: string): KubeObject => ({ apiVersion: 'multicluster.x-k8s.io/v1alpha1', kind: 'ServiceExport', metadata: { name, namespace: ns, creationTimestamp: created as unknown as Date } });
const snap = (clusterId: string, services: KubeObject[], serviceExports: KubeObject[]): ClusterSnapshot => ({ clusterId, services, endpointSlices: [], pods: [], namespaces: [], serviceExports, serviceImports: [] });
const http = (port: number, protocol = 'TCP') => ({ name: 'http', port, protocol });
const conditions = (state: ReturnType<typeof mcsState>, cluster: string, name: string) =>
  Object.fromEntries(state.exports.find((e) => e.cluster === cluster && e.name === name)!.conditions.map((c) => [c.type, `${c.status}/${c.reason}`]));

describe('mcsState: ServiceImports and ServiceExport conditions', () => {
  it('a Service exported in cluster02 only: one import with its ports, type and IPs, written to both clusters; an unexported Service gets none', () => {
    const s = mcsState([
      snap('cluster01', [svc('sample', 'other', { clusterIP: '10.11.0.9', ports: [http(80)] })], []),
      snap('cluster02', [svc('sample', 'helloworld', { clusterIP: '10.21.0.5', clusterIPs: ['10.21.0.5'], ports: [{ name: 'http', port: 5000, protocol: 'TCP' }] }), svc('sample', 'other', { clusterIP: '10.21.0.9', ports: [http(80)] })], [exp('sample', 'helloworld', '2026-01-01T00:00:00Z')]),
    ]);
    expect(s.imports).toEqual([{ namespace: 'sample', name: 'helloworld', type: 'ClusterSetIP', ports: [{ name: 'http', port: 5000, protocol: 'TCP' }], clusters: ['cluster02'], ips: { cluster01: ['10.21.0.5'], cluster02: ['10.21.0.5'] } }]);
    expect(conditions(s, 'cluster02', 'helloworld')).toEqual({ Valid: 'True/Valid', Conflict: 'False/NoConflicts' });
    const obj = serviceImportObject(s.imports[0]!, 'cluster01');
    expect(obj).toMatchObject({ kind: 'ServiceImport', apiVersion: 'multicluster.x-k8s.io/v1alpha1', metadata: { name: 'helloworld', namespace: 'sample', labels: { 'app.kubernetes.io/managed-by': 'meshfed' } }, spec: { type: 'ClusterSetIP', ips: ['10.21.0.5'] } });
  });

  it('exported in both: each cluster\'s import carries its own ClusterIP; status lists both clusters', () => {
    const s = mcsState([
      snap('a', [svc('n', 'web', { clusterIP: '10.1.0.1', ports: [http(80)] })], [exp('n', 'web', '2026-01-02T00:00:00Z')]),
      snap('b', [svc('n', 'web', { clusterIP: '10.2.0.1', ports: [http(80)] })], [exp('n', 'web', '2026-01-01T00:00:00Z')]),
    ]);
    expect(s.imports[0]).toMatchObject({ clusters: ['a', 'b'], ips: { a: ['10.1.0.1'], b: ['10.2.0.1'] } });
  });

  it('a port conflict is reported on both exports; the oldest export\'s definition wins; other ports join the union', () => {
    const s = mcsState([
      snap('a', [svc('n', 'web', { clusterIP: '10.1.0.1', ports: [http(80), { name: 'grpc', port: 9090, protocol: 'TCP' }] })], [exp('n', 'web', '2026-01-02T00:00:00Z')]),
      snap('b', [svc('n', 'web', { clusterIP: '10.2.0.1', ports: [http(8080)] })], [exp('n', 'web', '2026-01-01T00:00:00Z')]),
    ]);
    expect(s.imports[0]!.ports).toEqual([http(8080), { name: 'grpc', port: 9090, protocol: 'TCP' }]);
    expect(conditions(s, 'a', 'web')['Conflict']).toBe('True/PortConflict');
    expect(conditions(s, 'b', 'web')['Conflict']).toBe('True/PortConflict');
    expect(s.exports.find((e) => e.cluster === 'a')!.conditions.find((c) => c.type === 'Conflict')!.message).toContain('b, the oldest export');
  });

  it('a type conflict (headless vs ClusterIP): the oldest export\'s type, both exports told; a headless import has no IPs', () => {
    const s = mcsState([
      snap('a', [svc('n', 'db', { clusterIP: 'None', ports: [http(80)] })], [exp('n', 'db', '2026-01-01T00:00:00Z')]),
      snap('b', [svc('n', 'db', { clusterIP: '10.2.0.1', ports: [http(80)] })], [exp('n', 'db', '2026-01-03T00:00:00Z')]),
    ]);
    expect(s.imports[0]).toMatchObject({ type: 'Headless', ips: { a: [], b: [] } });
    expect(serviceImportObject(s.imports[0]!, 'b')['spec']).not.toHaveProperty('ips');
    expect(conditions(s, 'a', 'db')['Conflict']).toBe('True/TypeConflict');
    expect(conditions(s, 'b', 'db')['Conflict']).toBe('True/TypeConflict');
  });

  it('an export without a Service, or of an ExternalName Service, is invalid and makes no import', () => {
    const s = mcsState([snap('a', [svc('n', 'ext', { type: 'ExternalName', externalName: 'x.example' })], [exp('n', 'ghost', '2026-01-01T00:00:00Z'), exp('n', 'ext', '2026-01-01T00:00:00Z')])]);
    expect(s.imports).toEqual([]);
    expect(conditions(s, 'a', 'ghost')).toEqual({ Valid: 'False/NoService' });
    expect(conditions(s, 'a', 'ext')).toEqual({ Valid: 'False/InvalidServiceType' });
  });

  it('Ready (mcs-api v0.5.0): True/Exported once every cluster holds the import, False/Pending naming the clusters that do not, False/Failed for an invalid export; after Valid', () => {
    const s = mcsState([
      snap('a', [svc('n', 'web', { clusterIP: '10.1.0.1', ports: [http(80)] })], [exp('n', 'web', '2026-01-01T00:00:00Z'), exp('n', 'ghost', '2026-01-01T00:00:00Z')]),
      snap('b', [], []),
    ]);
    const web = s.exports.find((e) => e.name === 'web')!;
    const ghost = s.exports.find((e) => e.name === 'ghost')!;
    const summary = (cs: ReturnType<typeof withReady>) => cs.map((c) => `${c.type}=${c.status}/${c.reason}`);
    expect(summary(withReady(web, [], ['a', 'b']))).toEqual(['Valid=True/Valid', 'Ready=True/Exported', 'Conflict=False/NoConflicts']);
    expect(withReady(web, [], ['a', 'b'])[1]!.message).toContain('a, b');
    const pending = withReady(web, [{ cluster: 'b', why: 'writing it failed: forbidden' }], ['a', 'b']);
    expect(summary(pending)).toEqual(['Valid=True/Valid', 'Ready=False/Pending', 'Conflict=False/NoConflicts']);
    expect(pending[1]!.message).toBe('the ServiceImport is not yet in b (writing it failed: forbidden)');
    expect(summary(withReady(ghost, [], ['a', 'b']))).toEqual(['Valid=False/NoService', 'Ready=False/Failed']);
    // The decisions themselves are unchanged (withReady returns a new list).
    expect(web.conditions.map((c) => c.type)).toEqual(['Valid', 'Conflict']);
  });
});
