/**
 * apply ships no bad trust material: an expired intermediate in the trust folder stops the
 * cacerts step with its own code (MF5014) before any Secret reaches the cluster, and what needs
 * cacerts (the Istio install) does not run. One cluster; loopback address 127.0.16.1 belongs to this file.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getObject } from '../../src/kube/index.js';
import { ensureTrust } from '../../src/pki/index.js';
import { runCli } from '../cli/run.js';
import { startLabMesh, type LabMesh } from './labMesh.js';
import { join } from 'node:path';

const IPS = ['127.0.16.1'];
const DAY_MS = 86_400_000;

let t: LabMesh;

beforeAll(async () => {
  t = await startLabMesh('apply-trust', 'examples/multi-primary/mesh.yaml', IPS, { drop: ['cluster02'] });
});

afterAll(async () => {
  await t?.down();
});

describe('apply with an expired intermediate', () => {
  it('stops at the cacerts step with MF5014, ships no cacerts Secret, and installs nothing that needs it', async () => {
    // Re-issued under the same root two days ago, valid for one day.
    await ensureTrust({
      rootDir: join(t.dir, 'certs'),
      clusters: ['cluster01'],
      rotate: ['cluster01'],
      options: { keyAlgorithm: 'ecdsa-p256', intermediateValidityDays: 1 },
      now: () => new Date(Date.now() - 2 * DAY_MS),
    });
    const run = await runCli('apply', '-f', t.meshPath, '-o', 'json');
    const finished = run.stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { type: string; step: string; status?: string; code?: string; detail?: string })
      .filter((e) => e.type === 'finish');
    const byStep = new Map(finished.map((e) => [e.step, e]));
    expect(byStep.get('namespace:cluster01')?.status).toBe('done');
    const cacerts = byStep.get('cacerts:cluster01');
    expect(cacerts?.status, run.stderr).toBe('failed');
    expect(cacerts?.code).toBe('MF5014');
    expect(cacerts?.detail).toContain('intermediate CA of cluster01 expired');
    expect(byStep.get('istio:cluster01')?.status).toBe('blocked');
    expect(run.code).not.toBe(0);
    const k = t.clients.get('cluster01')!;
    expect(await getObject(k, { apiVersion: 'v1', kind: 'Secret', name: 'cacerts', namespace: 'istio-system' })).toBeUndefined();
  });
});
