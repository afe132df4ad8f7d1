import { DEFAULT_ISTIO_VERSION } from '../topology/index.js';

/**
 * The versions the lab builds and runs. scripts/build-lab.sh carries the same defaults and
 * takes these as environment variables, and ensureLabBinaries always passes them, so this
 * module is what decides (a unit test keeps the script's defaults in step).
 */
export const LAB_VERSIONS = {
  kubernetes: 'v1.35.4',
  kwok: 'v0.8.0',
  etcd: 'v3.6.16',
  /** The project's pinned Istio: a mesh file's default, and what the lab builds. */
  istio: DEFAULT_ISTIO_VERSION,
  /** Istio's Go module has no semver tags; this pseudo-version is the commit we build. */
  istioModule: 'v0.0.0-20260827124520-eed52ebb66ad',
  /** For apply with installer: helm, with the Istio charts of the same commit. */
  helm: 'v3.22.0',
} as const;

export type LabVersions = typeof LAB_VERSIONS;

/** Environment for scripts/build-lab.sh, so TS and the script agree. */
export function buildScriptEnv(versions: LabVersions = LAB_VERSIONS): Record<string, string> {
  return {
    KUBE_VERSION: versions.kubernetes,
    KWOK_VERSION: versions.kwok,
    ETCD_VERSION: versions.etcd,
    ISTIO_VERSION: versions.istio,
    ISTIO_MODULE_VERSION: versions.istioModule,
    HELM_VERSION: versions.helm,
  };
}
