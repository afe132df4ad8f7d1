import { parse } from 'yaml';
import { ISTIOD_MCS_ENV, serviceExportCrdYaml, serviceImportCrdYaml } from '../mcs/index.js';
import type { ClusterPlan, Plan } from '../plan/index.js';

type Obj = Record<string, unknown>;

/**
 * What the mesh file's `services` section adds to every cluster's meshConfig: cluster-local
 * hosts (meshConfig.serviceSettings) and Istio's DNS proxying in every sidecar
 * (defaultConfig.proxyMetadata). Empty for a mesh without the section, so its files stay as
 * they were.
 */
export function servicesMeshConfig(plan: Plan): Obj {
  const s = plan.mesh.services;
  const out: Obj = {};
  if (s?.clusterLocal?.length) out['serviceSettings'] = [{ settings: { clusterLocal: true }, hosts: [...s.clusterLocal] }];
  // Capture answers DNS in the sidecar from the names istiod knows, so a service of another
  // cluster resolves without a local Service. Not ISTIO_META_DNS_AUTO_ALLOCATE: Istio 1.31's
  // validation calls it deprecated (pkg/config/validation/agent/validation.go); its
  // replacement, istiod's address allocation (PILOT_ENABLE_IP_AUTOALLOCATE), is on by default.
  if (s?.dnsProxy) out['defaultConfig'] = { proxyMetadata: { ISTIO_META_DNS_CAPTURE: 'true' } };
  return out;
}

/** istiod's environment for the mesh's discovery mode; only primaries run istiod. */
export function servicesIstiodEnv(plan: Plan, c: ClusterPlan): Obj {
  return plan.mesh.services?.discovery === 'mcs' && c.role === 'primary' ? { ...ISTIOD_MCS_ENV } : {};
}

/** The ServiceExport and ServiceImport CRDs as mcs-api v0.5.0 ships them (src/mcs/crds.ts). */
export function mcsCrds(): Obj[] {
  return [parse(serviceExportCrdYaml) as Obj, parse(serviceImportCrdYaml) as Obj];
}
