import { slim } from './slim.js';
import { listPath, pingApiServer, watchPath, type KubeClients, type KubeObject, type ListResult, type WatchEvent } from '../kube/index.js';
import { DISCOVERY_ERROR_CODES, WatchError, clusterErrorOf } from './errors.js';
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

export type WatchedResource = keyof typeof WATCHED_RESOURCES;

/** List items carry no kind or apiVersion (only the list does); watch events do. Restore them so both look alike. */
export const KINDS: Record<WatchedResource | 'secrets', { apiVersion: string; kind: string }> = {
  services: { apiVersion: 'v1', kind: 'Service' },
  endpointSlices: { apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice' },
  pods: { apiVersion: 'v1', kind: 'Pod' },
  namespaces: { apiVersion: 'v1', kind: 'Namespace' },
  secrets: { apiVersion: 'v1', kind: 'Secret' },
};

export const withKind = (o: KubeObject, k: { apiVersion: string; kind: string }): KubeObject => (o.kind ? o : { ...o, ...k });

/** How a watcher reaches the API; the default is src/kube's listPath/watchPath. Tests inject a fake. */
export interface WatchSource {
  /** `signal` ends the request (its socket too) when the watcher stops. */
  list(path: string, signal?: AbortSignal): Promise<ListResult<KubeObject>>;
  /** `timeoutSeconds` asks the server to end the watch by then, as client-go's reflector does. */
  watch(path: string, resourceVersion: string, onEvent: (event: WatchEvent<KubeObject>) => void, signal: AbortSignal, opts?: { timeoutSeconds?: number }): Promise<string>;
  /** Resolves when the API server answers at all (any status); rejects when it cannot be reached. */
  probe?(timeoutMs: number): Promise<void>;
}

export const kubeWatchSource = (clients: KubeClients): WatchSource => ({
  list: (path, signal) => listPath<KubeObject>(clients, path, signal),
  watch: (path, rv, onEvent, signal, opts) => watchPath<KubeObject>(clients, path, rv, onEvent, signal, opts),
  probe: (timeoutMs) => pingApiServer(clients, timeoutMs),
});

export type Sleep = (ms: number, signal: AbortSignal) => Promise<void>;

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
}

export interface ClusterWatchStatus {
  clusterId: string;
  state: ClusterSyncState;
  lastError?: ClusterError;
}

export const realSleep: Sleep = (ms, signal) =>
  new Promise<void>((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });

/** stop() must not wait for a list to time out (15 s), whether or not the source ends it on abort. */
export function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T | undefined> {
  if (signal.aborted) return Promise.resolve(undefined);
  return new Promise<T | undefined>((resolve, reject) => {
    const onAbort = () => resolve(undefined);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (v) => (signal.removeEventListener('abort', onAbort), resolve(signal.aborted ? undefined : v)),
      (e: unknown) => (signal.removeEventListener('abort', onAbort), reject(e)),
    );
  });
}

const keyOf = (o: KubeObject) => `${o.metadata.namespace ?? ''}/${o.metadata.name}`;
const isGone = (e: unknown) => {
  const err = e as { reason?: unknown; status?: unknown };
  return err?.status === 410 || err?.reason === 'conflict';
};

export class ClusterWatcher {
  readonly clusterId: string;
  readonly #source: WatchSource;
  readonly #opts: ClusterWatcherOptions;
  readonly #abort = new AbortController();
  readonly #objects = new Map<WatchedResource, Map<string, KubeObject>>();
  /** Resources whose latest list succeeded and whose watch has not failed since. */
  readonly #synced = new Set<WatchedResource>();
  #state: ClusterSyncState = 'syncing';
  #lastError: ClusterError | undefined;
  #deadline: ReturnType<typeof setTimeout> | undefined;
  #debounce: ReturnType<typeof setTimeout> | undefined;
  #snapshot: ClusterSnapshot | undefined;
  /** Each resource's objects as an array, kept until that resource changes: the registry builder reuses what it derived from an unchanged array. */
  readonly #arrays = new Map<WatchedResource, KubeObject[]>();
  #loops: Promise<void>[] = [];
  #waiters: (() => void)[] = [];
  /** Aborted when the API server stops answering: every open watch of this connection ends. */
  #connection = new AbortController();
  /** When any list or watch of this cluster last delivered something (events and bookmarks alike). */
  #heardAt = Date.now();
  #heartbeat: ReturnType<typeof setInterval> | undefined;
  #probing = false;

  constructor(opts: ClusterWatcherOptions) {
    if (!opts.source && !opts.clients) throw new TypeError('ClusterWatcher needs clients or a source');
    this.clusterId = opts.clusterId;
    this.#opts = opts;
    this.#source = opts.source ?? kubeWatchSource(opts.clients!);
    for (const r of Object.keys(WATCHED_RESOURCES) as WatchedResource[]) this.#objects.set(r, new Map());
  }

  start(): this {
    this.#armDeadline();
    const every = this.#opts.heartbeatMs ?? 30_000;
    this.#heartbeat = setInterval(() => void this.#checkHeartbeat(), Math.max(5, Math.round(every / 4)));
    this.#heartbeat.unref?.();
    this.#loops = (Object.keys(WATCHED_RESOURCES) as WatchedResource[]).map((r) => this.#run(r));
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
    clearInterval(this.#heartbeat);
    clearTimeout(this.#deadline);
    clearTimeout(this.#debounce);
    this.#setState('closed');
    await Promise.allSettled(this.#loops);
  }

  async #run(resource: WatchedResource): Promise<void> {
    const path = WATCHED_RESOURCES[resource];
    const signal = this.#abort.signal;
    const sleep = this.#opts.sleep ?? realSleep;
    const initial = this.#opts.initialBackoffMs ?? 250;
    const max = this.#opts.maxBackoffMs ?? 10_000;
    let backoff = initial;
    while (!signal.aborted) {
      try {
        const list = await untilAborted(this.#source.list(path, signal), signal);
        if (!list) return;
        this.#objects.set(resource, new Map(list.items.map((o) => [keyOf(o), slim(withKind(o, KINDS[resource]))])));
        this.#arrays.delete(resource);
        this.#synced.add(resource);
        this.#heardAt = Date.now();
        backoff = initial;
        this.#changed();
        let rv = list.resourceVersion;
        while (!signal.aborted) rv = await this.#watchOnce(resource, path, rv);
      } catch (e) {
        if (signal.aborted) return;
        if (isGone(e)) {
          // 410: our version is too old. The data is still good; re-list without losing sync.
          await sleep(initial, signal);
          continue;
        }
        this.#lastError = clusterErrorOf(e);
        if (this.#synced.delete(resource)) this.#lostSync();
        this.#changed();
        await sleep(backoff, signal);
        backoff = Math.min(max, backoff * 2);
      }
    }
  }

  /** One watch request, ended by the server (normally after timeoutSeconds), by a dead connection or by a hung API server. */
  async #watchOnce(resource: WatchedResource, path: string, rv: string): Promise<string> {
    const connection = this.#connection.signal;
    const timeoutMs = this.#opts.watchTimeoutMs ?? Math.round(300_000 * (1 + Math.random()));
    // Ends this watch on stop(), on a hung server, or at the deadline. Not AbortSignal.any:
    // Node 20 may collect such a signal, and its listeners, while the watch still runs.
    const ended = new AbortController();
    const end = () => ended.abort();
    const sources = [this.#abort.signal, connection];
    for (const s of sources) s.addEventListener('abort', end, { once: true });
    // The server should have ended it by now: the connection is dead. Watch again from rv.
    const deadline = setTimeout(end, timeoutMs + (this.#opts.probeTimeoutMs ?? 15_000));
    deadline.unref?.();
    try {
      if (sources.some((s) => s.aborted)) end();
      const next = await this.#source.watch(path, rv, (ev) => this.#apply(resource, ev), ended.signal, { timeoutSeconds: Math.max(1, Math.round(timeoutMs / 1000)) });
      if (connection.aborted && !this.#abort.signal.aborted) throw connection.reason;
      return next;
    } finally {
      clearTimeout(deadline);
      for (const s of sources) s.removeEventListener('abort', end);
    }
  }

  /** Quiet watches: is the API server still there? If not, drop every watch so each re-lists. */
  async #checkHeartbeat(): Promise<void> {
    const every = this.#opts.heartbeatMs ?? 30_000;
    if (this.#probing || this.#state === 'closed' || !this.#source.probe || Date.now() - this.#heardAt < every) return;
    this.#probing = true;
    const connection = this.#connection;
    const ms = this.#opts.probeTimeoutMs ?? 15_000;
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      const tooLate = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${ms < 1000 ? `${ms} ms` : `${ms / 1000} s`}`)), ms);
      });
      await Promise.race([this.#source.probe(ms), tooLate]);
      this.#heardAt = Date.now();
    } catch (e) {
      if (this.state === 'closed' || connection !== this.#connection) return;
      const why = clusterErrorOf(e).message;
      const failure = new WatchError({
        reason: 'unresponsive',
        cluster: this.clusterId,
        cause: e,
        message: `${this.clusterId}: the API server's watches went quiet and it did not answer a probe of /readyz (${why})`,
        hint: 'the API server or the network to it hangs; check its process and load. Watches are re-listed when it answers again',
      });
      this.#connection = new AbortController();
      connection.abort(failure);
    } finally {
      clearTimeout(timer);
      this.#probing = false;
    }
  }

  #apply(resource: WatchedResource, ev: WatchEvent<KubeObject>): void {
    this.#heardAt = Date.now();
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
    if (this.#state !== 'closed' && this.#synced.size === Object.keys(WATCHED_RESOURCES).length && this.#state !== 'synced') {
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
