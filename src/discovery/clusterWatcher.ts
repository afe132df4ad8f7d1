import { setMaxListeners } from 'node:events';
import { slim } from './slim.js';
import { Heartbeat, listWatchSource, reflect, type KubeClients, type KubeObject, type ListWatchSource, type ReflectorOptions, type Sleep, type WatchEvent } from '../kube/index.js';
import { DISCOVERY_ERROR_CODES, WatchError, clusterErrorOf } from './errors.js';
import { MCS_PATHS, SERVICE_EXPORT, SERVICE_IMPORT } from '../mcs/index.js';
import type { ClusterError, ClusterSnapshot, ClusterSyncState } from './types.js';

/**
 * One member cluster's informers (istiod's kube controller for that cluster): list, then
 * watch, per resource, into a live ClusterSnapshot. client-node's informer gives up after
 * some errors, so this loop owns restarts: after any error it backs off and re-lists, since a
 * watch that broke cannot be trusted to have delivered every event.
 */
export const WATCHED_RESOURCES = {
  services: '/api/v1/services',
  endpointSlices: '/apis/discovery.k8s.io/v1/endpointslices',
  pods: '/api/v1/pods',
  namespaces: '/api/v1/namespaces',
} as const;

/**
 * Watched as well in MCS discovery mode (the CRDs are installed there): the ServiceExports the
 * MCS controller reads and the ServiceImports it compares with what it would write.
 */
export const MCS_WATCHED_RESOURCES = {
  serviceExports: MCS_PATHS.serviceExports,
  serviceImports: MCS_PATHS.serviceImports,
} as const;

export type WatchedResource = keyof typeof WATCHED_RESOURCES | keyof typeof MCS_WATCHED_RESOURCES;
const ALL_PATHS: Record<WatchedResource, string> = { ...WATCHED_RESOURCES, ...MCS_WATCHED_RESOURCES };

/** List items carry no kind or apiVersion (only the list does); watch events do. Restore them so both look alike. */
export const KINDS: Record<WatchedResource | 'secrets', { apiVersion: string; kind: string }> = {
  services: { apiVersion: 'v1', kind: 'Service' },
  endpointSlices: { apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice' },
  pods: { apiVersion: 'v1', kind: 'Pod' },
  namespaces: { apiVersion: 'v1', kind: 'Namespace' },
  serviceExports: { apiVersion: SERVICE_EXPORT.apiVersion, kind: SERVICE_EXPORT.kind },
  serviceImports: { apiVersion: SERVICE_IMPORT.apiVersion, kind: SERVICE_IMPORT.kind },
  secrets: { apiVersion: 'v1', kind: 'Secret' },
};

export const withKind = (o: KubeObject, k: { apiVersion: string; kind: string }): KubeObject => (o.kind ? o : { ...o, ...k });

/** How a watcher reaches the API; the default is src/kube's listPath/watchPath. Tests inject a fake. */
export type WatchSource = ListWatchSource<KubeObject>;

export const kubeWatchSource = (clients: KubeClients): WatchSource => listWatchSource<KubeObject>(clients);

export type { Sleep };

export interface WatchTuning {
  /** Deadline for (re)gaining sync before the state turns `timeout`; default 30 s (istiod's remote cluster sync timeout). */
  syncTimeoutMs?: number;
  /** First backoff after an error; doubles up to maxBackoffMs. Default 250 ms. */
  initialBackoffMs?: number;
  /** Default 10 s. */
  maxBackoffMs?: number;
  sleep?: Sleep;
  /** Coalesces change callbacks; 0 calls at once. Default 50 ms. */
  debounceMs?: number;
  /**
   * When no watch of the cluster has delivered anything for this long, probe the API server;
   * if it does not answer within probeTimeoutMs, every watch is dropped and re-listed (an
   * API server that hangs keeps its connections open). client-go does the same with HTTP/2
   * pings: ReadIdleTimeout 30 s, PingTimeout 15 s, the defaults here.
   */
  heartbeatMs?: number;
  probeTimeoutMs?: number;
  /**
   * How long the server is asked to keep a watch open (timeoutSeconds); a watch still open
   * probeTimeoutMs after that is taken for a dead connection and opened again. Default: 5 to
   * 10 minutes at random, as client-go's reflector asks.
   */
  watchTimeoutMs?: number;
}

export interface ClusterWatcherOptions extends WatchTuning {
  clusterId: string;
  /** Made by the caller (src/discovery does not build clients). Ignored when `source` is given. */
  clients?: KubeClients;
  source?: WatchSource;
  onChange?: () => void;
  /** Also watch ServiceExports and ServiceImports (services.discovery: mcs); their CRDs must be installed. */
  mcs?: boolean;
}

export interface ClusterWatchStatus {
  clusterId: string;
  state: ClusterSyncState;
  lastError?: ClusterError;
}

/** The reflector's share of the tuning (a watch still open probeTimeoutMs after its timeout is dead). */
export function reflectorOptions(t: WatchTuning): ReflectorOptions {
  return {
    ...(t.sleep ? { sleep: t.sleep } : {}),
    ...(t.initialBackoffMs !== undefined ? { initialBackoffMs: t.initialBackoffMs } : {}),
    ...(t.maxBackoffMs !== undefined ? { maxBackoffMs: t.maxBackoffMs } : {}),
    ...(t.watchTimeoutMs !== undefined ? { watchTimeoutMs: t.watchTimeoutMs } : {}),
    ...(t.probeTimeoutMs !== undefined ? { deadWatchGraceMs: t.probeTimeoutMs } : {}),
  };
}

const keyOf = (o: KubeObject) => `${o.metadata.namespace ?? ''}/${o.metadata.name}`;

export class ClusterWatcher {
  readonly clusterId: string;
  readonly #source: WatchSource;
  readonly #opts: ClusterWatcherOptions;
  readonly #abort = new AbortController();
  readonly #objects = new Map<WatchedResource, Map<string, KubeObject>>();
  /** Resources whose latest list succeeded and whose watch has not failed since. */
  readonly #synced = new Set<WatchedResource>();
  readonly #resources: WatchedResource[];
  #state: ClusterSyncState = 'syncing';
  #lastError: ClusterError | undefined;
  #deadline: ReturnType<typeof setTimeout> | undefined;
  #debounce: ReturnType<typeof setTimeout> | undefined;
  #snapshot: ClusterSnapshot | undefined;
  /** Each resource's objects as an array, kept until that resource changes: the registry builder reuses what it derived from an unchanged array. */
  readonly #arrays = new Map<WatchedResource, KubeObject[]>();
  #loops: Promise<void>[] = [];
  #waiters: (() => void)[] = [];
  /** Drops every watch of this cluster when its API server goes quiet and does not answer a probe. */
  #heartbeat: Heartbeat | undefined;

  constructor(opts: ClusterWatcherOptions) {
    if (!opts.source && !opts.clients) throw new TypeError('ClusterWatcher needs clients or a source');
    this.clusterId = opts.clusterId;
    this.#opts = opts;
    this.#source = opts.source ?? kubeWatchSource(opts.clients!);
    this.#resources = [...(Object.keys(WATCHED_RESOURCES) as WatchedResource[]), ...(opts.mcs ? (Object.keys(MCS_WATCHED_RESOURCES) as WatchedResource[]) : [])];
    for (const r of this.#resources) this.#objects.set(r, new Map());
    // Every reflector of the cluster listens on this signal (six of them in MCS mode, two listeners each).
    setMaxListeners(4 * this.#resources.length, this.#abort.signal);
  }

  start(): this {
    this.#armDeadline();
    const source = this.#source;
    if (source.probe)
      this.#heartbeat = new Heartbeat({
        probe: (ms) => source.probe!(ms),
        quietMs: this.#opts.heartbeatMs ?? 30_000,
        probeTimeoutMs: this.#opts.probeTimeoutMs ?? 15_000,
        active: () => this.#state !== 'closed',
        failure: (e) =>
          new WatchError({
            reason: 'unresponsive',
            cluster: this.clusterId,
            cause: e,
            message: `${this.clusterId}: the API server's watches went quiet and it did not answer a probe of /readyz (${clusterErrorOf(e).message})`,
            hint: 'the API server or the network to it hangs; check its process and load. Watches are re-listed when it answers again',
          }),
      }).start();
    this.#loops = this.#resources.map((r) => this.#run(r));
    return this;
  }

  get state(): ClusterSyncState {
    return this.#state;
  }

  status(): ClusterWatchStatus {
    return { clusterId: this.clusterId, state: this.#state, ...(this.#lastError ? { lastError: { ...this.#lastError } } : {}) };
  }

  /** What the informers hold now; kept from the last sync while the cluster is away, as istiod does. */
  snapshot(): ClusterSnapshot {
    this.#snapshot ??= {
      clusterId: this.clusterId,
      services: this.#array('services'),
      endpointSlices: this.#array('endpointSlices'),
      pods: this.#array('pods'),
      namespaces: this.#array('namespaces'),
      ...(this.#opts.mcs ? { serviceExports: this.#array('serviceExports'), serviceImports: this.#array('serviceImports') } : {}),
    };
    return this.#snapshot;
  }

  #array(resource: WatchedResource): KubeObject[] {
    let a = this.#arrays.get(resource);
    if (!a) this.#arrays.set(resource, (a = [...this.#objects.get(resource)!.values()]));
    return a;
  }

  /** Resolves once the state is `synced`, `timeout` or `closed` (what a one-shot command waits for). */
  settled(): Promise<void> {
    if (this.#state !== 'syncing') return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  async stop(): Promise<void> {
    if (this.#state === 'closed') return;
    this.#abort.abort();
    this.#heartbeat?.stop();
    clearTimeout(this.#deadline);
    clearTimeout(this.#debounce);
    this.#setState('closed');
    await Promise.allSettled(this.#loops);
  }

  #run(resource: WatchedResource): Promise<void> {
    const heartbeat = this.#heartbeat;
    return reflect(
      this.#source,
      ALL_PATHS[resource],
      {
        onList: (list) => {
          this.#objects.set(resource, new Map(list.items.map((o) => [keyOf(o), slim(withKind(o, KINDS[resource]))])));
          this.#arrays.delete(resource);
          this.#synced.add(resource);
          heartbeat?.heard();
          this.#changed();
        },
        onEvent: (ev) => this.#apply(resource, ev),
        onError: (e) => {
          this.#lastError = clusterErrorOf(e);
          if (this.#synced.delete(resource)) this.#lostSync();
          this.#changed();
        },
      },
      this.#abort.signal,
      { ...reflectorOptions(this.#opts), ...(heartbeat ? { connection: () => heartbeat.signal } : {}) },
    );
  }

  #apply(resource: WatchedResource, ev: WatchEvent<KubeObject>): void {
    this.#heartbeat?.heard();
    if (ev.type === 'BOOKMARK' || !ev.object?.metadata) return;
    const objects = this.#objects.get(resource)!;
    if (ev.type === 'DELETED') objects.delete(keyOf(ev.object));
    else objects.set(keyOf(ev.object), slim(ev.object));
    this.#arrays.delete(resource);
    this.#changed();
  }

  /** Sync lost after an error: syncing again, with a fresh deadline. */
  #lostSync(): void {
    if (this.#state === 'synced') {
      this.#setState('syncing');
      this.#armDeadline();
    }
  }

  #armDeadline(): void {
    clearTimeout(this.#deadline);
    const ms = this.#opts.syncTimeoutMs ?? 30_000;
    this.#deadline = setTimeout(() => {
      if (this.#state !== 'syncing') return;
      // Keep the error that explains the timeout (unreachable, unauthorized...) when there is one.
      this.#lastError ??= {
        code: DISCOVERY_ERROR_CODES.syncTimeout,
        cause: 'syncTimeout',
        message: `${this.clusterId}: not synced within ${Math.round(ms / 1000)} s`,
        hint: 'the API server answers slowly or some resource cannot be listed; check its health',
      };
      this.#setState('timeout');
      this.#changed();
    }, ms);
    this.#deadline.unref?.();
  }

  #changed(): void {
    this.#snapshot = undefined;
    if (this.#state !== 'closed' && this.#synced.size === this.#resources.length && this.#state !== 'synced') {
      clearTimeout(this.#deadline);
      this.#lastError = undefined;
      this.#setState('synced');
    }
    if (this.#state === 'closed' || !this.#opts.onChange) return;
    const wait = this.#opts.debounceMs ?? 50;
    if (wait === 0) return this.#opts.onChange();
    this.#debounce ??= setTimeout(() => {
      this.#debounce = undefined;
      if (this.#state !== 'closed') this.#opts.onChange?.();
    }, wait);
  }

  #setState(state: ClusterSyncState): void {
    this.#state = state;
    if (state === 'syncing') return;
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w();
  }
}
