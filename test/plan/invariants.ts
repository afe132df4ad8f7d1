import { expect } from 'vitest';
import { CONTROL_PLANE_CLUSTERS_ANNOTATION, NETWORK_LABEL, type Plan, type Step } from '../../src/plan/index.js';
import type { MeshFile } from '../../src/topology/index.js';
import { expectedSecretPairs, secretPairs } from './helpers.js';

/** Step ids in a cycle of the `needs` graph, found by a depth-first search of its own. */
export function findCycle(steps: Step[]): string[] | undefined {
  const byId = new Map(steps.map((s) => [s.id, s]));
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const visit = (id: string): string[] | undefined => {
    if (state.get(id) === 'done') return undefined;
    if (state.get(id) === 'open') return path.slice(path.indexOf(id));
    state.set(id, 'open');
    path.push(id);
    for (const n of byId.get(id)?.needs ?? []) {
      const cycle = visit(n);
      if (cycle) return cycle;
    }
    path.pop();
    state.set(id, 'done');
    return undefined;
  };
  for (const s of steps) {
    const cycle = visit(s.id);
    if (cycle) return cycle;
  }
  return undefined;
}

/** Every step a step waits for, directly or through other steps. */
export function needsTransitively(steps: Step[], id: string): Set<string> {
  const byId = new Map(steps.map((s) => [s.id, s]));
  const seen = new Set<string>();
  const stack = [...(byId.get(id)?.needs ?? [])];
  while (stack.length > 0) {
    const n = stack.pop()!;
    if (seen.has(n)) continue;
    seen.add(n);
    stack.push(...(byId.get(n)?.needs ?? []));
  }
  return seen;
}

/**
 * The rules of DESIGN.md ("Rules the plan enforces") and issue #3 checked on a plan, with
 * every expectation derived from the mesh file itself rather than from the planner's facts.
 * `gatewayAddress` gives, per cluster, the address its east-west gateway is planned at
 * (pinned, or first host of its pool), computed by the caller. Collects every violation and
 * fails once, listing them all.
 */
export function checkPlanInvariants(mesh: MeshFile, plan: Plan, gatewayAddress: (cluster: string) => string | undefined): void {
  const problems: string[] = [];
  const check = (ok: boolean, what: string) => {
    if (!ok) problems.push(what);
  };
  const same = (actual: unknown, expected: unknown, what: string) => {
    const [a, e] = [JSON.stringify(actual), JSON.stringify(expected)];
    if (a !== e) problems.push(`${what}: got ${a}, want ${e}`);
  };

  const specs = mesh.spec.clusters;
  const names = specs.map((c) => c.name);
  const spec = (n: string) => specs.find((c) => c.name === n)!;
  const isPrimary = (n: string) => spec(n).controlPlane === 'self';
  const primaryOf = (n: string) => (isPrimary(n) ? n : spec(n).controlPlane);
  const remotesOf = (p: string) => specs.filter((c) => c.controlPlane === p).map((c) => c.name);
  const networkOf = (n: string) => spec(n).network ?? '';
  const networks = [...new Set(names.map(networkOf))];
  const multiNetwork = networks.length > 1;

  // Steps: unique ids, known clusters, known needs, topological order, no cycle.
  const ids = plan.steps.map((s) => s.id);
  check(new Set(ids).size === ids.length, 'step ids are unique');
  const index = new Map(ids.map((id, i) => [id, i]));
  const byId = new Map(plan.steps.map((s) => [s.id, s]));
  for (const s of plan.steps) {
    check(names.includes(s.cluster), `${s.id} changes a cluster of the mesh`);
    if (s.watched !== undefined) check(names.includes(s.watched), `${s.id} watches a cluster of the mesh`);
    for (const n of s.needs) {
      check(index.has(n), `${s.id} needs ${n}, which exists`);
      check(index.get(n)! < index.get(s.id)!, `${s.id} comes after ${n}`);
    }
  }
  same(findCycle(plan.steps), undefined, 'cycle in the steps');
  const needsDirectly = (a: string, b: string) => check(byId.get(b)?.needs.includes(a) ?? false, `${b} needs ${a} directly`);
  // Apply starts a step once what it needs is done, so "a before b" must be a dependency of b
  // (direct or through other steps), not merely a position in the list.
  const closures = new Map<string, Set<string>>();
  const before = (a: string, b: string) => {
    if (!index.has(a) || !index.has(b)) return problems.push(`${a} and ${b} exist`);
    if (!closures.has(b)) closures.set(b, needsTransitively(plan.steps, b));
    check(closures.get(b)!.has(a), `${b} waits for ${a}`);
  };

  // Every primary holds a secret for every other cluster, nothing else; remotes hold none.
  same(secretPairs(plan), expectedSecretPairs(mesh), 'remote secrets');
  same(plan.steps.filter((s) => s.kind === 'remote-secret').map((s) => `${s.cluster}←${s.watched}`).sort(), expectedSecretPairs(mesh), 'remote-secret steps');
  for (const s of plan.remoteSecrets) {
    same(s.name, `istio-remote-secret-${s.watched}`, 'secret name');
    same(s.server, spec(s.watched).apiServer, `server of ${s.name} in ${s.primary}`);
    needsDirectly(`istio:${s.primary}`, `remote-secret:${s.primary}:${s.watched}`);
    before(`remote-reader:${s.watched}`, `remote-secret:${s.primary}:${s.watched}`);
  }

  for (const c of plan.clusters) {
    const primary = primaryOf(c.name);
    const remotes = remotesOf(c.name);
    same([c.role, c.primary, c.network, c.context], [isPrimary(c.name) ? 'primary' : 'remote', primary, networkOf(c.name), spec(c.name).context], `${c.name} role, primary, network, context`);
    same(c.watches.slice().sort(), isPrimary(c.name) ? names.filter((n) => n !== c.name).sort() : [], `${c.name} watches`);
    same(c.externalIstiod, remotes.length > 0, `${c.name}: EXTERNAL_ISTIOD only on a primary with remotes`);

    // istio-system: network label only with several networks; remotes name their control plane.
    same(c.namespace.labels, multiNetwork ? { [NETWORK_LABEL]: networkOf(c.name) } : {}, `${c.name} namespace labels`);
    same(c.namespace.annotations, isPrimary(c.name) ? {} : { [CONTROL_PLANE_CLUSTERS_ANNOTATION]: primary }, `${c.name} namespace annotations`);

    // East-west gateways: every cluster of a multi-network mesh, and every primary with remotes.
    const needsGateway = multiNetwork || remotes.length > 0;
    same(c.eastWestGateway !== undefined, needsGateway, `${c.name} has an east-west gateway`);
    same(index.has(`eastwest-gateway:${c.name}`), needsGateway, `${c.name} has an eastwest-gateway step`);
    if (c.eastWestGateway) {
      const gw = c.eastWestGateway;
      same([gw.network, gw.address, gw.exposesIstiod, gw.exposesServices], [networkOf(c.name), gatewayAddress(c.name), remotes.length > 0, multiNetwork && isPrimary(c.name)], `${c.name} gateway`);
      before(`istio:${c.name}`, `eastwest-gateway:${c.name}`);
      before(`eastwest-gateway:${c.name}`, `gateway-address:${c.name}`);
    }
    same(index.has(`expose-istiod:${c.name}`), remotes.length > 0, `${c.name} has an expose-istiod step`);
    same(index.has(`expose-services:${c.name}`), multiNetwork && isPrimary(c.name), `${c.name} has an expose-services step`);

    before(`namespace:${c.name}`, `cacerts:${c.name}`);
    before(`cacerts:${c.name}`, `istio:${c.name}`);
    if (isPrimary(c.name)) {
      same([c.injectionPath, c.remotePilotAddress], [undefined, undefined], `${c.name} (primary) injection path and pilot address`);
    } else {
      same(c.injectionPath, networkOf(c.name) ? `/inject/cluster/${c.name}/net/${networkOf(c.name)}` : `/inject/cluster/${c.name}`, `${c.name} injection path`);
      same(c.remotePilotAddress, gatewayAddress(primary), `${c.name} remotePilotAddress`);
      // The remote's control plane is reached through its primary's gateway: all of it first.
      needsDirectly(`gateway-address:${primary}`, `istio:${c.name}`);
      for (const k of ['istio', 'eastwest-gateway', 'gateway-address', 'expose-istiod']) before(`${k}:${primary}`, `istio:${c.name}`);
      // Its gateway pod is injected by the primary, which needs the remote's secret for that.
      if (c.eastWestGateway) before(`remote-secret:${primary}:${c.name}`, `eastwest-gateway:${c.name}`);
    }
  }

  // With several networks each has a gateway; each primary with remotes exposes istiod.
  if (multiNetwork) for (const n of networks) check(plan.clusters.some((c) => c.network === n && c.eastWestGateway), `a gateway in network ${n}`);
  for (const p of names.filter((n) => isPrimary(n) && remotesOf(n).length > 0))
    check(plan.clusters.find((c) => c.name === p)?.eastWestGateway?.exposesIstiod === true, `${p} exposes istiod`);

  // Flat networks: each cluster routes every range of each other cluster of its network.
  const expectedRoutes = names.flatMap((a) =>
    names
      .filter((b) => b !== a && networkOf(b) === networkOf(a))
      .flatMap((b) => [...spec(b).podCIDRs, ...spec(b).serviceCIDRs].map((d) => `${a} ${d} ${b} ${spec(b).nodeAddress ?? '-'}`)),
  );
  same(plan.routes.map((r) => `${r.on} ${r.destination} ${r.owner} ${r.via ?? '-'}`).sort(), expectedRoutes.sort(), 'routes');
  const routed = new Set(expectedRoutes.map((r) => r.split(' ')[0]!));
  same(plan.steps.filter((s) => s.kind === 'routes').map((s) => s.cluster).sort(), [...routed].sort(), 'routes steps');

  expect(problems).toEqual([]);
}
