import type { ClusterPlan, Plan } from '../plan/index.js';
import { servicesIstiodEnv, servicesMeshConfig } from './services.js';
import { deepMerge } from './yaml.js';

type Obj = Record<string, unknown>;

/** Placeholder for a gateway address only known once the LoadBalancer has assigned it. */
export const addressPlaceholder = (cluster: string): string => `\${EASTWEST_ADDRESS_${cluster.toUpperCase().replace(/-/g, '_')}}`;

export interface RenderInputs {
  /** Live east-west gateway addresses by cluster (from apply); override planned ones. */
  gatewayAddresses?: Record<string, string>;
}

export function remotePilotAddress(plan: Plan, c: ClusterPlan, inputs: RenderInputs): { value: string; known: boolean } {
  const live = inputs.gatewayAddresses?.[c.primary];
  if (live) return { value: live, known: true };
  if (c.remotePilotAddress) return { value: c.remotePilotAddress, known: true };
  return { value: addressPlaceholder(c.primary), known: false };
}

/** meshfed's own install values for a cluster; the user's overlay goes underneath. */
function globalValues(plan: Plan, c: ClusterPlan, inputs: RenderInputs): Obj {
  const global: Obj = { meshID: plan.mesh.meshID };
  if (c.role === 'remote') global['configCluster'] = true;
  global['multiCluster'] = { clusterName: c.name };
  if (c.network) global['network'] = c.network;
  if (c.role === 'remote') global['remotePilotAddress'] = remotePilotAddress(plan, c, inputs).value;
  return global;
}

function userValues(plan: Plan): Obj {
  return (plan.mesh.istio.values ?? {}) as Obj;
}

/** Istio's own default trust domain (meshconfig's `trustDomain` when unset): a mesh that keeps it needs no setting. */
const ISTIO_DEFAULT_TRUST_DOMAIN = 'cluster.local';

/**
 * The user's meshConfig with the mesh file's settings over it: its trust domain (where it is
 * not Istio's default; istiod signs workload identities `spiffe://<trustDomain>/...` from it)
 * and its service settings. Undefined when there is nothing to set.
 */
function meshConfigOf(plan: Plan): Obj | undefined {
  const ours = servicesMeshConfig(plan);
  if (plan.mesh.trustDomain !== ISTIO_DEFAULT_TRUST_DOMAIN) ours['trustDomain'] = plan.mesh.trustDomain;
  const user = (plan.mesh.istio.meshConfig ?? {}) as Obj;
  if (Object.keys(ours).length === 0) return plan.mesh.istio.meshConfig;
  // The user's own serviceSettings stay, ours after them (a list would otherwise be replaced).
  if (Array.isArray(user['serviceSettings']) && Array.isArray(ours['serviceSettings'])) ours['serviceSettings'] = [...(user['serviceSettings'] as unknown[]), ...(ours['serviceSettings'] as unknown[])];
  return deepMerge(user, ours);
}

/**
 * A primary's istiod takes a cacerts root bundle that gains or loses a root (a root rotation,
 * `certs --rotate-root`) only with ISTIO_MULTIROOT_MESH (pilot/pkg/bootstrap/istio_ca.go:
 * "Multi root is disabled, updating new ROOT-CA not supported"). Set from the first install,
 * so that a rotation never needs istiod restarted.
 */
function trustIstiodEnv(c: ClusterPlan): Obj {
  return c.role === 'primary' ? { ISTIO_MULTIROOT_MESH: true } : {};
}

/** The IstioOperator `istioctl install -f` takes for this cluster (seed 000's cluster0N.yaml). */
export function istioOperator(plan: Plan, c: ClusterPlan, inputs: RenderInputs): Obj {
  const spec: Obj = {};
  if (plan.mesh.istio.revision) spec['revision'] = plan.mesh.istio.revision;
  const meshConfig = meshConfigOf(plan);
  if (meshConfig) spec['meshConfig'] = meshConfig;
  if (c.role === 'remote') spec['profile'] = 'remote';
  const ours: Obj = {};
  if (c.role === 'remote') ours['istiodRemote'] = { injectionPath: c.injectionPath };
  ours['global'] = globalValues(plan, c, inputs);
  // Seed 000 passes --set values.pilot.env.EXTERNAL_ISTIOD=true; the file carries it instead so
  // the install is reproducible from the file alone.
  const env: Obj = { ...(c.externalIstiod ? { EXTERNAL_ISTIOD: true } : {}), ...trustIstiodEnv(c), ...servicesIstiodEnv(plan, c) };
  if (Object.keys(env).length) ours['pilot'] = { env };
  spec['values'] = deepMerge(userValues(plan), ours);
  return { apiVersion: 'install.istio.io/v1alpha1', kind: 'IstioOperator', spec };
}

/** Values for the `istio/base` chart. */
export function helmBaseValues(plan: Plan, c: ClusterPlan): Obj {
  const v: Obj = {};
  if (c.role === 'remote') v['profile'] = 'remote';
  if (plan.mesh.istio.revision) v['defaultRevision'] = plan.mesh.istio.revision;
  return v;
}

/** Values for the `istio/istiod` chart (the `remote` profile on remotes, Istio >= 1.24). */
export function helmIstiodValues(plan: Plan, c: ClusterPlan, inputs: RenderInputs): Obj {
  const ours: Obj = {};
  if (c.role === 'remote') ours['profile'] = 'remote';
  if (plan.mesh.istio.revision) ours['revision'] = plan.mesh.istio.revision;
  const global = globalValues(plan, c, inputs);
  if (c.externalIstiod) global['externalIstiod'] = true;
  ours['global'] = global;
  if (c.role === 'remote') ours['istiodRemote'] = { injectionPath: c.injectionPath };
  const meshConfig = meshConfigOf(plan);
  if (meshConfig) ours['meshConfig'] = meshConfig;
  // The istiod chart takes the environment at its top level (the operator's values.pilot.env).
  const env = { ...trustIstiodEnv(c), ...servicesIstiodEnv(plan, c) };
  if (Object.keys(env).length) ours['env'] = env;
  return deepMerge(userValues(plan), ours);
}
