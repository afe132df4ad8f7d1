import { redactUrl } from '../errors/index.js';
import { reflect, type KubeClients, type KubeObject } from '../kube/index.js';
import { ClusterWatcher, KINDS, kubeWatchSource, reflectorOptions, withKind, type WatchSource, type WatchTuning } from './clusterWatcher.js';
import { DISCOVERY_ERROR_CODES, clusterErrorOf, type RemoteSecretError, type SecretRef } from './errors.js';
import { DEFAULT_SYSTEM_NAMESPACE, MULTICLUSTER_SECRET_LABEL } from './labels.js';
import type { MemberCluster } from './memberCluster.js';
import { registryBuilder, type RegistryBuilder, type RegistryOptions } from './registry.js';
import { diffMemberClusters, readRemoteSecrets, type IgnoredEntry } from './remoteSecrets.js';
import type { ClusterError, ClusterSnapshot, ClusterSyncState, Registry } from './types.js';

/**
 * istiod's secret controller plus its aggregate: member clusters come from the mesh file's
 * contexts or from the remote secrets in a primary; each gets a ClusterWatcher; the registry
 * is rebuilt from their snapshots. Clients are always made by the caller (src/discovery speaks
 * no HTTP itself), through `clientsFor` for the kubeconfig of a secret.
 */
export type ClusterSource = 'local' | 'mesh' | 'secret';

/** What may be printed or served about a cluster: no token, no kubeconfig text. */
export interface ClusterInfo {
  clusterId: string;
  source: ClusterSource;
  server: string;
  state: ClusterSyncState;
  lastError?: ClusterError;
  secret?: SecretRef;
}

export interface MeshContext {
  clusterId: string;
  /** A function when making the clients may fail (a missing context): the failure is shown as that cluster's error. */
  clients: KubeClients | (() => KubeClients);
}

export type SupervisorMembers =
  | { from: 'mesh'; clusters: readonly MeshContext[] }
  | { from: 'secrets'; local: MeshContext; clientsFor: (member: MemberCluster) => KubeClients };

export interface SupervisorOptions extends WatchTuning {
  members: SupervisorMembers;
  systemNamespace?: string;
  registryOptions?: RegistryOptions;
  onChange?: () => void;
  /** Watch ServiceExports and ServiceImports too (services.discovery: mcs). */
  mcs?: boolean;
  /** For tests: how to reach a cluster's API (default src/kube's list/watch). */
  sourceFor?: (clients: KubeClients) => WatchSource;
}

interface Member {
  clusterId: string;
  source: ClusterSource;
  server: string;
  secret?: SecretRef;
  member?: MemberCluster;
  watcher?: ClusterWatcher;
  /** Set when no client could be made; the cluster is then never watched. */
  failed?: ClusterError;
}

/** The watcher settings a supervisor passes to each of its clusters. */
const TUNING = ['syncTimeoutMs', 'initialBackoffMs', 'maxBackoffMs', 'sleep', 'debounceMs', 'heartbeatMs', 'probeTimeoutMs', 'watchTimeoutMs'] as const satisfies readonly (keyof WatchTuning)[];
// A setting added to WatchTuning but not above fails to compile here.
const _everySetting: Exclude<keyof WatchTuning, (typeof TUNING)[number]> extends never ? true : never = true;
void _everySetting;

export const secretsPath = (namespace: string) => `/api/v1/namespaces/${namespace}/secrets?labelSelector=${encodeURIComponent(`${MULTICLUSTER_SECRET_LABEL}=true`)}`;

export class Supervisor {
  readonly #opts: SupervisorOptions;
  /** In istiod's registry order: local (or mesh file order) first, then secrets as added. */
  readonly #members = new Map<string, Member>();
  readonly #abort = new AbortController();
  readonly #secrets = new Map<string, KubeObject>();
  #secretsListed = false;
  #secretsLoop: Promise<void> | undefined;
  #secretErrors: RemoteSecretError[] = [];
  #ignored: IgnoredEntry[] = [];
  #secretWatchError: ClusterError | undefined;
  #localId = '';
  #registry: { from: ClusterSnapshot[]; registry: Registry } | undefined;
  #build: RegistryBuilder | undefined;
  #localClients: KubeClients | undefined;
  #changeListeners: (() => void)[] = [];

  constructor(opts: SupervisorOptions) {
    this.#opts = opts;
  }

  start(): this {
    const m = this.#opts.members;
    if (m.from === 'mesh') {
      for (const c of m.clusters) this.#add(c.clusterId, 'mesh', c.clients);
      // The member list is the file's: known from the start.
      this.#secretsListed = true;
    } else {
      this.#localId = m.local.clusterId;
      this.#localClients = this.#add(m.local.clusterId, 'local', m.local.clients);
      if (this.#localClients) this.#secretsLoop = this.#watchSecrets(this.#localClients);
      else this.#secretsListed = true;
    }
    return this;
  }

  clusters(): ClusterInfo[] {
    return [...this.#members.values()].map((m) => {
      const s = m.watcher?.status();
      const lastError = m.failed ?? s?.lastError;
      return {
        clusterId: m.clusterId,
        source: m.source,
        server: m.server,
        state: m.failed ? 'timeout' : (s?.state ?? 'closed'),
        ...(lastError ? { lastError } : {}),
        ...(m.secret ? { secret: { ...m.secret } } : {}),
      };
    });
  }

  /**
   * The aggregate registry, built again only when a cluster's snapshot changed (each watcher
   * keeps its snapshot until its data changes), so an API polled often costs nothing more.
   */
  registry(): Registry {
    const snapshots = [...this.#members.values()].flatMap((m) => (m.watcher ? [m.watcher.snapshot()] : []));
    const cached = this.#registry;
    if (cached && cached.from.length === snapshots.length && cached.from.every((s, i) => s === snapshots[i])) return cached.registry;
    this.#build ??= registryBuilder({ ...(this.#opts.systemNamespace ? { systemNamespace: this.#opts.systemNamespace } : {}), ...this.#opts.registryOptions });
    const registry = this.#build(snapshots);
    this.#registry = { from: snapshots, registry };
    return registry;
  }

  /** Each watched cluster's snapshot, in registry order, with its sync state (what the MCS controller reads). */
  snapshots(): { snapshot: ClusterSnapshot; state: ClusterSyncState }[] {
    return [...this.#members.values()].flatMap((m) => (m.watcher ? [{ snapshot: m.watcher.snapshot(), state: m.watcher.state }] : []));
  }

  /** Remote-secret entries that could not become clusters (bad kubeconfig), and the ones istiod skips. */
  secretProblems(): { errors: RemoteSecretError[]; ignored: IgnoredEntry[]; watchError?: ClusterError } {
    return { errors: [...this.#secretErrors], ignored: [...this.#ignored], ...(this.#secretWatchError ? { watchError: this.#secretWatchError } : {}) };
  }

  /** Subscribe to changes (cluster added, removed, state or data changed). */
  onChange(listener: () => void): () => void {
    this.#changeListeners.push(listener);
    return () => (this.#changeListeners = this.#changeListeners.filter((l) => l !== listener));
  }

  /**
   * Resolves once the member list is known (secrets listed, or the primary timed out) and
   * every cluster is synced or timed out. Clusters added meanwhile are waited for too.
   */
  async settled(): Promise<void> {
    for (;;) {
      const local = this.#members.get(this.#localId)?.watcher;
      // Members are known once the secrets were listed; or never will be in time: the primary
      // timed out, or it answers but its secrets cannot be read (e.g. forbidden).
      const given = local === undefined || local.state === 'timeout' || local.state === 'closed' || (local.state === 'synced' && this.#secretWatchError !== undefined);
      const known = this.#secretsListed || given;
      const pending = [...this.#members.values()].flatMap((m) => (m.watcher && m.watcher.state === 'syncing' ? [m.watcher] : []));
      if (known && pending.length === 0) return;
      if (pending.length) await Promise.race(pending.map((w) => w.settled()));
      else await new Promise<void>((resolve) => { const off = this.onChange(() => { off(); resolve(); }); });
    }
  }

  async stop(): Promise<void> {
    this.#abort.abort();
    await this.#secretsLoop;
    await Promise.all([...this.#members.values()].map((m) => m.watcher?.stop()));
  }

  #notify(): void {
    this.#opts.onChange?.();
    for (const l of [...this.#changeListeners]) l();
  }

  #add(clusterId: string, source: ClusterSource, clients: MeshContext['clients'], member?: MemberCluster): KubeClients | undefined {
    const entry: Member = { clusterId, source, server: member?.server ?? '', ...(member ? { member, secret: member.secret } : {}) };
    this.#members.set(clusterId, entry);
    let made: KubeClients;
    try {
      made = typeof clients === 'function' ? clients() : clients;
    } catch (e) {
      const err = clusterErrorOf(e);
      entry.failed = { ...err, code: err.code === DISCOVERY_ERROR_CODES.watchFailed ? DISCOVERY_ERROR_CODES.clientFailed : err.code, message: `${clusterId}: cannot make a client: ${err.message}` };
      this.#notify();
      return undefined;
    }
    // Shown by discover and served by the API: a user:password in the kubeconfig's URL stays out.
    entry.server ||= redactUrl(made.server);
    const o = this.#opts;
    const tuning: WatchTuning = Object.fromEntries(TUNING.flatMap((k) => (o[k] !== undefined ? [[k, o[k]]] : [])));
    entry.watcher = new ClusterWatcher({ ...tuning, clusterId, source: (o.sourceFor ?? kubeWatchSource)(made), onChange: () => this.#notify(), ...(o.mcs ? { mcs: true } : {}) }).start();
    this.#notify();
    return made;
  }

  async #remove(clusterId: string): Promise<void> {
    const m = this.#members.get(clusterId);
    this.#members.delete(clusterId);
    await m?.watcher?.stop();
  }

  /** Secrets in the primary, as istiod's secret informer sees them: list, watch, re-list after errors. */
  #watchSecrets(clients: KubeClients): Promise<void> {
    const o = this.#opts;
    return reflect(
      (o.sourceFor ?? kubeWatchSource)(clients),
      secretsPath(o.systemNamespace ?? DEFAULT_SYSTEM_NAMESPACE),
      {
        onList: async (list) => {
          this.#secrets.clear();
          for (const s of list.items) this.#secrets.set(s.metadata.name, withKind(s, KINDS.secrets));
          this.#secretWatchError = undefined;
          await this.#reconcile();
          // Only now are the members known: settled() must not resolve before they were added.
          this.#secretsListed = true;
          this.#notify();
        },
        onEvent: (ev) => {
          if (ev.type === 'BOOKMARK' || !ev.object?.metadata) return;
          if (ev.type === 'DELETED') this.#secrets.delete(ev.object.metadata.name);
          else this.#secrets.set(ev.object.metadata.name, ev.object);
          void this.#reconcile();
        },
        onError: (e) => {
          // Member clusters stay as they are while the primary is away, as in istiod.
          this.#secretWatchError = clusterErrorOf(e);
          this.#notify();
        },
      },
      this.#abort.signal,
      reflectorOptions(o),
    );
  }

  #reconciling = Promise.resolve();

  /** Serialised: each read diffs against the result of the previous one. */
  #reconcile(): Promise<void> {
    this.#reconciling = this.#reconciling.then(() => this.#reconcileNow());
    return this.#reconciling;
  }

  async #reconcileNow(): Promise<void> {
    const m = this.#opts.members;
    if (m.from !== 'secrets' || this.#abort.signal.aborted) return;
    const previous = [...this.#members.values()].flatMap((x) => (x.member ? [x.member] : []));
    const read = readRemoteSecrets([...this.#secrets.values()], {
      localClusterId: this.#localId,
      previous,
      ...(this.#opts.systemNamespace ? { systemNamespace: this.#opts.systemNamespace } : {}),
    });
    this.#secretErrors = read.errors;
    this.#ignored = read.ignored;
    const diff = diffMemberClusters(previous, read.clusters);
    for (const c of diff.removed) await this.#remove(c.clusterId);
    for (const { after } of diff.changed) {
      await this.#remove(after.clusterId);
      this.#add(after.clusterId, 'secret', () => m.clientsFor(after), after);
    }
    for (const c of diff.added) this.#add(c.clusterId, 'secret', () => m.clientsFor(c), c);
    this.#notify();
  }
}
