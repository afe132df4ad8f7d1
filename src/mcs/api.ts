/**
 * The Kubernetes Multi-Cluster Services API (KEP-1645, sigs.k8s.io/mcs-api) as meshfed uses it:
 * one list of its names, shared by render (the istiod settings), apply (the CRDs) and discovery
 * (the MCS controller and the DNS names). Imports nothing, so every layer may use it.
 */

export const MCS_GROUP = 'multicluster.x-k8s.io';

/**
 * The version meshfed reads and writes, and renders as istiod's MCS_API_VERSION: Istio 1.31
 * reads v1alpha1 by default (pilot/pkg/features/experimental.go) with mcs-api v0.4.1's Go
 * types; the v0.5.0 CRDs serve it beside v1beta1 (stored), with the same fields and no
 * conversion webhook, so either version reads what the other wrote.
 */
export const MCS_API_VERSION = 'v1alpha1';
export const MCS_VERSIONS_SERVED = ['v1alpha1', 'v1beta1'] as const;
export const MCS_API = `${MCS_GROUP}/${MCS_API_VERSION}`;

export const SERVICE_EXPORT = { apiVersion: MCS_API, kind: 'ServiceExport', plural: 'serviceexports' } as const;
export const SERVICE_IMPORT = { apiVersion: MCS_API, kind: 'ServiceImport', plural: 'serviceimports' } as const;

/** Collection paths across namespaces, as a watch lists them. */
export const MCS_PATHS = {
  serviceExports: `/apis/${MCS_API}/${SERVICE_EXPORT.plural}`,
  serviceImports: `/apis/${MCS_API}/${SERVICE_IMPORT.plural}`,
} as const;

/** One object's path; `/status` is its status subresource. */
export const mcsObjectPath = (what: { plural: string }, namespace: string, name: string): string =>
  `/apis/${MCS_API}/namespaces/${encodeURIComponent(namespace)}/${what.plural}/${encodeURIComponent(name)}`;

/** `<svc>.<ns>.svc.clusterset.local`: the name an exported service has in every cluster. */
export const CLUSTERSET_DOMAIN = 'clusterset.local';
export const clustersetHostname = (name: string, namespace: string): string => `${name}.${namespace}.svc.${CLUSTERSET_DOMAIN}`;

/** The CRD objects' names, as apply installs and destroy removes them. */
export const MCS_CRD_NAMES = [`${SERVICE_EXPORT.plural}.${MCS_GROUP}`, `${SERVICE_IMPORT.plural}.${MCS_GROUP}`] as const;

/**
 * The istiod settings of MCS discovery (pilot/pkg/features/experimental.go): only exported
 * services cross clusters (SERVICE_DISCOVERY), each under its clusterset.local host (HOST),
 * and cluster.local stays in its own cluster (CLUSTER_LOCAL). No automatic export: meshfed's
 * mcs mode means the owners export what they want mesh-wide.
 */
export const ISTIOD_MCS_ENV = {
  ENABLE_MCS_SERVICE_DISCOVERY: true,
  ENABLE_MCS_HOST: true,
  ENABLE_MCS_CLUSTER_LOCAL: true,
  ENABLE_MCS_AUTO_EXPORT: false,
  MCS_API_VERSION,
} as const;

/**
 * ServiceExport condition types and reasons (mcs-api v0.5.0 pkg/apis/v1beta1/serviceexport.go):
 * Valid (the Service can be exported), Ready (exported: meshfed pushes the imports, so its True
 * reason is `Exported`), Conflict (properties differ between the exports of one service).
 */
export const EXPORT_CONDITION = { valid: 'Valid', ready: 'Ready', conflict: 'Conflict' } as const;
export const EXPORT_REASON = {
  valid: 'Valid',
  noService: 'NoService',
  invalidServiceType: 'InvalidServiceType',
  exported: 'Exported',
  pending: 'Pending',
  failed: 'Failed',
  portConflict: 'PortConflict',
  typeConflict: 'TypeConflict',
  noConflicts: 'NoConflicts',
} as const;

/** Labels meshfed puts on the ServiceImports it writes, so it removes only its own. */
export const IMPORT_LABELS = { 'app.kubernetes.io/managed-by': 'meshfed' } as const;
