import { CoreV1Api, KubeConfig, KubernetesObjectApi } from '@kubernetes/client-node';
import { KubeError } from './errors.js';

/** Everything needed to talk to one cluster: one KubeConfig per context, never shared. */
export interface KubeClients {
  /** The kubeconfig context these clients use. */
  context: string;
  /** API server URL from the kubeconfig. */
  server: string;
  config: KubeConfig;
  core: CoreV1Api;
  objects: KubernetesObjectApi;
}

/** Loads `context` from the kubeconfig at `kubeconfigPath` into its own KubeConfig. */
export function kubeClients(kubeconfigPath: string, context: string): KubeClients {
  const config = new KubeConfig();
  try {
    config.loadFromFile(kubeconfigPath);
  } catch (e) {
    throw new KubeError({
      cause: 'invalid',
      message: `cannot read kubeconfig ${kubeconfigPath}: ${(e as Error).message}`,
      hint: 'pass a readable kubeconfig with --kubeconfig',
      cluster: context,
      resource: 'kubeconfig',
    });
  }
  if (!config.getContextObject(context)) {
    throw new KubeError({
      cause: 'notFound',
      message: `kubeconfig ${kubeconfigPath} has no context "${context}"`,
      hint: `contexts there: ${config.getContexts().map((c) => c.name).join(', ') || 'none'}`,
      cluster: context,
      resource: 'kubeconfig',
    });
  }
  config.setCurrentContext(context);
  const server = config.getCurrentCluster()?.server ?? '';
  return {
    context,
    server,
    config,
    core: config.makeApiClient(CoreV1Api),
    objects: KubernetesObjectApi.makeApiClient(config),
  };
}

/**
 * Clients from a kubeconfig held in memory (a remote secret's), for `context` or its
 * current-context. Messages name the context, never the text: it carries a token or key.
 */
export function kubeClientsFromKubeconfigText(text: string, context?: string): KubeClients {
  const config = new KubeConfig();
  try {
    config.loadFromString(text);
  } catch {
    throw new KubeError({ cause: 'invalid', message: 'cannot parse the kubeconfig', hint: 'the kubeconfig must be YAML or JSON with clusters, contexts and users', cluster: context ?? '', resource: 'kubeconfig' });
  }
  const name = context ?? config.getCurrentContext();
  if (!name || !config.getContextObject(name)) {
    throw new KubeError({
      cause: 'notFound',
      message: `the kubeconfig has no context "${name ?? ''}"`,
      hint: `contexts there: ${config.getContexts().map((c) => c.name).join(', ') || 'none'}`,
      cluster: name ?? '',
      resource: 'kubeconfig',
    });
  }
  config.setCurrentContext(name);
  return {
    context: name,
    server: config.getCurrentCluster()?.server ?? '',
    config,
    core: config.makeApiClient(CoreV1Api),
    objects: KubernetesObjectApi.makeApiClient(config),
  };
}
