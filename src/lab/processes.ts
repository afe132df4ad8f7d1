import { spawn } from 'node:child_process';
import { sleep } from '../kube/index.js';
import { closeSync, openSync, readFileSync, readdirSync, readlinkSync } from 'node:fs';
import type { Writable } from 'node:stream';
import { criLogEntry } from './loadBalancerEntry.js';

/** argv of a running process, or undefined when it is gone (or not ours to read). */
export function readCmdline(pid: number): string[] | undefined {
  try {
    const raw = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    if (raw === '') return undefined; // kernel threads and zombies have none
    return raw.replace(/\0$/, '').split('\0');
  } catch {
    return undefined;
  }
}

/**
 * Running and not a zombie (a zombie holds its pid but nothing else). Every thread counts: a
 * killed multi-threaded process (Go's) shows its leader as a zombie while its other threads
 * still exit, and their shared files, listening sockets included, close only with the last one.
 * Starting a successor in that window fails on "address already in use".
 */
export function isAlive(pid: number): boolean {
  const state = (path: string): string | undefined => {
    try {
      const stat = readFileSync(path, 'utf8');
      return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    } catch {
      return undefined;
    }
  };
  const running = (s: string | undefined) => s !== undefined && s !== 'Z' && s !== 'X';
  const leader = state(`/proc/${pid}/stat`);
  if (leader === undefined) return false;
  if (running(leader)) return true;
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return false;
  }
  return tasks.some((tid) => running(state(`/proc/${pid}/task/${tid}/stat`)));
}

/**
 * True when an argument names `marker` as a whole path (itself or something under it), so
 * the lab in `.../lab/m` never claims the processes of `.../lab/m2`.
 */
export function mentions(argv: string[], marker: string): boolean {
  return argv.some((a) => a.endsWith(marker) || a.includes(`${marker}/`));
}

export interface ProcessIdentity {
  pid: number;
  binary: string;
}

/**
 * True only when `pid` still runs `binary` with one of the lab's markers (its state dir)
 * on its command line: a pid recycled by an unrelated process is never touched.
 */
export function isLabProcess(p: ProcessIdentity, markers: string[]): boolean {
  const argv = readCmdline(p.pid);
  if (!argv || !isAlive(p.pid)) return false;
  return argv.includes(p.binary) && markers.some((m) => mentions(argv, m));
}

export interface SpawnedComponent {
  pid: number;
}

export interface SpawnOptions {
  binary: string;
  args: string[];
  env?: Record<string, string>;
  logPath: string;
  cwd?: string;
  /** False: the child sees only `env` (a lab pod's process must not see the lab's own env). */
  inheritEnv?: boolean;
  /**
   * `cri`: the output goes through the lab's log shim (criLogMain.ts), which writes it as CRI
   * records, so that `kubectl logs` can show a lab pod's log file (podFiles.ts).
   */
  logFormat?: 'plain' | 'cri';
}

/**
 * Starts a component detached in its own process group (so it outlives `lab up` and can
 * be stopped as a group), with stdout and stderr appended to its log file.
 */
export function spawnComponent(opts: SpawnOptions): SpawnedComponent {
  if (opts.logFormat === 'cri') return spawnWithCriLog(opts);
  const fd = openSync(opts.logPath, 'a', 0o600);
  try {
    return spawnDetached(opts, fd, fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Starts the log shim first (detached, reading two pipes), then the component writing into
 * them; both outlive this process, which closes its own ends of the pipes.
 */
function spawnWithCriLog(opts: SpawnOptions): SpawnedComponent {
  const shim = spawn(process.execPath, [criLogEntry(), opts.logPath], { detached: true, stdio: ['pipe', 'ignore', 'ignore', 'pipe'] });
  shim.on('error', () => undefined);
  shim.unref();
  const toStdout = shim.stdio[0] as Writable;
  const toStderr = shim.stdio[3] as Writable;
  try {
    if (shim.pid === undefined) throw new Error(`cannot start the lab log shim for ${opts.binary}`);
    return spawnDetached(opts, toStdout, toStderr);
  } finally {
    toStdout.destroy();
    toStderr.destroy();
  }
}

/** The component itself, in its own process group, its output into what it is given. */
function spawnDetached(opts: SpawnOptions, stdout: number | Writable, stderr: number | Writable): SpawnedComponent {
  const child = spawn(opts.binary, opts.args, {
    detached: true,
    stdio: ['ignore', stdout, stderr],
    env: opts.inheritEnv === false ? { ...opts.env } : { ...process.env, ...opts.env },
    cwd: opts.cwd,
  });
  // spawn reports a missing binary asynchronously; the pid is undefined in that case.
  child.on('error', () => undefined);
  child.unref();
  if (child.pid === undefined) throw new Error(`cannot start ${opts.binary}`);
  return { pid: child.pid };
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // The group may be gone already, or the process was not a group leader.
    try {
      process.kill(pid, signal);
    } catch {
      /* gone */
    }
  }
}

/**
 * SIGTERM to the process group, SIGKILL after `graceMs`; resolves true once the leader is
 * gone. Callers must have checked with isLabProcess that the pid is the lab's.
 */
export async function stopProcessGroup(pid: number, graceMs = 5_000): Promise<boolean> {
  if (!isAlive(pid)) return true;
  signalGroup(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return true;
    await sleep(50);
  }
  signalGroup(pid, 'SIGKILL');
  for (let i = 0; i < 100; i++) {
    if (!isAlive(pid)) return true;
    await sleep(50);
  }
  return !isAlive(pid);
}

function ancestors(): Set<number> {
  const out = new Set<number>([process.pid]);
  let pid = process.pid;
  for (let i = 0; i < 64 && pid > 1; i++) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      pid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      out.add(pid);
    } catch {
      break;
    }
  }
  return out;
}

export interface FoundProcess {
  pid: number;
  argv: string[];
}

/**
 * Every live process whose command line mentions one of `markers` and whose program is one
 * of `binaries`: finds what a killed `up` started but never recorded. This process and its
 * ancestors are never returned (a CLI given --state-dir mentions the marker too).
 */
export function findLabProcesses(markers: string[], binaries: string[]): FoundProcess[] {
  const skip = ancestors();
  const out: FoundProcess[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (skip.has(pid)) continue;
    const argv = readCmdline(pid);
    if (!argv || !isAlive(pid)) continue;
    if (!markers.some((m) => mentions(argv, m))) continue;
    if (!binaries.some((b) => argv.includes(b))) continue;
    out.push({ pid, argv });
  }
  return out;
}

function hexToIPv4(hex: string): string {
  const n = Number.parseInt(hex, 16);
  // /proc/net/tcp stores the address in host byte order (little-endian here).
  return [n & 255, (n >>> 8) & 255, (n >>> 16) & 255, (n >>> 24) & 255].join('.');
}

/** Socket inodes listening on ip:port (or on 0.0.0.0:port, which covers every address). */
function listeningInodes(ip: string, port: number): Set<string> {
  const inodes = new Set<string>();
  let text = '';
  try {
    text = readFileSync('/proc/net/tcp', 'utf8');
  } catch {
    return inodes;
  }
  for (const line of text.split('\n').slice(1)) {
    const cols = line.trim().split(/\s+/);
    const local = cols[1];
    if (!local || cols[3] !== '0A') continue; // 0A = LISTEN
    const [addrHex, portHex] = local.split(':');
    if (!addrHex || !portHex || Number.parseInt(portHex, 16) !== port) continue;
    const addr = hexToIPv4(addrHex);
    if (addr === ip || addr === '0.0.0.0') inodes.add(cols[9] ?? '');
  }
  return inodes;
}

export interface PortHolder {
  /** Undefined when the socket's owner cannot be seen (another user's process). */
  pid: number | undefined;
  command: string;
}

/** Who listens on ip:port, if anyone: for a "port in use" error that names the process. */
export function portHolder(ip: string, port: number): PortHolder | undefined {
  const inodes = listeningInodes(ip, port);
  if (inodes.size === 0) return undefined;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${entry}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      let target: string;
      try {
        target = readlinkSync(`/proc/${entry}/fd/${fd}`);
      } catch {
        continue;
      }
      const m = /^socket:\[(\d+)\]$/.exec(target);
      if (m && inodes.has(m[1] ?? '')) {
        const pid = Number(entry);
        return { pid, command: (readCmdline(pid) ?? ['?']).join(' ').slice(0, 200) };
      }
    }
  }
  return { pid: undefined, command: 'unknown (owned by another user)' };
}
