/**
 * The lab's pod network, with real network namespaces: pods of images the lab runs hold
 * their kwok pod IP; the rendered 90-routes.sh, run for real, decides reachability between
 * the clusters of a flat network; another network has no route; load balancer addresses are
 * reachable from every cluster; nothing routes outside the lab; `lab down` leaves nothing.
 * Loopback addresses 127.0.21.x belong to this file only.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyObject, kubeClients, listObjects, type KubeObject } from '../../src/kube/index.js';
import { ensureLabBinaries, labDown, labRoutes, labStatus, labUp, type LabBinaries, type LabState } from '../../src/lab/index.js';
import { listLabNetns } from '../../src/lab/netns.js';
import { podNetworkPrefix } from '../../src/lab/podNetwork.js';
import { validateMeshFile, type MeshFile } from '../../src/topology/index.js';
import { runCli } from '../cli/run.js';
import { eventually } from './labTools.js';
import { numberedMeshYaml } from './numberedMesh.js';

const MESH = numberedMeshYaml({ name: 'podnet', octet: 21, clusters: [{}, {}, { network: 'network2' }] });

let dir: string;
let meshPath: string;
let mesh: MeshFile;
let lab: LabState;
let bin: LabBinaries;
let hostLinksBefore: string;
// Port 7070: the lab runs the HelloWorld pods' echo server on their port 5000 itself.
const listeners: ChildProcess[] = [];
const podIPs = new Map<string, string>();
let downDone = false;

const hostLinks = () => spawnSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' }).stdout.split('\n').map((l) => l.split(':')[1]?.trim()).filter(Boolean).sort().join(',');

const podManifest = (name: string, image: string): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'default', labels: { app: name } },
  spec: { containers: [{ name: 'main', image }] },
});

/** A TCP connect from inside a namespace: the first line the peer sends, or the error code. */
function connectFrom(netns: string, host: string, port: number): string {
  const js = `const s=require('net').connect(${port},'${host}');s.setTimeout(3000,()=>{console.log('TIMEOUT');process.exit(0)});s.on('data',d=>{process.stdout.write(String(d));process.exit(0)});s.on('error',e=>{console.log(e.code);process.exit(0)})`;
  return spawnSync('ip', ['netns', 'exec', netns, process.execPath, '-e', js], { encoding: 'utf8', timeout: 20_000 }).stdout.trim();
}

/** A listener inside a namespace that answers every connection with one line. */
function listen(netns: string, host: string, port: number, answer: string): ChildProcess {
  const js = `require('net').createServer(s=>s.end(${JSON.stringify(answer + '\n')}+' from '+s.remoteAddress)).listen(${port},'${host}',()=>console.log('listening'))`;
  const child = spawn('ip', ['netns', 'exec', netns, process.execPath, '-e', js], { stdio: ['ignore', 'pipe', 'inherit'] });
  listeners.push(child);
  return child;
}

const listening = (child: ChildProcess) => new Promise<void>((resolve) => child.stdout!.once('data', () => resolve()));

const netnsOf = (cluster: number, ip: string) => `${podNetworkPrefix(lab.stateDir)}node${cluster}-${ip}`;

beforeAll(async () => {
  bin = await ensureLabBinaries({ parts: ['etcd', 'kwok', 'kube'] });
  dir = await mkdtemp(join(tmpdir(), 'meshfed-podnet-'));
  meshPath = join(dir, 'mesh.yaml');
  await writeFile(meshPath, MESH);
  const v = await validateMeshFile(meshPath);
  expect(v.ok, JSON.stringify(v.diagnostics)).toBe(true);
  mesh = v.mesh!;
  hostLinksBefore = hostLinks();
  lab = await labUp({ mesh, meshPath });
  const images = ['docker.io/istio/examples-helloworld-v1:1.0', 'docker.io/istio/examples-helloworld-v2:1.0', 'docker.io/curlimages/curl:8.16.0'];
  await Promise.all(
    lab.clusters.map(async (c, i) => {
      const k = kubeClients(lab.kubeconfig, c.context);
      await applyObject(k, podManifest('app', images[i]!));
      await applyObject(k, podManifest('fake', 'registry.example/web:1'));
    }),
  );
  for (const [i, c] of lab.clusters.entries()) {
    const ip = await eventually(`${c.name} app pod IP`, async () => {
      const pods = (await listObjects(kubeClients(lab.kubeconfig, c.context), 'v1', 'Pod', { namespace: 'default' })) as (KubeObject & { status?: { podIP?: string; phase?: string } })[];
      const app = pods.find((p) => p.metadata.name === 'app');
      return app?.status?.phase === 'Running' ? app.status.podIP : undefined;
    });
    podIPs.set(c.name, ip);
    await eventually(`${c.name} app pod namespace`, async () => (listLabNetns(netnsOf(i, ip)).includes(netnsOf(i, ip)) ? true : undefined));
  }
});

afterAll(async () => {
  for (const l of listeners) l.kill('SIGKILL');
  if (!downDone && mesh) await labDown({ mesh, meshPath }).catch(() => undefined);
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('the lab pod network', () => {
  it('gives pods of images the lab runs a namespace holding their pod IP, and leaves other pods fakes', async () => {
    const status = await labStatus({ mesh, meshPath });
    expect(status.healthy, status.problem).toBe(true);
    expect(status.podNetwork?.runner?.alive).toBe(true);
    expect(status.podNetwork?.fabric).toBe(true);
    const prefix = podNetworkPrefix(lab.stateDir);
    const namespaces = listLabNetns(prefix);
    // fabric, three nodes, three app pods; the "fake" pods get none.
    expect(namespaces).toHaveLength(7);
    for (const [i, c] of lab.clusters.entries()) {
      const ip = podIPs.get(c.name)!;
      const addr = spawnSync('ip', ['-n', netnsOf(i, ip), '-o', '-4', 'addr', 'show', 'dev', 'eth0'], { encoding: 'utf8' }).stdout;
      expect(addr, c.name).toContain(`inet ${ip}/32`);
    }
    // Every lab link lives in a lab namespace: the host's own links are unchanged.
    expect(hostLinks()).toBe(hostLinksBefore);
  });

  it('routes the clusters of one network to each other only once their rendered 90-routes.sh runs; another network never', async () => {
    const [ip1, ip2, ip3] = ['cluster01', 'cluster02', 'cluster03'].map((c) => podIPs.get(c)!);
    const [ns1, ns2, ns3] = [netnsOf(0, ip1!), netnsOf(1, ip2!), netnsOf(2, ip3!)];
    await listening(listen(ns2, ip2!, 7070, 'v2'));
    await listening(listen(ns3, ip3!, 7070, 'v3'));
    // Before any route: no way from cluster01 to cluster02's pods.
    expect(connectFrom(ns1, ip2!, 7070)).toMatch(/ENETUNREACH|EHOSTUNREACH|TIMEOUT/);

    const out = join(dir, 'out');
    const r = await runCli('render', '-f', meshPath, '-o', out);
    expect(r.code, r.stderr).toBe(0);
    const applied = labRoutes({ mesh, meshPath, renderDir: out });
    expect(applied.map((a) => [a.cluster, a.script !== undefined])).toEqual([
      ['cluster01', true],
      ['cluster02', true],
      ['cluster03', false],
    ]);
    expect(applied[0]!.routes.some((l) => l.startsWith('10.20.0.0/16 via 198.19.0.2'))).toBe(true);
    expect(connectFrom(ns1, ip2!, 7070)).toBe(`v2\n from ${ip1}`);
    // network2 has no route from network1, either way.
    expect(connectFrom(ns1, ip3!, 7070)).toMatch(/ENETUNREACH|EHOSTUNREACH|TIMEOUT/);
    expect(connectFrom(ns3, ip2!, 7070)).toMatch(/ENETUNREACH|EHOSTUNREACH|TIMEOUT/);

    labRoutes({ mesh, meshPath, renderDir: out, remove: true });
    expect(connectFrom(ns1, ip2!, 7070)).toMatch(/ENETUNREACH|EHOSTUNREACH|TIMEOUT/);
    const cli = await runCli('lab', 'routes', '-f', meshPath, '-d', out);
    expect(cli.code, cli.stderr).toBe(0);
    expect(cli.stdout).toContain('10.20.0.0/16 via 198.19.0.2');
    expect(connectFrom(ns1, ip2!, 7070)).toBe(`v2\n from ${ip1}`);
  });

  it('reaches load balancer addresses from every cluster of every network, and nothing outside the lab', async () => {
    const status = await labStatus({ mesh, meshPath });
    const pool = status.clusters[1]!.loadBalancerPool;
    const lbAddress = pool.replace(/\.0\/24$/, '.7');
    const fabric = `${podNetworkPrefix(lab.stateDir)}fabric`;
    await listening(listen(fabric, lbAddress, 15012, 'lb'));
    for (const [i, c] of lab.clusters.entries()) {
      const ip = podIPs.get(c.name)!;
      expect(connectFrom(netnsOf(i, ip), lbAddress, 15012), c.name).toBe(`lb\n from ${ip}`);
    }
    const ns1 = netnsOf(0, podIPs.get('cluster01')!);
    for (const outside of ['192.0.2.1', '8.8.8.8', '172.18.0.2', '10.99.0.1']) {
      const route = spawnSync('ip', ['netns', 'exec', fabric, 'ip', 'route', 'get', outside], { encoding: 'utf8' });
      expect(route.status, `fabric has no route to ${outside}`).not.toBe(0);
    }
    for (const outside of ['192.0.2.1', '172.18.0.2']) expect(connectFrom(ns1, outside, 80)).toMatch(/ENETUNREACH|EHOSTUNREACH|TIMEOUT/);
  });

  it("reaches every lab API server from a lab pod at its usual address, TLS end to end (the lab's API bridge)", async () => {
    const ns3 = netnsOf(2, podIPs.get('cluster03')!);
    for (const c of lab.clusters) {
      const r = await eventually(`kubectl in ${ns3} against ${c.name}`, async () => {
        const out = spawnSync('ip', ['netns', 'exec', ns3, bin.kubectl, '--kubeconfig', lab.kubeconfig, '--context', c.context, 'get', 'nodes', '-o', 'name'], { encoding: 'utf8', timeout: 20_000 });
        return out.status === 0 ? out.stdout : undefined;
      });
      expect(r.trim().split('\n')).toHaveLength(1);
    }
    // The address is the API server's loopback one, inside the pod's own namespace.
    const listening = spawnSync('ip', ['netns', 'exec', ns3, 'cat', '/proc/net/tcp'], { encoding: 'utf8' }).stdout;
    expect(listening).toContain(':192B '); // port 6443 in hex, listening in the pod namespace
  });

  it('lab status shows the pod network; with its runner killed the lab is unhealthy, and lab up rebuilds it with every lab pod attached again', async () => {
    const shown = await runCli('lab', 'status', '-f', meshPath);
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toContain(`pod network: network namespaces ${podNetworkPrefix(lab.stateDir)}* (7)`);
    const runner = (await labStatus({ mesh, meshPath })).podNetwork!.runner!;
    for (const l of listeners) l.kill('SIGKILL');
    process.kill(runner.pid, 'SIGKILL');
    await eventually('runner gone', async () => ((await labStatus({ mesh, meshPath })).podNetwork?.runner?.alive === false ? true : undefined));
    const sick = await labStatus({ mesh, meshPath });
    expect(sick.healthy).toBe(false);
    expect(sick.problem).toContain('pod runner');
    lab = await labUp({ mesh, meshPath });
    expect(lab.reused).toBe(false);
    const again = await labStatus({ mesh, meshPath });
    expect(again.healthy, again.problem).toBe(true);
    for (const [i, c] of lab.clusters.entries()) {
      const ns = netnsOf(i, podIPs.get(c.name)!);
      await eventually(`${c.name} app pod namespace again`, async () => (listLabNetns(ns).includes(ns) ? true : undefined));
    }
  });

  it('lab down removes every namespace and link, and the runner with them', async () => {
    const prefix = podNetworkPrefix(lab.stateDir);
    for (const l of listeners) l.kill('SIGKILL');
    await labDown({ mesh, meshPath });
    downDone = true;
    expect(listLabNetns(prefix)).toEqual([]);
    expect(hostLinks()).toBe(hostLinksBefore);
    const left = spawnSync('pgrep', ['-f', lab.stateDir], { encoding: 'utf8' }).stdout.trim();
    expect(left).toBe('');
  });
});
