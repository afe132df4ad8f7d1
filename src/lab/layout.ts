import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/** `<dir of mesh file>/.meshfed/lab/<mesh name>`: beside the mesh, git-ignored. */
export function defaultLabStateDir(meshPath: string, meshName: string): string {
  return join(dirname(resolve(meshPath)), '.meshfed', 'lab', meshName);
}

export interface LabLayout {
  stateDir: string;
  stateFile: string;
  kubeconfig: string;
  logsDir: string;
  /** The folder kwok runs `kubectl exec` commands from (execWrapper.ts). */
  execWrapperDir: string;
  /** etcd's data: tmpfs when there is one (no fsync cost), else under the state dir. */
  etcdDataDir: string;
  /** Folder outside the state dir that `down` must remove too (the tmpfs one), if any. */
  externalDir: string | undefined;
  /** Strings found in the command line of every process the lab starts, to find orphans. */
  markers: string[];
  clusterDir(cluster: string): string;
  pkiDir(cluster: string): string;
  componentKubeconfig(cluster: string, component: string): string;
  log(owner: string, component: string): string;
}

export function labLayout(stateDirInput: string, opts: { shm?: string | null } = {}): LabLayout {
  const stateDir = resolve(stateDirInput);
  const shm = opts.shm === undefined ? (existsSync('/dev/shm') ? '/dev/shm' : null) : opts.shm;
  // Named after the state dir so `down` finds it even when state.json is gone.
  const externalDir = shm ? join(shm, `meshfed-lab-${createHash('sha256').update(stateDir).digest('hex').slice(0, 12)}`) : undefined;
  const logsDir = join(stateDir, 'logs');
  return {
    stateDir,
    stateFile: join(stateDir, 'state.json'),
    kubeconfig: join(stateDir, 'kubeconfig'),
    logsDir,
    execWrapperDir: join(stateDir, 'kwok-exec'),
    etcdDataDir: externalDir ? join(externalDir, 'etcd') : join(stateDir, 'etcd'),
    externalDir,
    markers: externalDir ? [stateDir, externalDir] : [stateDir],
    clusterDir: (c) => join(stateDir, 'clusters', c),
    pkiDir: (c) => join(stateDir, 'clusters', c, 'pki'),
    componentKubeconfig: (c, comp) => join(stateDir, 'clusters', c, `${comp}.kubeconfig`),
    log: (owner, comp) => join(logsDir, `${owner}-${comp}.log`),
  };
}
