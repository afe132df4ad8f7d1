import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { remoteKubeconfig } from '../../src/apply/index.js';

describe('remote secret kubeconfig', () => {
  it('is what istioctl create-remote-secret embeds: cluster, context and user named after the cluster, token auth', () => {
    const k = parse(remoteKubeconfig('cluster02', 'https://172.18.0.3:6443', 'Q0E=', 'tok')) as Record<string, unknown>;
    expect(k).toEqual({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'cluster02', cluster: { server: 'https://172.18.0.3:6443', 'certificate-authority-data': 'Q0E=' } }],
      contexts: [{ name: 'cluster02', context: { cluster: 'cluster02', user: 'cluster02' } }],
      'current-context': 'cluster02',
      preferences: {},
      users: [{ name: 'cluster02', user: { token: 'tok' } }],
    });
  });
});
