import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { planMesh, type ClusterPlan, type Plan, type Step } from '../../src/plan/index.js';
import { validateMeshFile, type MeshFile } from '../../src/topology/index.js';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export async function loadExample(name: string): Promise<MeshFile> {
  const v = await validateMeshFile(join(ROOT, 'examples', name, 'mesh.yaml'));
  if (!v.ok || !v.mesh) throw new Error(`example ${name} does not validate: ${JSON.stringify(v.diagnostics)}`);
  return v.mesh;
}

export async function examplePlan(name: string): Promise<Plan> {
  return planMesh(await loadExample(name));
}

export function clusterOf(plan: Plan, name: string): ClusterPlan {
  const c = plan.clusters.find((x) => x.name === name);
  if (!c) throw new Error(`no cluster ${name} in the plan`);
  return c;
}

export function stepOf(plan: Plan, id: string): Step {
  const s = plan.steps.find((x) => x.id === id);
  if (!s) throw new Error(`no step ${id} in the plan`);
  return s;
}

export const stepIds = (plan: Plan, kind: Step['kind']): string[] => plan.steps.filter((s) => s.kind === kind).map((s) => s.id);

/** `<primary>←<watched>` for every remote secret, sorted. */
export const secretPairs = (plan: Plan): string[] => plan.remoteSecrets.map((s) => `${s.primary}←${s.watched}`).sort();

/** Every (primary, other cluster) pair of a mesh file, as `<primary>←<watched>`, sorted. */
export function expectedSecretPairs(mesh: MeshFile): string[] {
  const names = mesh.spec.clusters.map((c) => c.name);
  return mesh.spec.clusters
    .filter((c) => c.controlPlane === 'self')
    .flatMap((p) => names.filter((n) => n !== p.name).map((n) => `${p.name}←${n}`))
    .sort();
}

export const routeLines = (plan: Plan): string[] => plan.routes.map((r) => `on ${r.on}: ip route add ${r.destination} via ${r.via ?? '?'}`);
