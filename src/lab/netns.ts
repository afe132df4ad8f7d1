/** Carries out podNetwork.ts's plan with the real `ip` tool; the imperative half. */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { LAB_ERROR_CODES, LabError } from './errors.js';
import { fabricCommands, podCommands, podNetnsName, type ClusterNode, type NetCommand, type PodNetworkPlan } from './podNetwork.js';

function run(cmd: NetCommand, env?: Record<string, string>): string {
  const [bin, ...args] = cmd;
  const r = spawnSync(bin!, args, { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 30_000 });
  if (r.status !== 0) {
    const why = r.error ? r.error.message : (r.stderr || r.stdout).trim();
    throw new LabError({ code: LAB_ERROR_CODES.podNetwork, message: `the lab's pod network: \`${cmd.join(' ')}\` failed: ${why}`, hint: r.error ? 'the lab pod network needs iproute2 (`ip`) and root' : 'run `meshfed lab down` to remove what is left, then `lab up` again' });
  }
  return r.stdout;
}

/** The pod network needs root (to make namespaces) and iproute2's `ip netns`. */
export function podNetworkPossible(): boolean {
  return process.getuid?.() === 0 && spawnSync('ip', ['netns', 'list'], { stdio: 'ignore' }).status === 0;
}

export function runNetCommands(cmds: NetCommand[]): void {
  for (const c of cmds) run(c);
}

/** Network namespaces on this machine whose name starts with `prefix` (this lab's). */
export function listLabNetns(prefix: string): string[] {
  let out: string;
  try {
    out = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  } catch {
    return [];
  }
  return out
    .split('\n')
    .map((l) => l.split(' ')[0] ?? '')
    .filter((n) => n.startsWith(prefix));
}

/** Pids of the processes inside a namespace. */
export function netnsPids(netns: string): number[] {
  const r = spawnSync('ip', ['netns', 'pids', netns], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.split('\n').filter(Boolean).map(Number) : [];
}

/**
 * Removes every namespace of this lab (and with them every veth and bridge, which live only
 * inside them), killing first whatever still runs inside: only the lab puts processes there.
 */
export function removeLabNetns(prefix: string): number {
  return removeNetns(listLabNetns(prefix));
}

/** Kills whatever runs inside a namespace (only the lab puts processes there). */
export function killNetnsProcesses(netns: string): void {
  for (const pid of netnsPids(netns)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone already
    }
  }
}

function removeNetns(names: string[]): number {
  for (const ns of names) killNetnsProcesses(ns);
  for (const ns of names) {
    run(['ip', 'netns', 'del', ns]);
    rmSync(netnsEtc(ns), { recursive: true, force: true });
  }
  return names.length;
}

/** `ip netns exec` bind-mounts the files of /etc/netns/<name>/ over /etc/ for what it runs. */
const netnsEtc = (netns: string) => `/etc/netns/${netns}`;

/**
 * A pod namespace's /etc/hosts: the lab has no kube-proxy and no cluster DNS, so a pod is
 * given the Service names it dials at an endpoint address (podStarter.ts). Removed with it.
 */
export function writeNetnsHosts(netns: string, hosts: { ip: string; names: string[] }[]): void {
  mkdirSync(netnsEtc(netns), { recursive: true });
  const lines = ['127.0.0.1 localhost', ...hosts.map((h) => `${h.ip} ${h.names.join(' ')}`)];
  writeFileSync(`${netnsEtc(netns)}/hosts`, `${lines.join('\n')}\n`);
}

/** Builds the fabric and node namespaces from nothing (removing leftovers of an earlier run). */
export function createPodNetwork(plan: PodNetworkPlan): void {
  removeLabNetns(plan.prefix);
  runNetCommands(fabricCommands(plan));
}

/** Gives a pod its namespace (idempotent: an existing namespace for the same IP is kept). */
export function attachPod(node: ClusterNode, ip: string): string {
  const netns = podNetnsName(node, ip);
  if (listLabNetns(netns).includes(netns)) return netns;
  runNetCommands(podCommands(node, netns, ip));
  return netns;
}

export function detachPod(node: ClusterNode, ip: string): void {
  const netns = podNetnsName(node, ip);
  if (listLabNetns(netns).includes(netns)) removeNetns([netns]);
}

/** Runs a rendered 90-routes.sh inside a cluster's node namespace, as on a real node. */
export function runRoutesScript(node: ClusterNode, script: string, env: Record<string, string>): string {
  return run(['ip', 'netns', 'exec', node.netns, 'sh', script], env);
}

/** The routes of a node namespace, one `ip route` line each. */
export function nodeRoutes(node: ClusterNode): string[] {
  return run(['ip', '-n', node.netns, 'route', 'show']).split('\n').filter(Boolean);
}

/** Deletes the node's routes to these destinations (the reverse of its 90-routes.sh). */
export function removeRoutes(node: ClusterNode, destinations: string[]): void {
  for (const d of destinations) spawnSync('ip', ['-n', node.netns, 'route', 'del', d]);
}
