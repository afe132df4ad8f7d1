/**
 * `lab up` killed midway, then `lab up` again, then `lab down`: the lab ends healthy, no pid
 * is killed by mistake, and nothing is left behind. Loopback addresses 127.0.3.x belong to
 * this file only.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LAB_ERROR_CODES, LabError, defaultLabStateDir, ensureLabBinaries, labDown, labStatus, labUp, type LabBinaries } from '../../src/lab/index.js';
import { labLayout } from '../../src/lab/layout.js';
import { isAlive, readCmdline, spawnComponent, stopProcessGroup } from '../../src/lab/processes.js';
import type { LabStateFile } from '../../src/lab/state.js';
import { validateMeshFile, type MeshFile } from '../../src/topology/index.js';
import { labMeshYaml } from './helpers.js';
import { eventually } from './labTools.js';

const IPS: [string, string] = ['127.0.3.1', '127.0.3.2'];
const here = dirname(fileURLToPath(import.meta.url));

let dir: string;
let meshPath: string;
let mesh: MeshFile;
let stateDir: string;
let bin: LabBinaries;
const cleanup: number[] = [];

function readState(): LabStateFile {
  return JSON.parse(readFileSync(join(stateDir, 'state.json'), 'utf8')) as LabStateFile;
}

/** Every live process whose command line mentions `marker` (any program at all). */
function processesMentioning(marker: string): number[] {
  return readdirSync('/proc')
    .filter((e) => /^\d+$/.test(e))
    .map(Number)
    .filter((pid) => pid !== process.pid && isAlive(pid) && (readCmdline(pid)?.join(' ').includes(marker) ?? false));
}

beforeAll(async () => {
  bin = await ensureLabBinaries({ parts: ['etcd', 'kwok', 'kube'] });
  dir = await mkdtemp(join(tmpdir(), 'meshfed-recovery-'));
  meshPath = join(dir, 'mesh.yaml');
  await writeFile(meshPath, labMeshYaml('recovery', IPS, { contexts: ['rec-east', 'rec-west'] }));
  mesh = (await validateMeshFile(meshPath)).mesh!;
  stateDir = defaultLabStateDir(meshPath, 'recovery');
});

afterAll(async () => {
  for (const pid of cleanup) await stopProcessGroup(pid, 1_000);
  if (mesh) await labDown({ mesh, meshPath }).catch(() => undefined);
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('lab recovery', () => {
  it('refuses to start when a port it needs is held by a process that is not the lab\'s, and names it', async () => {
    const server = createServer();
    await new Promise<void>((r) => server.listen(6443, IPS[1], r));
    try {
      const err = await labUp({ mesh, meshPath }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(LabError);
      expect((err as LabError).code).toBe(LAB_ERROR_CODES.portInUse);
      expect((err as LabError).message).toContain(`${IPS[1]}:6443`);
      expect((err as LabError).message).toContain(`pid ${process.pid}`);
      expect((err as LabError).hint).toMatch(/loopback address/);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });

  it('a killed `lab up` followed by `lab up` ends healthy, without killing a recycled pid', async () => {
    const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', join(here, 'fixtures', 'upChild.ts'), meshPath], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
    // Kill it once the first API server is on record: etcd and (some) API servers run on.
    await eventually('an API server recorded by the first `up`', async () => {
      if (!existsSync(join(stateDir, 'state.json'))) return undefined;
      return readState().processes.some((p) => p.component === 'kube-apiserver') ? true : undefined;
    }, 120_000);
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    expect(output).not.toContain('UP DONE');

    const killed = readState();
    expect(killed.phase).toBe('starting');
    const leftovers = killed.processes.filter((p) => isAlive(p.pid));
    expect(leftovers.map((p) => p.component)).toContain('etcd');

    // A stale record whose pid now belongs to an unrelated process: must survive.
    const bystander = spawnComponent({ binary: '/bin/sleep', args: ['300'], logPath: join(dir, 'bystander.log') });
    cleanup.push(bystander.pid);
    writeFileSync(join(stateDir, 'state.json'), JSON.stringify({ ...killed, processes: [...killed.processes, { component: 'kwok', cluster: 'east', pid: bystander.pid, binary: bin.kwok, log: '/dev/null', startedAt: killed.updatedAt }] }));

    const lines: string[] = [];
    const state = await labUp({ mesh, meshPath, onProgress: (l) => lines.push(l) });
    expect(state.reused).toBe(false);
    expect(lines.join('\n')).toMatch(/did not finish/);
    expect(lines.join('\n')).toMatch(/stopped \d+ leftover process/);
    expect(isAlive(bystander.pid)).toBe(true);
    for (const p of leftovers) expect(isAlive(p.pid), `old ${p.component} ${p.pid}`).toBe(false);

    const status = await labStatus({ mesh, meshPath });
    expect(status.healthy, status.problem).toBe(true);
    expect(status.clusters.every((c) => c.nodesReady === 2)).toBe(true);

    // Every process that mentions the lab is one the new state records: no orphans.
    const recorded = new Set(readState().processes.map((p) => p.pid));
    const layout = labLayout(stateDir);
    const running = layout.markers.flatMap((m) => processesMentioning(m));
    expect(running.length).toBeGreaterThanOrEqual(10);
    for (const pid of running) expect(recorded.has(pid), `unrecorded ${readCmdline(pid)?.[0]} ${pid}`).toBe(true);
  });

  it('`lab up` on a healthy lab restarts nothing and returns fast', async () => {
    const before = readState().processes.map((p) => p.pid);
    const t0 = Date.now();
    const again = await labUp({ mesh, meshPath });
    expect(Date.now() - t0).toBeLessThan(5_000);
    expect(again.reused).toBe(true);
    expect(again.processes.map((p) => p.pid)).toEqual(before);
  });

  it('`lab up` after a component died restarts the lab to healthy', async () => {
    const kwok = readState().processes.find((p) => p.component === 'kwok' && p.cluster === 'west')!;
    await stopProcessGroup(kwok.pid, 2_000);
    expect((await labStatus({ mesh, meshPath })).healthy).toBe(false);
    const lines: string[] = [];
    await labUp({ mesh, meshPath, onProgress: (l) => lines.push(l) });
    expect(lines.join('\n')).toMatch(/not healthy \(west: kwok not running\)/);
    expect((await labStatus({ mesh, meshPath })).healthy).toBe(true);
  });

  it('`lab down` leaves no process behind and removes its state', async () => {
    const layout = labLayout(stateDir);
    const recorded = readState().processes.map((p) => p.pid);
    const { stopped } = await labDown({ mesh, meshPath });
    expect(stopped).toBe(recorded.length);
    for (const pid of recorded) expect(isAlive(pid)).toBe(false);
    for (const m of layout.markers) expect(processesMentioning(m)).toEqual([]);
    expect(existsSync(stateDir)).toBe(false);
    if (layout.externalDir) expect(existsSync(layout.externalDir)).toBe(false);
  });
});
