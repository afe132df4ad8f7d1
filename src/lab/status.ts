import { inspectLab, type ClusterStatus, type LabInspection, type ProcessStatus } from './inspect.js';
import { labLayout } from './layout.js';
import { readStateFile } from './state.js';
import { stateDirOf, type LabTarget } from './target.js';

export interface LabStatusReport {
  stateDir: string;
  mesh: string | undefined;
  /** `absent`: no lab recorded; `starting`: an `up` is running or was killed. */
  phase: 'absent' | 'starting' | 'up';
  healthy: boolean;
  problem: string | undefined;
  kubeconfig: string | undefined;
  etcd: { address: string; process: ProcessStatus | undefined } | undefined;
  loadBalancer: ProcessStatus | undefined;
  podNetwork: LabInspection['podNetwork'];
  clusters: ClusterStatus[];
}

export async function labStatus(opts: LabTarget): Promise<LabStatusReport> {
  const layout = labLayout(stateDirOf(opts));
  const state = readStateFile(layout.stateFile);
  if (!state) {
    return { stateDir: layout.stateDir, mesh: opts.mesh?.metadata.name, phase: 'absent', healthy: false, problem: 'no lab is running for this mesh', kubeconfig: undefined, etcd: undefined, loadBalancer: undefined, podNetwork: undefined, clusters: [] };
  }
  const seen = await inspectLab(state);
  return {
    stateDir: layout.stateDir,
    mesh: state.mesh,
    phase: state.phase,
    healthy: seen.healthy && state.phase === 'up',
    problem: state.phase === 'up' ? seen.problem : (seen.problem ?? '`lab up` has not finished'),
    kubeconfig: state.kubeconfig,
    etcd: { address: `http://${state.etcd.ip}:${state.etcd.clientPort}`, process: seen.etcd },
    loadBalancer: seen.loadBalancer,
    podNetwork: seen.podNetwork,
    clusters: seen.clusters,
  };
}
