import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClusterPlan, Plan } from '../plan/index.js';
import { eastWestGatewayOperator, HELM_CHARTS, HELM_RELEASES, helmBaseValues, helmGatewayValues, helmIstiodValues, istioOperator, toYaml, type RenderInputs } from '../render/index.js';
import { helmUninstall, helmUpgrade, type HelmSource } from './helm.js';
import { istioctl, whereOf } from './tools.js';

/** What an installer installs: the control plane (or remote profile), or the east-west gateway. */
export type InstallComponent = 'istio' | 'eastwest-gateway';

export interface InstallFile {
  name: string;
  yaml: string;
}

/**
 * istioctl or Helm behind one interface: apply renders, hashes and installs through it, destroy
 * and prune uninstall through it. Built once per plan, pointed at the operator's kubeconfig.
 */
export interface MeshInstaller {
  readonly tool: Plan['mesh']['istio']['installer'];
  /** The rendered files an install of the component takes (apply skips an install whose files are unchanged). */
  files(c: ClusterPlan, component: InstallComponent, inputs: RenderInputs): InstallFile[];
  /**
   * Installs the component from those files; says what it ran. `upgrade`: the cluster runs an
   * older version of the same revision (istioctl upgrade; helm upgrades either way).
   */
  install(c: ClusterPlan, component: InstallComponent, files: InstallFile[], opts: { timeoutMs: number; upgrade?: boolean }): Promise<string>;
  /** Removes everything it installed in the cluster; says what it ran. */
  uninstall(c: ClusterPlan): Promise<string>;
  /** Removes one revision's control plane (canary, once nothing uses it); says what it ran. */
  uninstallRevision(c: ClusterPlan, revision: string): Promise<string>;
  /** Points a revision tag (`default` serves `istio-injection=enabled`) at a revision; says what it ran. */
  setTag(c: ClusterPlan, tag: string, revision: string): Promise<string>;
  /**
   * Removes the east-west gateway alone, for an installer that keeps a record of it (Helm's
   * release); istioctl keeps none, so prune deletes the gateway's objects instead.
   */
  uninstallGateway?(c: ClusterPlan): Promise<string>;
}

/** Writes the files to a folder of their own for the duration of `use`. */
async function withFiles<T>(c: ClusterPlan, files: InstallFile[], use: (paths: string[]) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'meshfed-install-'));
  try {
    const paths: string[] = [];
    for (const f of files) {
      const path = join(dir, `${c.name}-${f.name}`);
      await writeFile(path, f.yaml);
      paths.push(path);
    }
    return await use(paths);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** `timeoutMs`: how long a tool run may take before it is killed (an install gets its own). */
export function istioctlInstaller(opts: { plan: Plan; kubeconfig: string; binary: string; timeoutMs?: number }): MeshInstaller {
  const { plan, kubeconfig, binary, timeoutMs: toolTimeoutMs } = opts;
  return {
    tool: 'istioctl',
    files: (c, component, inputs) =>
      component === 'istio' ? [{ name: 'istio.yaml', yaml: toYaml(istioOperator(plan, c, inputs)) }] : [{ name: 'eastwest-gateway.yaml', yaml: toYaml(eastWestGatewayOperator(plan, c)) }],
    install: (c, component, files, { timeoutMs, upgrade }) =>
      withFiles(c, files, async ([file]) => {
        const verb = upgrade && component === 'istio' ? 'upgrade' : 'install';
        await istioctl(binary, [verb, '-y', '-f', file!], whereOf(kubeconfig, c, timeoutMs));
        return `istioctl ${verb} -f ${component}`;
      }),
    async uninstall(c) {
      // --purge removes every revision: the cluster goes back to no Istio at all.
      await istioctl(binary, ['uninstall', '--purge', '-y'], whereOf(kubeconfig, c, toolTimeoutMs));
      return 'istioctl uninstall --purge';
    },
    async uninstallRevision(c, revision) {
      await istioctl(binary, ['uninstall', '--revision', revision, '-y'], whereOf(kubeconfig, c, toolTimeoutMs));
      return `istioctl uninstall --revision ${revision}`;
    },
    setTag: (c, tag, revision) => istioctlTag(binary, kubeconfig, c, tag, revision, toolTimeoutMs),
  };
}

/** `istioctl tag set`: the tag's webhook takes the revision's injector; `default` also takes over `istio-injection=enabled`. */
async function istioctlTag(binary: string, kubeconfig: string, c: ClusterPlan, tag: string, revision: string, timeoutMs?: number): Promise<string> {
  await istioctl(binary, ['tag', 'set', tag, '--revision', revision, '--overwrite', '-y'], whereOf(kubeconfig, c, timeoutMs));
  return `istioctl tag set ${tag} --revision ${revision}`;
}

/** `istioctl`: Helm's charts make no revision tags of their own, so tags go through istioctl with either installer. */
export function helmInstaller(opts: { plan: Plan; kubeconfig: string; helm: HelmSource; istioctl?: string; timeoutMs?: number }): MeshInstaller {
  const { plan, kubeconfig, helm, timeoutMs: toolTimeoutMs } = opts;
  const rev = plan.mesh.istio.revision;
  return {
    tool: 'helm',
    files: (c, component, inputs) =>
      component === 'istio'
        ? [
            { name: 'base.values.yaml', yaml: toYaml(helmBaseValues(plan, c)) },
            { name: 'istiod.values.yaml', yaml: toYaml(helmIstiodValues(plan, c, inputs)) },
          ]
        : [{ name: 'gateway.values.yaml', yaml: toYaml(helmGatewayValues(plan, c)) }],
    install: (c, component, files, { timeoutMs }) =>
      withFiles(c, files, async (paths) => {
        const where = whereOf(kubeconfig, c, timeoutMs);
        if (component === 'eastwest-gateway') {
          // No --wait: the gateway-address step waits for the address and says what is missing.
          await helmUpgrade(helm, where, HELM_RELEASES.gateway, HELM_CHARTS.gateway, paths[0]!, { wait: false, timeoutS: 0 });
          return `helm upgrade --install ${HELM_RELEASES.gateway}`;
        }
        const wait = { wait: true, timeoutS: Math.round(timeoutMs / 1000) };
        await helmUpgrade(helm, where, HELM_RELEASES.base, HELM_CHARTS.base, paths[0]!, wait);
        await helmUpgrade(helm, where, HELM_RELEASES.istiod(rev), HELM_CHARTS.istiod, paths[1]!, wait);
        return `helm upgrade --install ${HELM_RELEASES.base}, ${HELM_RELEASES.istiod(rev)}`;
      }),
    async uninstall(c) {
      const releases = [HELM_RELEASES.gateway, HELM_RELEASES.istiod(rev), HELM_RELEASES.base];
      await helmUninstall(helm, whereOf(kubeconfig, c, toolTimeoutMs), releases);
      return `helm uninstall ${releases.join(', ')}`;
    },
    async uninstallRevision(c, revision) {
      const release = HELM_RELEASES.istiod(revision === 'default' ? undefined : revision);
      await helmUninstall(helm, whereOf(kubeconfig, c, toolTimeoutMs), [release]);
      return `helm uninstall ${release}`;
    },
    setTag: (c, tag, revision) => istioctlTag(opts.istioctl ?? 'istioctl', kubeconfig, c, tag, revision, toolTimeoutMs),
    async uninstallGateway(c) {
      // Helm keeps a record of its release: uninstall it rather than deleting its objects under it.
      await helmUninstall(helm, whereOf(kubeconfig, c, toolTimeoutMs), [HELM_RELEASES.gateway]);
      return `helm release ${HELM_RELEASES.gateway}`;
    },
  };
}

/** `helm` on PATH with charts from the `istio` repository at the mesh's Istio version, as the rendered files say. */
export function defaultHelm(plan: Plan): HelmSource {
  return { binary: 'helm', charts: 'istio', version: plan.mesh.istio.version };
}

/** The installer the mesh file names, with the binaries the operator chose. */
export function installerFor(plan: Plan, tools: { kubeconfig: string; istioctl: string; helm?: HelmSource; timeoutMs?: number }): MeshInstaller {
  const timeout = tools.timeoutMs ? { timeoutMs: tools.timeoutMs } : {};
  return plan.mesh.istio.installer === 'helm'
    ? helmInstaller({ plan, kubeconfig: tools.kubeconfig, helm: tools.helm ?? defaultHelm(plan), istioctl: tools.istioctl, ...timeout })
    : istioctlInstaller({ plan, kubeconfig: tools.kubeconfig, binary: tools.istioctl, ...timeout });
}
