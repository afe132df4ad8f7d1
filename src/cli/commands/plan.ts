import { stringify } from 'yaml';
import { readRootStage, type RootStage } from '../../pki/index.js';
import { planAsData, planMesh, planRootStage, summarizeChanges, summarizePlan, type ClusterChange, type MemberDiff, type Plan } from '../../plan/index.js';
import type { Io } from '../io.js';
import { loadMesh } from '../mesh.js';
import { describeRoll, planLive, planMembers, type ApplyFlags } from './apply.js';

export interface PlanFlags extends Pick<ApplyFlags, 'kubeconfig' | 'istioctl' | 'helm' | 'charts'> {
  file: string;
  output: string;
  /** The plan from the mesh file alone, no cluster read. */
  offline: boolean;
  /** Seconds: deadline of each Kubernetes request while reading the clusters. */
  timeout: number;
  /** Show the undo steps of the clusters that left the file, as `apply --destroy-removed` runs them. */
  destroyRemoved?: boolean;
}

/**
 * The plan, and (unless --offline) the difference against the live clusters per cluster:
 * create, upgrade from → to, canary, change, unchanged, or unknown where a cluster cannot be read;
 * and the clusters joining and leaving the mesh against the record of the last apply.
 */
export async function planCommand(opts: PlanFlags, io: Io): Promise<void> {
  const loaded = await loadMesh(opts.file, io);
  let plan: Plan;
  let changes: ClusterChange[] | undefined;
  let members: MemberDiff | undefined;
  // The trust folder's root rotation stage orders the cacerts steps (stage reissue rolls the clusters one at a time).
  let rootStage: RootStage | undefined;
  if (opts.offline) {
    rootStage = await readRootStage(loaded.rootDir);
    plan = planRootStage(planMesh(loaded.mesh), rootStage);
  } else {
    const live = await planLive(loaded, opts, opts.timeout * 1000);
    ({ plan, changes, rootStage } = live);
    members = await planMembers(loaded, plan, live.drivers.clients, !!opts.destroyRemoved);
  }
  const data = () => ({ ...(planAsData(plan) as object), ...(changes ? { changes } : {}), ...(members ? { members } : {}), ...(rootStage ? { rootRotation: rootStage } : {}) });
  if (opts.output === 'json') io.out(JSON.stringify(data(), null, 2) + '\n');
  else if (opts.output === 'yaml') io.out(stringify(data(), { lineWidth: 0 }));
  else io.out(summarizePlan(plan) + describeRoll(plan, rootStage) + (changes ? '\n' + summarizeChanges(changes, members) : ''));
}
