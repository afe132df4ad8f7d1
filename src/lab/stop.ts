import { LAB_ERROR_CODES, LabError } from './errors.js';
import type { LabLayout } from './layout.js';
import { findLabProcesses, isLabProcess, stopProcessGroup } from './processes.js';
import type { LabStateFile } from './state.js';

export interface StopResult {
  stopped: number;
}

/**
 * Stops every process of this lab: the recorded ones (after checking each pid still runs
 * the recorded binary with this lab's state dir) and any the state file never got to
 * record, found by their command line. Fails if any survives.
 */
export async function stopLabProcesses(layout: LabLayout, state: LabStateFile | undefined, binaries: string[], graceMs = 5_000): Promise<StopResult> {
  const markers = state?.markers ?? layout.markers;
  const known = [...new Set([...binaries, ...(state?.processes.map((p) => p.binary) ?? [])])];
  const pids = new Set<number>();
  for (const p of state?.processes ?? []) if (isLabProcess(p, markers)) pids.add(p.pid);
  for (const found of findLabProcesses(markers, known)) pids.add(found.pid);
  // Dependents first (they would log errors as etcd and the API servers go), etcd last.
  const ordered = [...pids].sort((a, b) => rank(state, a) - rank(state, b));
  const results = await Promise.all(ordered.filter((pid) => rank(state, pid) < 2).map((pid) => stopProcessGroup(pid, graceMs)));
  for (const pid of ordered.filter((p) => rank(state, p) === 2)) results.push(await stopProcessGroup(pid, graceMs));
  for (const pid of ordered.filter((p) => rank(state, p) === 3)) results.push(await stopProcessGroup(pid, graceMs));
  // A lab process may start another while it is being stopped (the pod runner starting a
  // pod's forwarder as it goes): stop those too, a few rounds, before calling any a survivor.
  let survivors = findLabProcesses(markers, known);
  for (let round = 0; round < 3 && survivors.length > 0; round++) {
    for (const s of survivors) pids.add(s.pid);
    results.push(...(await Promise.all(survivors.map((s) => stopProcessGroup(s.pid, graceMs)))));
    survivors = findLabProcesses(markers, known);
  }
  if (survivors.length > 0 || results.some((ok) => !ok)) {
    const list = survivors.map((s) => `${s.pid} (${s.argv[0] ?? '?'})`).join(', ');
    throw new LabError({ code: LAB_ERROR_CODES.stopFailed, message: `lab processes survived SIGKILL: ${list || 'see state.json'}`, hint: 'check whether they run as another user; stop them by pid' });
  }
  return { stopped: pids.size };
}

function rank(state: LabStateFile | undefined, pid: number): number {
  const c = state?.processes.find((p) => p.pid === pid)?.component;
  if (c === 'kube-apiserver') return 2;
  if (c === 'etcd') return 3;
  return c ? 1 : 0;
}
