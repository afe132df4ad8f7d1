import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findLabProcesses, isAlive, isLabProcess, portHolder, spawnComponent, stopProcessGroup } from '../../src/lab/processes.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe('lab processes', () => {
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

  it('treats a pid that does not exist as dead and not ours', () => {
    expect(isAlive(2 ** 22 + 12345)).toBe(false);
    expect(isLabProcess({ pid: 2 ** 22 + 12345, binary: '/bin/sh' }, ['/'])).toBe(false);
  });
});
