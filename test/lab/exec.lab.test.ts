/**
 * `kubectl exec` and `kubectl logs` into a pod the lab runs, with the lab's own kubectl and
 * with client-node's Exec (src/kube's execInPod): the API server hands them to kwok's kubelet
 * server, which runs the command inside the pod's network namespace (the lab's exec wrapper)
 * and reads the pod's log file. A kwok fake (unknown image) refuses exec rather than run it
 * anywhere. Needs root and iproute2 (the pod network). Loopback addresses 127.0.27.x belong to
 * this file only.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyObject, deleteObject, execInPod, getObject, isKubeError, kubeClients, readPodLog, type KubeClients, type KubeObject } from '../../src/kube/index.js';
import { ensureLabBinaries, labDown, labUp, type LabBinaries, type LabState } from '../../src/lab/index.js';
import type { PodLike } from '../../src/lab/images.js';
import { KWOK_API_VERSION, debugPodOf, kwokExecObject } from '../../src/lab/kwokDebug.js';
import { spawnComponent } from '../../src/lab/processes.js';
import { listLabNetns } from '../../src/lab/netns.js';
import { podLogPath } from '../../src/lab/podFiles.js';
import { podLogWriter } from '../../src/lab/podLog.js';
import { podNetworkPrefix } from '../../src/lab/podNetwork.js';
import { validateMeshFile, type MeshFile } from '../../src/topology/index.js';
import { eventually, kubectl } from './labTools.js';

const MESH = `apiVersion: meshfed.io/v1alpha1
kind: Mesh
metadata:
  name: execlab
spec:
  lab:
    nodes: 1
  clusters:
    - name: cluster01
      context: lab-exec01
      apiServer: https://127.0.27.1:6443
      network: network1
      controlPlane: self
      podCIDRs: [10.70.0.0/16]
      serviceCIDRs: [10.71.0.0/16]
`;

let dir: string;
let meshPath: string;
let mesh: MeshFile;
let lab: LabState;
let bin: LabBinaries;
let clients: KubeClients;
let podIP: string;
let netns: string;
let downDone = false;

const k = (args: string[]) => kubectl(bin.kubectl, lab.kubeconfig, 'lab-exec01', args);

const podManifest = (name: string, image: string): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'default' },
  spec: { containers: [{ name: 'main', image }] },
});

/** `ip -4 -o addr` lines → the addresses on devices other than lo. */
const nonLoopback = (text: string) =>
  text
    .split('\n')
    .filter((l) => /\sinet\s/.test(l) && !/^\d+:\s+lo\s/.test(l))
    .map((l) => /inet (\S+)/.exec(l)![1]);

beforeAll(async () => {
  bin = await ensureLabBinaries({ parts: ['etcd', 'kwok', 'kube'] });
  dir = await mkdtemp(join(tmpdir(), 'meshfed-exec-'));
  meshPath = join(dir, 'mesh.yaml');
  await writeFile(meshPath, MESH);
  const v = await validateMeshFile(meshPath);
  expect(v.ok, JSON.stringify(v.diagnostics)).toBe(true);
  mesh = v.mesh!;
  lab = await labUp({ mesh, meshPath });
  clients = kubeClients(lab.kubeconfig, 'lab-exec01');
  // seed 000's sleep image: a pod the lab runs; any other image stays a kwok fake.
  await applyObject(clients, podManifest('sleep', 'docker.io/curlimages/curl:8.16.0'));
  await applyObject(clients, podManifest('fake', 'registry.example/web:1'));
  podIP = await eventually('sleep pod IP', async () => {
    const p = (await getObject(clients, { apiVersion: 'v1', kind: 'Pod', namespace: 'default', name: 'sleep' })) as (KubeObject & { status?: { podIP?: string; phase?: string } }) | undefined;
    return p?.status?.phase === 'Running' ? p.status.podIP : undefined;
  });
  netns = `${podNetworkPrefix(lab.stateDir)}node0-${podIP}`;
  await eventually('sleep pod namespace', async () => (listLabNetns(netns).includes(netns) ? true : undefined));
  await eventually("sleep pod's kwok Exec and Logs objects", async () => {
    const exec = await getObject(clients, { apiVersion: KWOK_API_VERSION, kind: 'Exec', namespace: 'default', name: 'sleep' });
    const logs = await getObject(clients, { apiVersion: KWOK_API_VERSION, kind: 'Logs', namespace: 'default', name: 'sleep' });
    return exec && logs ? true : undefined;
  });
}, 600_000);

afterAll(async () => {
  if (!downDone && mesh) await labDown({ mesh, meshPath }).catch(() => undefined);
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('kubectl exec and logs into lab pods', () => {
  it("kubectl exec runs in the pod's network namespace: the pod IP on eth0 and no other address", async () => {
    // kwok may take a moment to see the new Exec object after it is written.
    const r = await eventually('kubectl exec sleep', async () => {
      const out = k(['exec', 'sleep', '--', 'ip', '-4', '-o', 'addr']);
      return out.status === 0 ? out : undefined;
    });
    expect(r.stdout).toMatch(new RegExp(`eth0\\s+inet ${podIP.replace(/\./g, '\\.')}/32`));
    expect(nonLoopback(r.stdout)).toEqual([`${podIP}/32`]);
    // The same as the namespace itself holds, and unlike the host, which has no such address.
    const inNetns = spawnSync('ip', ['-n', netns, '-4', '-o', 'addr'], { encoding: 'utf8' }).stdout;
    expect(nonLoopback(inNetns)).toEqual([`${podIP}/32`]);
    expect(spawnSync('ip', ['-4', '-o', 'addr'], { encoding: 'utf8' }).stdout).not.toContain(`inet ${podIP}/`);
  });

  it('a failing command gives its exit code; a shell inside sees the pod address too', () => {
    const fail = k(['exec', 'sleep', '--', 'sh', '-c', 'ip -4 -o addr show dev eth0; exit 3']);
    expect(fail.status).not.toBe(0);
    expect(fail.stdout).toContain(`inet ${podIP}/32`);
    expect(fail.stderr).toContain('exit status 3');
  });

  it("kubectl logs shows the lines of the pod's log file, written as CRI records", async () => {
    const file = podLogPath(lab.stateDir, 'cluster01', 'default', 'sleep', 'main');
    expect(existsSync(file)).toBe(true);
    expect(k(['logs', 'sleep']).stdout).toBe('');
    // A tiny process standing in for the pod's workload (the sleep pod runs none of its own),
    // started as the pod runner starts a workload's processes: its output through the log shim.
    spawnComponent({ binary: 'sh', args: ['-c', 'echo first line from the workload; echo second line >&2'], logPath: file, logFormat: 'cri' });
    const r = await eventually('both lines in kubectl logs', async () => {
      const out = k(['logs', 'sleep']);
      return out.stdout.split('\n').length === 3 ? out : undefined;
    });
    expect(r.stderr).toBe('');
    expect(r.stdout.split('\n').sort()).toEqual(['', 'first line from the workload', 'second line']);
    // Written by hand too, the way podLogWriter writes.
    const writer = podLogWriter(file);
    writer.line('stdout', 'third line');
    await writer.close();
    expect(k(['logs', 'sleep', '--tail=1']).stdout).toBe('third line\n');
    // The file holds CRI records: all that kwok's reader (cri-client ReadLogs) takes.
    expect(readFileSync(file, 'utf8')).toMatch(/^\S+Z (stdout|stderr) F first line from the workload$/m);
  });

  it("a container's env and working directory in the pod's Exec object are what an exec'd command sees", async () => {
    const pod = (await getObject(clients, { apiVersion: 'v1', kind: 'Pod', namespace: 'default', name: 'sleep' })) as KubeObject & PodLike;
    await applyObject(clients, kwokExecObject(debugPodOf(pod)!, netns, { main: { env: { GREETING: 'from the container env' }, workDir: '/tmp' } }));
    const r = await eventually('exec with the container env', async () => {
      const out = k(['exec', 'sleep', '--', 'sh', '-c', 'echo "$GREETING"; pwd; echo "${MESHFED_POD_NETNS:-unset}"']);
      return out.stdout.startsWith('from the container env') ? out : undefined;
    });
    expect(r.stdout).toBe('from the container env\n/tmp\nunset\n');
  });

  it('exec into a kwok fake (an image the lab does not run) is refused with a clear error and runs nothing', () => {
    const r = k(['exec', 'fake', '--', 'ip', '-4', '-o', 'addr']);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('no exec found for container "main" in pod "default/fake"');
    expect(r.stdout).toBe('');
  });

  it("client-node's Exec (execInPod) and readPodLog see the same as kubectl", async () => {
    const ok = await execInPod(clients, 'default', 'sleep', 'main', ['ip', '-4', '-o', 'addr']);
    expect(ok.exitCode).toBe(0);
    expect(nonLoopback(ok.stdout)).toEqual([`${podIP}/32`]);
    const failed = await execInPod(clients, 'default', 'sleep', 'main', ['sh', '-c', 'echo out; echo err >&2; exit 3']);
    expect(failed).toEqual({ exitCode: 3, stdout: 'out\n', stderr: 'err\n' });
    const refused = await execInPod(clients, 'default', 'fake', 'main', ['ip', 'addr']).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isKubeError(refused)).toBe(true);
    expect((refused as Error).message).toContain('no exec found for container "main" in pod "default/fake"');
    // stdout and stderr of the shell reach the log through two pipes, so their order is not fixed;
    // the line written after both is last.
    const log = (await readPodLog(clients, 'default', 'sleep', 'main')).split('\n');
    expect(log.slice(0, 2).sort()).toEqual(['first line from the workload', 'second line']);
    expect(log.slice(2)).toEqual(['third line', '']);
  });

  it("a deleted pod's Exec and Logs objects go with it", async () => {
    await deleteObject(clients, { apiVersion: 'v1', kind: 'Pod', namespace: 'default', name: 'sleep' });
    await eventually('Exec and Logs objects gone', async () => {
      const exec = await getObject(clients, { apiVersion: KWOK_API_VERSION, kind: 'Exec', namespace: 'default', name: 'sleep' });
      const logs = await getObject(clients, { apiVersion: KWOK_API_VERSION, kind: 'Logs', namespace: 'default', name: 'sleep' });
      return !exec && !logs ? true : undefined;
    });
    expect(listLabNetns(netns)).toEqual([]);
  });

  it('lab down leaves no namespace and no state (exec wrapper, pod files) behind', async () => {
    await labDown({ mesh, meshPath });
    downDone = true;
    expect(listLabNetns(podNetworkPrefix(lab.stateDir))).toEqual([]);
    expect(existsSync(lab.stateDir)).toBe(false);
  });
});
