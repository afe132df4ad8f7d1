import { rm } from 'node:fs/promises';
import { labBinaryPaths, labCacheDir, labProgramPaths } from './binaries.js';
import { labLayout } from './layout.js';
import { removeLabNetns } from './netns.js';
import { podNetworkPrefix } from './podNetwork.js';
import { readStateFile, type LabStateFile } from './state.js';
import { stopLabProcesses } from './stop.js';
import { stateDirOf, type LabTarget } from './target.js';

export interface LabDownOptions extends LabTarget {
  onProgress?(line: string): void;
}

/**
 * Stops every process this lab started (checked by pid and command line, never by name)
 * and removes its state: certificates, kubeconfig, logs and etcd data. Nothing else.
 */
export async function labDown(opts: LabDownOptions): Promise<{ stopped: number }> {
  const layout = labLayout(stateDirOf(opts));
  let state: LabStateFile | undefined;
  try {
    state = readStateFile(layout.stateFile);
  } catch {
    // An unreadable record still leaves the command-line scan to find the processes.
    state = undefined;
  }
  const { stopped } = await stopLabProcesses(layout, state, labProgramPaths(labBinaryPaths(labCacheDir())));
  if (stopped > 0) opts.onProgress?.(`stopped ${stopped} lab process(es)`);
  // Named after the state dir, so they are found even when state.json is gone.
  const netns = removeLabNetns(podNetworkPrefix(layout.stateDir));
  if (netns > 0) opts.onProgress?.(`removed ${netns} network namespace(s) of the lab`);
  await rm(layout.stateDir, { recursive: true, force: true });
  if (layout.externalDir) await rm(layout.externalDir, { recursive: true, force: true });
  if (state?.etcdDataDir) await rm(state.etcdDataDir, { recursive: true, force: true });
  opts.onProgress?.(`removed ${layout.stateDir}`);
  return { stopped };
}
