/**
 * issue 15's bar for false positives: each of seed 000's four models, freshly applied to one
 * two-cluster lab, gets no doctor error or warning (istioctl analyze's expected findings shown
 * as ok with their reason) and no status drift; then it is destroyed for the next model. Then
 * the six-cluster mix (examples/mix: two primaries, four remotes, three networks, trust domain
 * corp.example) gets the same bar on a lab of its own, and its istiod signs workload identities
 * in the mesh's trust domain.
 * Loopback addresses 127.0.33.x belong to this file.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DoctorReport } from '../../src/doctor/index.js';
import { applyObject, listObjects } from '../../src/kube/index.js';
import { podRootDir } from '../../src/lab/podFiles.js';
import { startLabMesh, type LabMesh } from '../apply/labMesh.js';
import { runCli } from '../cli/run.js';
import { eventually } from '../lab/labTools.js';
import { sampleNamespace, serviceAccount, sleepClient } from '../lab/dataplaneTools.js';

const IPS = ['127.0.33.1', '127.0.33.2', '127.0.33.3', '127.0.33.4', '127.0.33.5', '127.0.33.6'];
const MODELS = ['primary-remote', 'multi-primary', 'primary-remote-multi-network', 'multi-primary-multi-network'].map((m) => `examples/${m}/mesh.yaml`);
/** The mix's clusters that name no pool get one here, as bench/doctor gives them. */
const MIX_POOLS = { 'east-2': '192.168.11.0/28', 'west-1': '192.168.20.0/28' };

let t: LabMesh | undefined;

afterAll(async () => {
  await t?.down();
});

/** doctor: no error, no warning, exit 0, istioctl analyze ran everywhere; status: no drift. */
async function expectClean(meshPath: string): Promise<DoctorReport> {
  const d = await runCli('doctor', '-f', meshPath, '-o', 'json');
  const report = JSON.parse(d.stdout) as DoctorReport;
  const problems = report.clusters.flatMap((c) => c.findings).filter((f) => f.severity !== 'ok');
  expect(problems, JSON.stringify(problems, null, 2)).toEqual([]);
  expect(d.code).toBe(0);
  for (const c of report.clusters) expect(c.findings.some((f) => f.code === 'MF4080'), c.cluster).toBe(true);
  const s = await runCli('status', '-f', meshPath);
  expect(s.code, s.stdout).toBe(0);
  expect(s.stdout).toContain('No drift');
  return report;
}

describe('seed 000 models', () => {
  beforeAll(async () => {
    t = await startLabMesh('doctor-models', MODELS[0]!, IPS.slice(0, 2));
  });

  afterAll(async () => {
    await t?.down();
    t = undefined;
  });

  describe.each(MODELS)('%s freshly applied to the lab', (model) => {
    it('doctor: no error, no warning (exit 0); status: no drift (exit 0)', async () => {
      await t!.use(model);
      const applied = await runCli('apply', '-f', t!.meshPath);
      expect(applied.code, applied.stderr).toBe(0);
      try {
        await expectClean(t!.meshPath);
      } finally {
        const destroyed = await runCli('destroy', '-f', t!.meshPath);
        expect(destroyed.code, destroyed.stderr).toBe(0);
      }
    });
  });
});

describe('examples/mix freshly applied to a six-cluster lab', () => {
  beforeAll(async () => {
    t = await startLabMesh('doctor-mix', 'examples/mix/mesh.yaml', IPS, { pools: MIX_POOLS });
    const applied = await runCli('apply', '-f', t.meshPath);
    expect(applied.code, applied.stderr).toBe(0);
  });

  it("doctor: no error, no warning (exit 0), istiod's trust domain is the mesh file's (MF4011 ok); status: no drift", async () => {
    const report = await expectClean(t!.meshPath);
    const trust = report.clusters.flatMap((c) => c.findings).filter((f) => f.code === 'MF4011');
    expect(trust.map((f) => `${f.cluster} ${f.severity} ${f.evidence}`).sort()).toEqual(['east-1 ok trustDomain corp.example', 'west-1 ok trustDomain corp.example']);
  });

  it("a workload's certificate, signed by the real istiod of east-1, names spiffe://corp.example/", async () => {
    const k = t!.clients.get('east-1')!;
    for (const o of [sampleNamespace(), serviceAccount('sleep'), sleepClient()]) await applyObject(k, o);
    const chain = await eventually('the sleep pod has its workload certificate', async () => {
      const pods = await listObjects(k, 'v1', 'Pod', { namespace: 'sample' });
      const p = pods.find((x) => x.metadata.name.startsWith('sleep-') && (x['status'] as { phase?: string } | undefined)?.phase === 'Running');
      const file = p && join(podRootDir(t!.lab.stateDir, 'east-1', 'sample', p.metadata.name), 'var/lib/istio/data/cert-chain.pem');
      return file && existsSync(file) ? readFileSync(file, 'utf8') : undefined;
    }, 120_000);
    const leaf = chain.slice(0, chain.indexOf('-----END CERTIFICATE-----') + '-----END CERTIFICATE-----'.length) + '\n';
    const san = spawnSync('openssl', ['x509', '-noout', '-ext', 'subjectAltName'], { input: leaf, encoding: 'utf8' }).stdout;
    expect(san).toContain('URI:spiffe://corp.example/ns/sample/sa/sleep');
  }, 180_000);
});
