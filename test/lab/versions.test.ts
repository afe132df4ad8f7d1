import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildScriptPath, labBinaryPaths } from '../../src/lab/binaries.js';
import { LAB_VERSIONS } from '../../src/lab/index.js';
import { buildScriptEnv } from '../../src/lab/versions.js';

describe('lab versions', () => {
  it('scripts/build-lab.sh defaults agree with src/lab/versions.ts', () => {
    const script = readFileSync(buildScriptPath(), 'utf8');
    for (const [name, value] of Object.entries(buildScriptEnv())) {
      const m = new RegExp(`^${name}=\\$\\{${name}:-([^}]*)\\}`, 'm').exec(script);
      expect(m?.[1], name).toBe(value);
    }
  });

  it('binary paths follow the script cache layout', () => {
    const b = labBinaryPaths('/cache');
    expect(b.kubeApiserver).toBe(`/cache/kubernetes-${LAB_VERSIONS.kubernetes}/bin/kube-apiserver`);
    expect(b.etcd).toBe(`/cache/etcd-${LAB_VERSIONS.etcd}/bin/etcd`);
    expect(b.istioctl).toBe(`/cache/istio-${LAB_VERSIONS.istio}/bin/istioctl`);
    expect(b.pilotAgent).toBe(`/cache/istio-${LAB_VERSIONS.istio}/bin/pilot-agent`);
    expect(b.echoServer).toBe(`/cache/istio-${LAB_VERSIONS.istio}/bin/echo-server`);
    expect(b.echoClient).toBe(`/cache/istio-${LAB_VERSIONS.istio}/bin/echo-client`);
    expect(b.helm).toBe(`/cache/helm-${LAB_VERSIONS.helm}/bin/helm`);
    expect(b.istioCharts).toBe(`/cache/istio-${LAB_VERSIONS.istio}/charts`);
    expect(b.kwokStages.every((s) => s.startsWith(`/cache/kwok-${LAB_VERSIONS.kwok}/stages/`))).toBe(true);
  });
});
