import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findLabProcesses, isAlive, isLabProcess, portHolder, spawnComponent, stopProcessGroup } from '../../src/lab/processes.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe('lab processes', () => {
  it('with logFormat cri, writes a process\'s stdout and stderr as CRI records through the log shim, which ends with it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'meshfed-proc-'));
    dirs.push(dir);
    const log = join(dir, 'pods', 'main.log');
    await mkdir(dirname(log), { recursive: true });
    const { pid } = spawnComponent({ binary: '/bin/sh', args: ['-c', 'echo to-stdout; echo to-stderr >&2'], logPath: log, logFormat: 'cri' });
    expect(pid).toBeGreaterThan(0);
    const shims = () => findLabProcesses([log], [process.execPath]);
    const deadline = Date.now() + 10_000;
    while ((shims().length > 0 || !(await readFile(log, 'utf8').catch(() => '')).includes('to-stderr')) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    const lines = (await readFile(log, 'utf8')).split('\n').filter(Boolean).sort((a, b) => a.split(' ')[1]!.localeCompare(b.split(' ')[1]!));
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z stderr F to-stderr$/);
    expect(lines[1]).toMatch(/^\S+Z stdout F to-stdout$/);
    expect(shims(), 'the shim exits once the process closed its output').toEqual([]);
  });

  it('spawns detached with a log, recognises its own pid, and stops the whole group', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'meshfed-proc-'));
    dirs.push(dir);
    const log = join(dir, 'c.log');
    // A shell with a child of its own: stopping must take the child too (process group).
    const sh = '/bin/sh';
    const { pid } = spawnComponent({ binary: sh, args: ['-c', `echo started; ${sh} -c 'sleep 300; true' ${dir} & wait`, dir], logPath: log });
    await new Promise((r) => setTimeout(r, 300));
    expect(isAlive(pid)).toBe(true);
    expect(isLabProcess({ pid, binary: sh }, [dir])).toBe(true);
    // Same pid, other binary or other lab: not ours.
    expect(isLabProcess({ pid, binary: '/bin/other' }, [dir])).toBe(false);
    expect(isLabProcess({ pid, binary: sh }, ['/elsewhere'])).toBe(false);
    const found = findLabProcesses([dir], [sh]);
    expect(found.map((f) => f.pid)).toContain(pid);
    const grandchild = found.find((f) => f.pid !== pid);
    expect(grandchild, 'the child shell carries the marker too').toBeDefined();
    expect(await stopProcessGroup(pid, 2_000)).toBe(true);
    expect(isAlive(pid)).toBe(false);
    await new Promise((r) => setTimeout(r, 100));
    expect(isAlive(grandchild!.pid)).toBe(false);
    expect(findLabProcesses([dir], [sh])).toEqual([]);
    expect(await readFile(log, 'utf8')).toContain('started');
  });

  it('names the process holding a port', async () => {
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    try {
      const holder = portHolder('127.0.0.1', port);
      expect(holder?.pid).toBe(process.pid);
      expect(holder?.command).toContain('node');
    } finally {
      await new Promise((r) => server.close(r));
    }
    expect(portHolder('127.0.0.1', port)).toBeUndefined();
  });

  it('counts a process whose main thread has exited as alive while another thread runs and holds its socket', async () => {
    // What a SIGKILLed Go server looks like for a moment: the leader a zombie, other threads
    // still exiting, the listening socket still open. A successor started then cannot bind.
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    await new Promise((r) => server.close(r));
    const script = [
      'import ctypes, socket, threading, time',
      `s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(('127.0.0.1', ${port})); s.listen()`,
      'threading.Thread(target=time.sleep, args=(300,)).start()',
      'ctypes.CDLL(None).pthread_exit(None)',
    ].join('\n');
    const dir = await mkdtemp(join(tmpdir(), 'meshfed-proc-'));
    dirs.push(dir);
    const { pid } = spawnComponent({ binary: 'python3', args: ['-c', script], logPath: join(dir, 'py.log') });
    const leaderState = () => {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    };
    const deadline = Date.now() + 10_000;
    while (leaderState() !== 'Z' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(leaderState()).toBe('Z');
    expect(portHolder('127.0.0.1', port), 'the socket still listens').toBeDefined();
    expect(isAlive(pid)).toBe(true);
    expect(await stopProcessGroup(pid, 2_000)).toBe(true);
    expect(isAlive(pid)).toBe(false);
    expect(portHolder('127.0.0.1', port)).toBeUndefined();
  });

  it('treats a pid that does not exist as dead and not ours', () => {
    expect(isAlive(2 ** 22 + 12345)).toBe(false);
    expect(isLabProcess({ pid: 2 ** 22 + 12345, binary: '/bin/sh' }, ['/'])).toBe(false);
  });
});
