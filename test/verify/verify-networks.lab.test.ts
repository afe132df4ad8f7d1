/**
 * `meshfed verify` on a lab mesh of two networks (cluster01 in network1, cluster02 in
 * network2, multi-primary, applied by `meshfed apply`). The lab has no Envoy, so the data path
 * through an east-west gateway cannot be shown here; verify must say so and claim only what it
 * sees: each client answered within its own network, and was given the other network's
 * gateway address (`<gateway>:15443`, Istio's split horizon) for that network's endpoints.
 * Loopback addresses 127.0.57.x belong to this file only.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CheckSlot, VerifyReport as VerifyTally } from '../../src/serve/index.js';
import { eventually } from '../lab/labTools.js';
import { deleteObject, getObject } from '../../src/kube/index.js';
import type { VerifyReport } from '../../src/verify/index.js';
import { runCli } from '../cli/run.js';
import { startDataplaneLab, type DataplaneLab } from '../lab/dataplaneTools.js';
import { numberedMeshYaml } from '../lab/numberedMesh.js';

const MESH = numberedMeshYaml({ name: 'verify-networks', octet: 57, clusters: [{ network: 'network1' }, { network: 'network2' }] });

let l: DataplaneLab;

beforeAll(async () => {
  l = await startDataplaneLab('verify-networks', MESH);
}, 600_000);

afterAll(async () => {
  await l?.down();
});

type Output = VerifyReport & { causes: { code: string; cluster: string; cause: string }[] };
async function verify(...args: string[]): Promise<{ code: number; out: Output; text: string }> {
  const r = await runCli('verify', '-f', l.meshPath, '-o', 'json', '--requests', '20', ...args);
  return { code: r.code, out: JSON.parse(r.stdout) as Output, text: r.stderr };
}

async function gatewayOf(cluster: string): Promise<string> {
  const svc = (await getObject(l.clients.get(cluster)!, { apiVersion: 'v1', kind: 'Service', namespace: 'istio-system', name: 'istio-eastwestgateway' })) as unknown as { status?: { loadBalancer?: { ingress?: { ip: string }[] } } };
  const ip = svc.status?.loadBalancer?.ingress?.[0]?.ip;
  expect(ip, `${cluster}'s east-west gateway has an address`).toBeTruthy();
  return `${ip}:15443`;
}

describe('meshfed verify across two networks in the lab', () => {
  it("passes within each network, reports the other network's gateway given to each client, and marks the gateway path not verifiable", async () => {
    const r = await verify('--keep');
    const sources = JSON.stringify(r.out.verdict.sources.map((s) => ({ source: s.source, byCluster: s.byCluster, networks: s.networks, errors: s.errors })));
    expect(r.code, `${r.text}\n${sources}`).toBe(0);
    const gateways: Record<string, string> = { network1: await gatewayOf('cluster01'), network2: await gatewayOf('cluster02') };
    for (const [source, own, other] of [['cluster01', 'cluster01', 'network2'], ['cluster02', 'cluster02', 'network1']] as const) {
      const s = r.out.verdict.sources.find((x) => x.source === source)!;
      // answered within its own network only: nothing crossed, and nothing is claimed to have
      expect(Object.keys(s.byCluster), source).toEqual([own]);
      expect(s.networks, source).toEqual([{ network: other, verdict: 'not-verifiable', gateway: gateways[other] }]);
    }
    expect(r.out.mtls).toMatchObject({ observed: true, enforced: true });
    const text = await runCli('verify', '-f', l.meshPath, '--requests', '20', '--keep');
    expect(text.stdout).toContain(`its client was given ${gateways['network2']} (the network's east-west gateway) for its endpoints; the data path through the gateway is not verifiable here`);
    expect(text.stdout).toMatch(/Verify: pass within each network; every client was given the other networks' gateway addresses; the data path between networks is not verifiable here/);
  });

  it("serve --verify-every runs verify and the dashboard shows its tally per cluster (GET /api/v1/checks/verify, the checks page in Chromium)", async () => {
    const serve = spawn(process.execPath, ['bin/meshfed.js', 'serve', '-f', l.meshPath, '--port', '0', '--verify-every', '3600'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    serve.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        createInterface({ input: serve.stdout! }).once('line', resolve);
        serve.once('exit', (code) => reject(new Error(`meshfed serve exited ${code}: ${stderr}`)));
      });
      const slot = await eventually('a verify run recorded by serve', async () => {
        const s = (await (await fetch(`${url}/api/v1/checks/verify`)).json()) as CheckSlot<VerifyTally>;
        return s.state === 'present' ? s : undefined;
      }, 150_000);
      if (slot.state !== 'present') throw new Error('unreachable');
      expect(slot.report.verdict).toBe('pass');
      const gateways: Record<string, string> = { network1: await gatewayOf('cluster01'), network2: await gatewayOf('cluster02') };
      expect(slot.report.sources.map((s) => [s.cluster, s.verdict, s.answeredBy.map((a) => `${a.cluster} ${a.version}`)])).toEqual([
        ['cluster01', 'pass', ['cluster01 v1']],
        ['cluster02', 'pass', ['cluster02 v2']],
      ]);
      expect(slot.report.sources[0]!.notes).toContain(`network network2: given its gateway ${gateways['network2']}; the path through it is not verifiable here`);
      const page = await browser.newPage();
      await page.goto(`${url}/checks`);
      await page.locator('#verify li[data-cluster="cluster02"]').waitFor();
      const shown = await page.locator('#verify li').allInnerTexts();
      expect(shown[0]).toContain('cluster01: pass, 20 requests; answered by cluster01 v1 ×');
      expect(shown[1]).toContain(`network network1: given its gateway ${gateways['network1']}`);
      // serve's verify removed what it made, as meshfed verify does
      expect(await getObject(l.clients.get('cluster01')!, { apiVersion: 'v1', kind: 'Namespace', name: 'sample' })).toBeUndefined();
    } finally {
      await browser.close();
      serve.kill('SIGTERM');
    }
  });

  it("without cluster02's remote secret, cluster01's client is not given network2's gateway: network2 missed, no pass", async () => {
    await deleteObject(l.clients.get('cluster01')!, { apiVersion: 'v1', kind: 'Secret', namespace: 'istio-system', name: 'istio-remote-secret-cluster02' });
    const r = await verify();
    expect(r.code, r.text).toBe(2);
    const from1 = r.out.verdict.sources.find((s) => s.source === 'cluster01')!;
    expect(from1.pass).toBe(false);
    expect(from1.networks).toEqual([{ network: 'network2', verdict: 'missed' }]);
    // cluster02's istiod still watches cluster01: its client is given network1's gateway
    expect(r.out.verdict.sources.find((s) => s.source === 'cluster02')!.networks).toMatchObject([{ network: 'network1', verdict: 'not-verifiable' }]);
  });
});
