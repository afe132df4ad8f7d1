import { describe, expect, it } from 'vitest';
import { slim } from '../../src/discovery/slim.js';
import type { KubeObject } from '../../src/kube/index.js';

describe('slim (what istiod keeps of an object)', () => {
  it('drops managedFields everywhere and keeps the rest of a Service whole', () => {
    const svc: KubeObject = { apiVersion: 'v1', kind: 'Service', metadata: { name: 's', namespace: 'n', labels: { a: 'b' }, managedFields: [{ manager: 'kubectl' }] }, spec: { ports: [{ port: 80 }] }, status: {} };
    expect(slim(svc)).toEqual({ apiVersion: 'v1', kind: 'Service', metadata: { name: 's', namespace: 'n', labels: { a: 'b' } }, spec: { ports: [{ port: 80 }] }, status: {} });
  });

  it("keeps of a pod's spec only container ports and the fields discovery reads, and all of its status", () => {
    const pod: KubeObject = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p', namespace: 'n', labels: { app: 'x' }, managedFields: [{}] },
      spec: {
        nodeName: 'node-1',
        serviceAccountName: 'sa',
        volumes: [{ name: 'v' }],
        containers: [
          { name: 'app', image: 'i', env: [{ name: 'A', value: 'secret-ish' }], ports: [{ containerPort: 8080 }] },
          { name: 'side', image: 'j' },
        ],
      },
      status: { podIP: '10.10.0.5', phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] },
    };
    expect(slim(pod)).toEqual({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p', namespace: 'n', labels: { app: 'x' } },
      spec: { containers: [{ ports: [{ containerPort: 8080 }] }], serviceAccountName: 'sa', nodeName: 'node-1' },
      status: pod['status'],
    });
  });
});
