/**
 * Applies a mesh's rendered flat-network routes (out/<cluster>/90-routes.sh) for real, inside
 * each cluster's node namespace, as seed 000 runs them on its kind nodes; or removes them.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LAB_ERROR_CODES, LabError } from './errors.js';
import { labLayout } from './layout.js';
import { nodeRoutes, removeRoutes, runRoutesScript } from './netns.js';
import { podNetworkPlan, routesScriptEnv } from './podNetwork.js';
import { readStateFile } from './state.js';
import { stateDirOf, type LabTarget } from './target.js';

export interface LabRoutesOptions extends LabTarget {
  /** The folder `meshfed render -o` wrote. */
  renderDir: string;
  /** Take the script's routes away again instead of adding them. */
  remove?: boolean;
}

export interface LabRoutesResult {
  cluster: string;
  /** The script that was run (or undone); undefined when the cluster has none. */
  script: string | undefined;
  /** The node namespace's routes afterwards. */
  routes: string[];
}

/** The destinations a rendered 90-routes.sh adds (`add_route <destination> <via>` lines). */
export function routesScriptDestinations(script: string): string[] {
  return [...script.matchAll(/^add_route\s+(\S+)\s/gm)].map((m) => m[1]!);
}

export function labRoutes(opts: LabRoutesOptions): LabRoutesResult[] {
  const layout = labLayout(stateDirOf(opts));
  const state = readStateFile(layout.stateFile);
  if (!state) throw new LabError({ code: LAB_ERROR_CODES.podNetwork, message: `no lab is running for this mesh (${layout.stateDir})`, hint: 'run `meshfed lab up` first' });
  if (!state.podNetwork) {
    throw new LabError({ code: LAB_ERROR_CODES.podNetwork, message: 'this lab has no pod network, so there is nowhere to apply routes', hint: 'run `meshfed lab up` as root on a machine with iproute2' });
  }
  const plan = podNetworkPlan(layout.stateDir, state.clusters);
  const env = routesScriptEnv(plan);
  return plan.nodes.map((node) => {
    const script = join(opts.renderDir, node.name, '90-routes.sh');
    if (!existsSync(script)) return { cluster: node.name, script: undefined, routes: nodeRoutes(node) };
    if (opts.remove) removeRoutes(node, routesScriptDestinations(readFileSync(script, 'utf8')));
    else {
      try {
        runRoutesScript(node, script, env);
      } catch (e) {
        throw new LabError({ code: LAB_ERROR_CODES.podNetwork, message: `cluster ${node.name}: ${script} failed in the lab: ${(e as Error).message}`, hint: "in a lab mesh leave nodeAddress out: the script then routes through the lab's node addresses (198.19.x.y)", cluster: node.name });
      }
    }
    return { cluster: node.name, script, routes: nodeRoutes(node) };
  });
}
