import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { exitCodeOf } from '../../src/kube/index.js';
import { programNames, writeExecWrapperDir } from '../../src/lab/execWrapper.js';
import { debugPodOf, kwokExecObject, kwokLogsObject, POD_NETNS_ENV } from '../../src/lab/kwokDebug.js';
import { criLogLine, podDir, podLogPath } from '../../src/lab/podFiles.js';
import { podLogWriter } from '../../src/lab/podLog.js';

const tmp = mkdtempSync(join(tmpdir(), 'meshfed-kwokdebug-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const pod = { metadata: { name: 'sleep-1', namespace: 'sample', uid: 'u-1' }, spec: { containers: [{ name: 'sleep', image: 'curlimages/curl' }, { name: 'istio-proxy' }] } };

describe('lab pod files', () => {
  it('puts a container log under the state dir, one folder per cluster, namespace and pod', () => {
    expect(podLogPath('/s', 'cluster01', 'sample', 'sleep-1', 'sleep')).toBe('/s/pods/cluster01/sample/sleep-1/sleep.log');
    expect(podDir('/s', 'cluster01', 'sample', 'sleep-1')).toBe('/s/pods/cluster01/sample/sleep-1');
  });

  it('refuses names that are no Kubernetes names (no path escapes)', () => {
    for (const bad of ['..', '../x', 'a/b', '', 'A']) expect(() => podLogPath('/s', 'c', 'ns', bad, 'c')).toThrow(/not a Kubernetes pod name/);
    expect(() => podLogPath('/s', 'c', 'a..b', 'p', 'c')).toThrow(/namespace/);
  });

  it('writes output as CRI log records, one per line, as the kubelet reader wants them', () => {
    const at = new Date('2026-12-02T01:02:03.456Z');
    expect(criLogLine('stdout', 'hello', at)).toBe('2026-12-02T01:02:03.456Z stdout F hello\n');
    expect(criLogLine('stderr', 'a\nb\n', at)).toBe('2026-12-02T01:02:03.456Z stderr F a\n2026-12-02T01:02:03.456Z stderr F b\n');
  });
});

describe('the pod log writer', () => {
  it("appends a process's stdout and stderr lines to a new private file as CRI records", async () => {
    const file = join(tmp, 'pods', 'c', 'ns', 'p', 'main.log');
    const at = new Date('2026-12-02T00:00:00.000Z');
    const w = podLogWriter(file, () => at);
    const child = spawn('sh', ['-c', 'echo one; echo two >&2; printf three'], { stdio: ['ignore', 'pipe', 'pipe'] });
    await Promise.all([w.follow('stdout', child.stdout!), w.follow('stderr', child.stderr!)]);
    await w.close();
    const lines = readFileSync(file, 'utf8').split('\n').filter(Boolean).sort();
    expect(lines).toEqual(['2026-12-02T00:00:00.000Z stderr F two', '2026-12-02T00:00:00.000Z stdout F one', '2026-12-02T00:00:00.000Z stdout F three']);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const again = podLogWriter(file, () => at);
    again.line('stdout', 'four');
    await again.close();
    expect(readFileSync(file, 'utf8').split('\n').filter(Boolean)).toHaveLength(4);
  });
});

describe("kwok's Exec and Logs objects for a lab pod", () => {
  const d = debugPodOf(pod)!;

  it('are named like the pod, labelled, and owned by it (removed with it)', () => {
    for (const o of [kwokExecObject(d, 'mflabc123-node0-10.10.0.5'), kwokLogsObject(d, '/s', 'cluster01')]) {
      expect(o.apiVersion).toBe('kwok.x-k8s.io/v1alpha1');
      expect(o.metadata).toMatchObject({ name: 'sleep-1', namespace: 'sample', labels: { 'meshfed.io/lab-pod': 'true' } });
      expect(o.metadata.ownerReferences).toEqual([{ apiVersion: 'v1', kind: 'Pod', name: 'sleep-1', uid: 'u-1', blockOwnerDeletion: false }]);
    }
  });

  it('Exec names the pod network namespace to the wrapper for every container; Logs names each container its file', () => {
    expect(kwokExecObject(d, 'ns1')['spec']).toEqual({ execs: [{ local: { envs: [{ name: POD_NETNS_ENV, value: 'ns1' }] } }] });
    expect(kwokLogsObject(d, '/s', 'cluster01')['spec']).toEqual({
      logs: [
        { containers: ['sleep'], logsFile: '/s/pods/cluster01/sample/sleep-1/sleep.log', follow: true },
        { containers: ['istio-proxy'], logsFile: '/s/pods/cluster01/sample/sleep-1/istio-proxy.log', follow: true },
      ],
    });
  });

  it('Exec gives a named container its env and working directory, every other container the namespace only', () => {
    const o = kwokExecObject(d, 'ns1', { sleep: { env: { GRPC_XDS_BOOTSTRAP: '/root/b.json', PATH: '/x', [POD_NETNS_ENV]: 'other' }, workDir: '/root' } });
    expect(o['spec']).toEqual({
      execs: [
        { containers: ['sleep'], local: { workDir: '/root', envs: [{ name: 'GRPC_XDS_BOOTSTRAP', value: '/root/b.json' }, { name: POD_NETNS_ENV, value: 'ns1' }] } },
        { local: { envs: [{ name: POD_NETNS_ENV, value: 'ns1' }] } },
      ],
    });
  });

  it('are not made for a pod without a uid', () => {
    expect(debugPodOf({ metadata: { name: 'p', namespace: 'n' } })).toBeUndefined();
  });
});

describe('the exec wrapper kwok runs commands through', () => {
  const hostBin = join(tmp, 'host-bin');
  mkdirSync(hostBin);
  // A "program" that leaves a mark when it runs: the wrapper must never run it outside a lab namespace.
  const mark = join(tmp, 'ran');
  writeFileSync(join(hostBin, 'leave-mark'), `#!/bin/sh\ntouch ${mark}\n`);
  chmodSync(join(hostBin, 'leave-mark'), 0o755);
  writeFileSync(join(hostBin, 'not-executable'), 'x');
  const dir = writeExecWrapperDir(join(tmp, 'kwok-exec'), 'mfltest01-', `${hostBin}:/nonexistent`);

  it('links every program name on the host PATH (and nothing else) to one wrapper', () => {
    expect(programNames(`${hostBin}:/nonexistent:relative`)).toEqual(['leave-mark']);
    expect(readlinkSync(join(dir.bin, 'leave-mark'))).toBe('../wrapper.sh');
    expect(existsSync(join(dir.bin, 'not-executable'))).toBe(false);
    expect(dir.env).toEqual({ PATH: dir.bin, MESHFED_HOST_PATH: `${hostBin}:/nonexistent` });
  });

  it('refuses to run a command without a lab pod namespace, or with another namespace', () => {
    for (const ns of [undefined, '', 'someone-elses-netns']) {
      const env: NodeJS.ProcessEnv = { ...dir.env, ...(ns !== undefined ? { [POD_NETNS_ENV]: ns } : {}) };
      const r = spawnSync(join(dir.bin, 'leave-mark'), [], { env, encoding: 'utf8' });
      expect(r.status).toBe(126);
      expect(r.stderr).toContain('this pod has no lab network namespace; not running leave-mark');
      expect(existsSync(mark)).toBe(false);
    }
  });
});

describe('exit codes of an exec', () => {
  it('reads a kubelet NonZeroExitCode status, kwok\'s wrapped "exit status N", and success', () => {
    expect(exitCodeOf({ status: 'Success' })).toBe(0);
    expect(exitCodeOf({ status: 'Failure', reason: 'NonZeroExitCode', details: { causes: [{ reason: 'ExitCode', message: '7' }] } })).toBe(7);
    expect(exitCodeOf({ status: 'Failure', reason: 'InternalError', message: 'Internal error occurred: error executing command in container: cmd wait: ip -4 addr show dev x: exit status 1' })).toBe(1);
    expect(exitCodeOf({ status: 'Failure', reason: 'InternalError', message: 'Internal error occurred: error executing command in container: no exec found for container "main" in pod "default/fake"' })).toBeUndefined();
  });
});
