import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { defaultLabStateDir, labBinaryPaths } from '../lab/index.js';
import type { LoadedMesh } from './mesh.js';

/**
 * kubectl's precedence for the kubeconfig (--kubeconfig, $KUBECONFIG, ~/.kube/config), except
 * that a lab mesh defaults to the kubeconfig its lab wrote.
 */
export function resolveKubeconfig(explicit: string | undefined, loaded: LoadedMesh): string {
  if (explicit) return explicit;
  if (loaded.mesh.spec.lab) {
    const lab = join(defaultLabStateDir(loaded.path, loaded.mesh.metadata.name), 'kubeconfig');
    if (existsSync(lab)) return lab;
  }
  const env = process.env['KUBECONFIG'];
  if (env) return env.split(':')[0]!;
  return join(homedir(), '.kube', 'config');
}

/** --istioctl, else the lab's build of the mesh's Istio version, else istioctl on PATH. */
export function resolveIstioctl(explicit: string | undefined, loaded: LoadedMesh): string {
  if (explicit) return explicit;
  const lab = labBinaryPaths().istioctl;
  if (existsSync(lab) && lab.includes(`istio-${loaded.mesh.spec.istio.version}`)) return lab;
  return 'istioctl';
}

/**
 * --helm and --charts, else the lab's helm and the Istio charts built with the lab (when the
 * mesh's Istio version is the lab's), else `helm` on PATH and the `istio` chart repository.
 */
export function resolveHelm(flags: { helm?: string; charts?: string }, loaded: LoadedMesh): { binary: string; charts: string; version: string } {
  const lab = labBinaryPaths();
  const labIstio = lab.istioCharts.includes(`istio-${loaded.mesh.spec.istio.version}`);
  const binary = flags.helm ?? (existsSync(lab.helm) ? lab.helm : 'helm');
  const charts = flags.charts ?? (labIstio && existsSync(join(lab.istioCharts, 'istiod', 'Chart.yaml')) ? lab.istioCharts : 'istio');
  return { binary, charts, version: loaded.mesh.spec.istio.version };
}
