import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ISTIO_NAMESPACE } from '../plan/index.js';
import { helm, type Where as Target } from './tools.js';

export interface HelmSource {
  binary: string;
  /** A folder holding base/, istiod/ and gateway/, or the name of a Helm repository (`istio`). */
  charts: string;
  /** The chart version when charts come from a repository (the mesh's Istio version). */
  version?: string;
}

/** A chart from a local folder of charts, else `<repo>/<chart>` at the mesh's Istio version. */
export function chartArgs(src: HelmSource, chart: string): string[] {
  const local = join(src.charts, chart);
  if (existsSync(join(local, 'Chart.yaml'))) return [local];
  return [`${src.charts}/${chart}`, ...(src.version ? ['--version', src.version] : [])];
}

/** `helm upgrade --install`, the command the rendered values files name, idempotent by design. */
export async function helmUpgrade(src: HelmSource, t: Target, release: string, chart: string, valuesFile: string, opts: { wait: boolean; timeoutS: number }): Promise<void> {
  const args = ['upgrade', '--install', release, ...chartArgs(src, chart), '-n', ISTIO_NAMESPACE, '-f', valuesFile];
  // --wait: the next release (istiod after base) and the steps after it need these objects ready.
  if (opts.wait) args.push('--wait', '--timeout', `${opts.timeoutS}s`);
  await helm(src.binary, args, t);
}

/** Uninstalls releases in the order given; a release that is not there is not an error. */
export async function helmUninstall(src: HelmSource, t: Target, releases: string[]): Promise<void> {
  for (const r of releases) await helm(src.binary, ['uninstall', r, '-n', ISTIO_NAMESPACE, '--ignore-not-found', '--wait'], t);
}
