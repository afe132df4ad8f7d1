import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { LAB_ERROR_CODES, LabError } from './errors.js';
import type { LabClusterPlan, LabPlan } from './plan.js';

export type LabComponent = 'etcd' | 'kube-apiserver' | 'kube-controller-manager' | 'kube-scheduler' | 'kwok' | 'load-balancer' | 'pod-runner';

/** One process the lab started; `binary` guards against killing a recycled pid. */
export interface RecordedProcess {
  component: LabComponent;
  /** The cluster it serves; absent for lab-wide processes (etcd, the load balancer). */
  cluster?: string;
  pid: number;
  binary: string;
  log: string;
  startedAt: string;
}

export interface LabStateFile {
  version: 1;
  mesh: string;
  meshPath: string;
  fingerprint: string;
  /** `starting` until every component is up and checked, so a killed `up` is recognisable. */
  phase: 'starting' | 'up';
  etcd: LabPlan['etcd'];
  clusters: LabClusterPlan[];
  kubeconfig: string;
  etcdDataDir: string;
  markers: string[];
  /** The lab's pod network (podNetwork.ts), when this machine allows one (root and iproute2). */
  podNetwork?: { prefix: string; fabric: string };
  processes: RecordedProcess[];
  updatedAt: string;
}

export function readStateFile(path: string): LabStateFile | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
  try {
    const parsed = JSON.parse(text) as LabStateFile;
    if (parsed.version !== 1 || !Array.isArray(parsed.processes)) throw new Error('unknown format');
    return parsed;
  } catch (e) {
    throw new LabError({ code: LAB_ERROR_CODES.stateUnreadable, message: `lab state ${path} is unreadable: ${(e as Error).message}`, hint: 'stop any lab processes by hand (see its logs folder), then remove the state folder' });
  }
}

/**
 * Written synchronously and atomically (rename), so a pid is on disk before the next step
 * runs and a `up` killed at any moment leaves a usable record.
 */
export function writeStateFile(path: string, state: LabStateFile): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, `${JSON.stringify({ ...state, updatedAt: new Date().toISOString() }, null, 2)}\n`);
  renameSync(tmp, path);
}
