import { CoreV1Api, KubeConfig, KubernetesObjectApi, type RequestContext } from '@kubernetes/client-node';
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

/**
 * A KubeConfig whose every request (core and object API alike) ends at `requestTimeoutMs`:
 * client-node sets no deadline, so an API server that takes the connection and never answers
 * (or sends headers, then stalls) would hold the caller for ever. The signal is set where
 * client-node asks the config for credentials, once per request, so the clock starts there.
 */
class BoundedKubeConfig extends KubeConfig {
  constructor(private readonly requestTimeoutMs: number) {
    super();
  }
  override async applySecurityAuthentication(context: RequestContext): Promise<void> {
    await super.applySecurityAuthentication(context);
    context.setSignal(AbortSignal.timeout(this.requestTimeoutMs));
  }
}

/**
 * Loads `context` from the kubeconfig at `kubeconfigPath` into its own KubeConfig. With
 * `requestTimeoutMs`, each request fails as a `timeout` KubeError once it has run that long.
 */
export function kubeClients(kubeconfigPath: string, context: string, opts: { requestTimeoutMs?: number } = {}): KubeClients {
  const config = opts.requestTimeoutMs ? new BoundedKubeConfig(opts.requestTimeoutMs) : new KubeConfig();
  try {
    config.loadFromFile(kubeconfigPath);
  } catch (e) {
    throw new KubeError({
      reason: 'invalid',
      message: `cannot read kubeconfig ${kubeconfigPath}: ${(e as Error).message}`,
      cause: e,
      hint: 'pass a readable kubeconfig with --kubeconfig',
      cluster: context,
      resource: 'kubeconfig',
    });
  }
  if (!config.getContextObject(context)) {
    throw new KubeError({
      reason: 'notFound',
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
 * A kubeconfig reduced to one context with inline credentials: what a kubeconfig that came
 * from a cluster (a remote secret) may hold once checked. Nothing here names a file or a
 * program, so a client built from it can neither read one nor run one.
 */
export interface InlineKubeconfig {
  context: string;
  cluster: { name: string; server: string; caData?: string; tlsServerName?: string };
  user: { name: string; token?: string; certData?: string; keyData?: string };
}

/**
 * Clients built from checked settings, never from kubeconfig text: client-node's
 * loadFromString re-parses with another YAML reader and would honour exec, auth providers
 * and file paths that a check did not see. The objects are made here field by field.
 */
export function kubeClientsFromInline(k: InlineKubeconfig): KubeClients {
  const config = new KubeConfig();
  const { caData, tlsServerName } = k.cluster;
  const { token, certData, keyData } = k.user;
  config.loadFromOptions({
    clusters: [{ name: k.cluster.name, server: k.cluster.server, skipTLSVerify: false, ...(caData ? { caData } : {}), ...(tlsServerName ? { tlsServerName } : {}) }],
    users: [{ name: k.user.name, ...(token ? { token } : {}), ...(certData ? { certData } : {}), ...(keyData ? { keyData } : {}) }],
    contexts: [{ name: k.context, cluster: k.cluster.name, user: k.user.name }],
    currentContext: k.context,
  });
  return {
    context: k.context,
    server: k.cluster.server,
    config,
    core: config.makeApiClient(CoreV1Api),
    objects: KubernetesObjectApi.makeApiClient(config),
  };
}
