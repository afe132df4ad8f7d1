import { CoreV1Api, KubeConfig, KubernetesObjectApi, type Configuration, type RequestContext, type V1APIResource } from '@kubernetes/client-node';
import https from 'node:https';
import { createSecureContext } from 'node:tls';
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

/** How the clients of one context behave beyond client-node's defaults. */
export interface KubeClientOptions {
  /** Each request fails as a `timeout` KubeError once it has run this long. */
  requestTimeoutMs?: number;
  /**
   * One https.Agent, with one TLS context, for every request of these clients, so TLS sessions
   * are resumed. client-node makes a new agent for each request: a new TLS context (the key
   * parsed again) and a full handshake each time, where a short-lived reader that sends many
   * requests (doctor, status) spent most of its CPU (bench/doctor). Connections are not kept
   * open: client-node's node-fetch 2.7 fails chunked responses on kept-alive sockets with
   * "Premature close" (seen on the lab's API servers).
   */
  reuseConnections?: boolean;
}


/** The TLS options of an https.Agent client-node made for one request, which decide whether a kept agent can serve it. */
type TlsOptions = Pick<https.AgentOptions, 'ca' | 'cert' | 'key' | 'pfx' | 'passphrase' | 'rejectUnauthorized' | 'servername'>;
const TLS_KEYS = ['ca', 'cert', 'key', 'pfx', 'passphrase', 'rejectUnauthorized', 'servername'] as const;
const sameTls = (a: TlsOptions, b: TlsOptions): boolean => TLS_KEYS.every((k) => String(a[k] ?? '') === String(b[k] ?? ''));

/**
 * A KubeConfig that can bound every request (core and object API alike) at `requestTimeoutMs`
 * and share one agent (TLS context, session cache) across its requests. client-node sets no deadline, so an API server that takes the
 * connection and never answers (or sends headers, then stalls) would hold the caller for ever.
 * Both are set where client-node asks the config for credentials, once per request, so the
 * clock starts there.
 */
class MeshfedKubeConfig extends KubeConfig {
  private kept?: { tls: TlsOptions; agent: https.Agent };
  constructor(private readonly opts: KubeClientOptions) {
    super();
  }
  override async applySecurityAuthentication(context: RequestContext): Promise<void> {
    await super.applySecurityAuthentication(context);
    if (this.opts.requestTimeoutMs) context.setSignal(AbortSignal.timeout(this.opts.requestTimeoutMs));
    if (this.opts.reuseConnections) {
      const made = context.getAgent();
      const cluster = this.getCurrentCluster();
      // Only a plain HTTPS agent is replaced (not a proxy's, not plain HTTP).
      if (!(made instanceof https.Agent) || cluster?.proxyUrl) return;
      const tls = Object.fromEntries(TLS_KEYS.map((k) => [k, (made.options as TlsOptions)[k]])) as TlsOptions;
      // Credentials read from files may change between requests: a new agent then.
      if (!this.kept || !sameTls(this.kept.tls, tls)) {
        this.kept?.agent.destroy();
        const { ca, cert, key, pfx, passphrase } = tls;
        const secureContext = createSecureContext({ ...(ca ? { ca } : {}), ...(cert ? { cert } : {}), ...(key ? { key } : {}), ...(pfx ? { pfx } : {}), ...(passphrase ? { passphrase } : {}) });
        this.kept = { tls, agent: new https.Agent({ ...tls, secureContext, keepAlive: false }) };
      }
      context.setAgent(this.kept.agent);
    }
  }
}

/**
 * client-node's object API, with one lookup of an API version's resources in flight at a time.
 * Before its first request for a kind, client-node asks the API server for the resources of the
 * kind's API version (GET /apis/<group>/<version>) and caches the answer, but requests started
 * together all miss the cache and each asks: doctor's reads of one cluster, started at once, sent
 * up to four lookups of apps/v1 and 64 of its 238 requests on the six-cluster mix were lookups.
 * A kind the cached answer lacks is still looked up again, as client-node does (a CRD installed
 * since).
 */
class ObjectApi extends KubernetesObjectApi {
  private readonly lookups = new Map<string, Promise<V1APIResource | undefined>>();

  static override makeApiClient(kc: KubeConfig): ObjectApi {
    const client = kc.makeApiClient(ObjectApi);
    client.setDefaultNamespace(kc);
    return client;
  }

  protected override async resource(apiVersion: string, kind: string, options?: Configuration): Promise<V1APIResource | undefined> {
    const pending = this.lookups.get(apiVersion);
    if (pending) {
      await pending.catch(() => undefined);
      const known = this.apiVersionResourceCache[apiVersion]?.resources.find((r) => r.kind === kind);
      if (known) return known;
    }
    const lookup = super.resource(apiVersion, kind, options);
    this.lookups.set(apiVersion, lookup);
    try {
      return await lookup;
    } finally {
      if (this.lookups.get(apiVersion) === lookup) this.lookups.delete(apiVersion);
    }
  }
}

const makeConfig = (opts: KubeClientOptions): KubeConfig => (opts.requestTimeoutMs || opts.reuseConnections ? new MeshfedKubeConfig(opts) : new KubeConfig());

/**
 * Loads `context` from the kubeconfig at `kubeconfigPath` into its own KubeConfig. With
 * `opts` (KubeClientOptions), requests are bounded in time and may reuse their connections.
 */
export function kubeClients(kubeconfigPath: string, context: string, opts: KubeClientOptions = {}): KubeClients {
  const config = makeConfig(opts);
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
    objects: ObjectApi.makeApiClient(config),
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
 * The options are those of `kubeClients`.
 */
export function kubeClientsFromInline(k: InlineKubeconfig, opts: KubeClientOptions = {}): KubeClients {
  const config = makeConfig(opts);
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
    objects: ObjectApi.makeApiClient(config),
  };
}
