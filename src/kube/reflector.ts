import type { KubeClients } from './client.js';
import { pingApiServer } from './health.js';
import { sleep as abortableSleep } from './timing.js';
import { listPath, watchPath, type ListResult, type WatchEvent } from './watch.js';

/** How a reflector reaches the API; `listWatchSource` is the real one, tests inject a fake. */
export interface ListWatchSource<T> {
  /** `signal` ends the request (its socket too) when the reflector stops. */
  list(path: string, signal?: AbortSignal): Promise<ListResult<T>>;
  /** `timeoutSeconds` asks the server to end the watch by then, as client-go's reflector does. */
  watch(path: string, resourceVersion: string, onEvent: (event: WatchEvent<T>) => void, signal: AbortSignal, opts?: { timeoutSeconds?: number }): Promise<string>;
  /** Resolves when the API server answers at all (any status); rejects when it cannot be reached. */
  probe?(timeoutMs: number): Promise<void>;
}

export const listWatchSource = <T>(clients: KubeClients): ListWatchSource<T> => ({
  list: (path, signal) => listPath<T>(clients, path, signal),
  watch: (path, rv, onEvent, signal, opts) => watchPath<T>(clients, path, rv, onEvent, signal, opts),
  probe: (timeoutMs) => pingApiServer(clients, timeoutMs),
});

export type Sleep = (ms: number, signal: AbortSignal) => Promise<void>;

/** Stopping must not wait for a list to time out (15 s), whether or not the source ends it on abort. */
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

/** 410 Gone: the watch's resourceVersion is too old; a new list is needed, nothing is wrong. */
export const isGone = (e: unknown): boolean => {
  const err = e as { reason?: unknown; status?: unknown } | undefined;
  return err?.status === 410 || err?.reason === 'conflict';
};

export interface ReflectorOptions {
  /** First backoff after an error; doubles up to maxBackoffMs. Default 250 ms. */
  initialBackoffMs?: number;
  /** Default 10 s. */
  maxBackoffMs?: number;
  sleep?: Sleep;
  /**
   * How long the server is asked to keep a watch open (timeoutSeconds); a watch still open
   * `deadWatchGraceMs` after that is taken for a dead connection and opened again. Default: 5 to
   * 10 minutes at random, as client-go's reflector asks.
   */
  watchTimeoutMs?: number;
  /** Default 15 s. */
  deadWatchGraceMs?: number;
  /** The connection's signal (a Heartbeat's): when it aborts, the open watch ends with its reason as the error. */
  connection?: () => AbortSignal;
}

export interface ReflectorHandlers<T> {
  /** A list succeeded: it replaces everything known. The watch starts after this resolves. */
  onList(list: ListResult<T>): void | Promise<void>;
  onEvent(event: WatchEvent<T>): void;
  /** A list or watch failed (not 410); the next list comes after `retryInMs`. */
  onError?(error: unknown, retryInMs: number): void;
}

/**
 * List, then watch from the list's version, until `signal` aborts. A watch the server ends is
 * opened again from the last version seen; 410 re-lists at once; any other error backs off
 * (doubling) and re-lists, since a watch that broke cannot be trusted to have delivered every
 * event. client-node's informer stops after most errors; this one never gives up.
 */
export async function reflect<T>(source: ListWatchSource<T>, path: string, handlers: ReflectorHandlers<T>, signal: AbortSignal, opts: ReflectorOptions = {}): Promise<void> {
  const sleep = opts.sleep ?? abortableSleep;
  const initial = opts.initialBackoffMs ?? 250;
  const max = opts.maxBackoffMs ?? 10_000;
  let backoff = initial;
  while (!signal.aborted) {
    try {
      const list = await untilAborted(source.list(path, signal), signal);
      if (!list) return;
      await handlers.onList(list);
      backoff = initial;
      let rv = list.resourceVersion;
      while (!signal.aborted) rv = await watchOnce(source, path, rv, handlers, signal, opts);
    } catch (e) {
      if (signal.aborted) return;
      if (isGone(e)) {
        // Our version is too old. What we hold is still good; re-list without reporting an error.
        await sleep(initial, signal);
        continue;
      }
      handlers.onError?.(e, backoff);
      await sleep(backoff, signal);
      backoff = Math.min(max, backoff * 2);
    }
  }
}

/** One watch request, ended by the server (normally after timeoutSeconds), by a dead connection or by the connection's signal. */
async function watchOnce<T>(source: ListWatchSource<T>, path: string, rv: string, handlers: ReflectorHandlers<T>, signal: AbortSignal, opts: ReflectorOptions): Promise<string> {
  const connection = opts.connection?.();
  const timeoutMs = opts.watchTimeoutMs ?? Math.round(300_000 * (1 + Math.random()));
  // Ends this watch on stop, on a dropped connection, or at the deadline. Not AbortSignal.any:
  // Node 20 may collect such a signal, and its listeners, while the watch still runs.
  const ended = new AbortController();
  const end = () => ended.abort();
  const sources = connection ? [signal, connection] : [signal];
  for (const s of sources) s.addEventListener('abort', end, { once: true });
  // The server should have ended it by now: the connection is dead. Watch again from rv.
  const deadline = setTimeout(end, timeoutMs + (opts.deadWatchGraceMs ?? 15_000));
  deadline.unref?.();
  try {
    if (sources.some((s) => s.aborted)) end();
    const next = await source.watch(path, rv, (ev) => handlers.onEvent(ev), ended.signal, { timeoutSeconds: Math.max(1, Math.round(timeoutMs / 1000)) });
    if (connection?.aborted && !signal.aborted) throw connection.reason;
    return next;
  } finally {
    clearTimeout(deadline);
    for (const s of sources) s.removeEventListener('abort', end);
  }
}

export interface HeartbeatOptions {
  /** Resolves when the API server answers at all. */
  probe(timeoutMs: number): Promise<void>;
  /** Probe when nothing was heard for this long; default 30 s. */
  quietMs?: number;
  /** Default 15 s. */
  probeTimeoutMs?: number;
  /** The error the open watches end with when the probe goes unanswered. */
  failure(why: unknown): Error;
  /** Whether to look at all (e.g. not once stopped). */
  active?(): boolean;
}

/**
 * Finds an API server that hangs with its connections open: when no watch of it has delivered
 * anything for `quietMs`, probe it; unanswered within `probeTimeoutMs`, the connection signal
 * aborts, so every reflector using it drops its watch and re-lists. client-go does the same
 * with HTTP/2 pings: ReadIdleTimeout 30 s, PingTimeout 15 s, the defaults here.
 */
export class Heartbeat {
  readonly #opts: HeartbeatOptions;
  #connection = new AbortController();
  #heardAt = Date.now();
  #timer: ReturnType<typeof setInterval> | undefined;
  #probing = false;

  constructor(opts: HeartbeatOptions) {
    this.#opts = opts;
  }

  /** The current connection's signal; a new one after each drop. */
  get signal(): AbortSignal {
    return this.#connection.signal;
  }

  /** Something arrived from the API server. */
  heard(): void {
    this.#heardAt = Date.now();
  }

  start(): this {
    const every = this.#opts.quietMs ?? 30_000;
    this.#timer = setInterval(() => void this.#check(), Math.max(5, Math.round(every / 4)));
    this.#timer.unref?.();
    return this;
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  async #check(): Promise<void> {
    const every = this.#opts.quietMs ?? 30_000;
    if (this.#probing || this.#opts.active?.() === false || Date.now() - this.#heardAt < every) return;
    this.#probing = true;
    const connection = this.#connection;
    const ms = this.#opts.probeTimeoutMs ?? 15_000;
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      const tooLate = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${ms < 1000 ? `${ms} ms` : `${ms / 1000} s`}`)), ms);
      });
      await Promise.race([this.#opts.probe(ms), tooLate]);
      this.#heardAt = Date.now();
    } catch (e) {
      if (this.#opts.active?.() === false || connection !== this.#connection) return;
      this.#connection = new AbortController();
      connection.abort(this.#opts.failure(e));
    } finally {
      clearTimeout(timer);
      this.#probing = false;
    }
  }
}
