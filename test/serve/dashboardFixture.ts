/**
 * A dashboard server over test data (no Kubernetes): seed 000's primary-remote, multi-network
 * mesh file planned by the real planMesh, its trust folder made by the real ensureTrust (ECDSA,
 * fast), and a registry built by the real buildRegistry from snapshots: seed 000's helloworld
 * layout, plus `extraServices` selector-less services per cluster with 5 endpoints each (the
 * discovery bench's shape: 3 clusters × 1,000 = 3,000 services).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildRegistry, type ClusterSnapshot } from '../../src/discovery/index.js';
import type { KubeObject } from '../../src/kube/index.js';
import { ensureTrust, summarizeTrust } from '../../src/pki/index.js';
import { planMesh, type Plan } from '../../src/plan/index.js';
import { loadDashboard, startServer, type ChecksSource, type RunningServer } from '../../src/serve/index.js';
import { validateMeshFile } from '../../src/topology/index.js';
import { buildDashboard } from '../../scripts/build-dashboard.js';
import { endpointSlice, pod, service } from '../discovery/helpers.js';
import { cluster01, cluster02 } from '../discovery/fixtures.js';
import { FixtureSource } from './fixtureSource.js';

export { FixtureSource };

export const EXAMPLE = 'examples/primary-remote-multi-network/mesh.yaml';


/** `count` services in `snapshot`'s cluster, each with 5 ready endpoints from a /16 of its own. */
function withServices(snapshot: ClusterSnapshot, index: number, count: number): ClusterSnapshot {
  const services: KubeObject[] = [];
  const slices: KubeObject[] = [];
  const pods: KubeObject[] = [];
  for (let i = 0; i < count; i++) {
    const name = `c${index}-svc-${String(i).padStart(4, '0')}`;
    const specs = Array.from({ length: 5 }, (_, j) => ({ name: `${name}-${j}`, ip: `10.${100 + index}.${Math.floor((i * 5 + j) / 250)}.${((i * 5 + j) % 250) + 1}` }));
    services.push(service(name, 'bench', { clusterIP: `10.${200 + index}.${Math.floor(i / 250)}.${(i % 250) + 1}` }));
    slices.push(endpointSlice(name, 'bench', specs));
    pods.push(...specs.map((p) => pod('bench', p)));
  }
  return { ...snapshot, services: [...snapshot.services, ...services], endpointSlices: [...snapshot.endpointSlices, ...slices], pods: [...snapshot.pods, ...pods] };
}

export interface FixtureServer {
  server: RunningServer;
  source: FixtureSource;
  plan: Plan;
  rootDir: string;
  close(): Promise<void>;
}

export async function fixtureServer(opts: { extraServices?: number; checks?: ChecksSource } = {}): Promise<FixtureServer> {
  const dir = await mkdtemp(join(tmpdir(), 'meshfed-dashboard-'));
  const v = await validateMeshFile(EXAMPLE);
  if (!v.mesh) throw new Error(`${EXAMPLE} does not validate`);
  const mesh = v.mesh;
  const plan = planMesh(mesh);
  const rootDir = join(dir, 'certs');
  await ensureTrust({ rootDir, clusters: plan.clusters.map((c) => c.name), options: { keyAlgorithm: 'ecdsa-p256' } });
  const n = opts.extraServices ?? 0;
  const source = new FixtureSource(buildRegistry([withServices(cluster01(), 1, n), withServices(cluster02(), 2, n)]));
  // The page as `npm run build` bundles it, built here so the test needs no earlier build.
  const dashboard = await loadDashboard(await buildDashboard(join(dir, 'dashboard')));
  const server = await startServer({ source, plan, dashboard, trust: () => summarizeTrust(rootDir, plan.clusters.map((c) => c.name)), ...(opts.checks ? { checks: opts.checks } : {}) });
  return {
    server,
    source,
    plan,
    rootDir,
    close: async () => {
      await server.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
