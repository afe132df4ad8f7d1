/** The lab's Istio binaries, built from Istio's Go module, run and render manifests. */
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { LAB_VERSIONS, ensureLabBinaries, type LabBinaries } from '../../src/lab/index.js';

let bin: LabBinaries;
let dir: string;

beforeAll(async () => {
  bin = await ensureLabBinaries({ parts: ['istio'] });
  dir = await mkdtemp(join(tmpdir(), 'meshfed-istio-'));
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

const run = (binary: string, args: string[]) => spawnSync(binary, args, { encoding: 'utf8', timeout: 120_000, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, HOME: dir } });

describe('istio binaries of the lab', () => {
  it('istioctl version --remote=false prints the lab version', () => {
    const r = run(bin.istioctl, ['version', '--remote=false']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe(`client version: ${LAB_VERSIONS.istio}`);
  });

  it('pilot-discovery reports the same version', () => {
    const r = run(bin.pilotDiscovery, ['version', '--short']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe(`client version: ${LAB_VERSIONS.istio}`);
  });

  it('pilot-agent (of the same commit) reports the same version', () => {
    const r = run(bin.pilotAgent, ['version', '--short']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe(`client version: ${LAB_VERSIONS.istio}`);
  });

  it("Istio's echo client gets an answer from Istio's echo server, over gRPC, naming its version and cluster", () => {
    // In a throwaway network namespace of its own (only its loopback), so no port is shared.
    const script = [
      'ip link set lo up',
      `"$SERVER" --grpc 17070 --port 18080 --tcp 19090 --version v7 --cluster cluster07 >"$DIR/server.log" 2>&1 &`,
      'SRV=$!; trap \'kill $SRV\' EXIT',
      'for i in $(seq 1 100); do "$CLIENT" grpc://127.0.0.1:17070 --count 1 >"$DIR/client.out" 2>&1 && break; sleep 0.1; done',
      'cat "$DIR/client.out"',
    ].join('\n');
    const r = spawnSync('unshare', ['--net', 'sh', '-ec', script], {
      encoding: 'utf8',
      timeout: 60_000,
      env: { ...process.env, SERVER: bin.echoServer, CLIENT: bin.echoClient, DIR: dir },
    });
    expect(r.status, r.stderr + r.stdout).toBe(0);
    expect(r.stdout).toContain('ServiceVersion=v7');
    expect(r.stdout).toContain('Cluster=cluster07');
  });

  it('istioctl manifest generate renders istiod with the cluster name as CLUSTER_ID', async () => {
    const iop = join(dir, 'iop.yaml');
    await writeFile(
      iop,
      `apiVersion: install.istio.io/v1alpha1
kind: IstioOperator
spec:
  profile: minimal
  values:
    global:
      meshID: mesh1
      multiCluster:
        clusterName: cluster07
      network: network2
`,
    );
    const r = run(bin.istioctl, ['manifest', 'generate', '-f', iop]);
    expect(r.status, r.stderr).toBe(0);
    type Container = { name: string; env?: { name: string; value?: string }[] };
    type Obj = { kind?: string; metadata?: { name?: string }; spec?: { template?: { spec?: { containers?: Container[] } } } };
    const docs = parseAllDocuments(r.stdout).map((d) => d.toJS() as Obj | null).filter((d): d is Obj => !!d);
    const istiod = docs.find((d) => d.kind === 'Deployment' && d.metadata?.name === 'istiod');
    expect(istiod, 'a Deployment named istiod').toBeDefined();
    const env = istiod!.spec!.template!.spec!.containers!.find((c) => c.name === 'discovery')!.env ?? [];
    expect(env.find((e) => e.name === 'CLUSTER_ID')?.value).toBe('cluster07');
    expect(r.stdout).toContain('network2');
  });
});
