import type { WatchSource } from '../../src/discovery/index.js';
import { KubeError, type KubeObject, type ListResult, type WatchEvent } from '../../src/kube/index.js';

interface OpenWatch {
  path: string;
  onEvent: (e: WatchEvent<KubeObject>) => void;
  end: (err?: unknown) => void;
}

/**
 * A stand-in for one API server, per collection path: lists what it holds, streams events to
 * open watches, and can fail lists, break watches or "go away" (every call refused).
 */
export class FakeApi implements WatchSource {
  readonly objects = new Map<string, KubeObject[]>();
  readonly listCalls: string[] = [];
  /** Lists that answered with data. */
  listed = 0;
  down = false;
  /** Lists of these paths never answer (a hanging API). */
  readonly hang = new Set<string>();
  /** Lists of these paths answer after this many ms. */
  readonly delay = new Map<string, number>();
  /** Calls to watch(), with the options each asked for. */
  readonly watchCalls: { path: string; resourceVersion: string; timeoutSeconds?: number }[] = [];
  probes = 0;
  #rv = 1;
  #watches: OpenWatch[] = [];
  /** Set while stalled: like a stopped process, connections stay open and nothing answers until resume(). */
  #stalled: { resumed: Promise<void>; resume: () => void } | undefined;

  constructor(readonly name = 'fake') {}

  static refused(cluster: string, path: string): KubeError {
    return new KubeError({ reason: 'unreachable', message: `${cluster}: ${path}: ECONNREFUSED`, hint: 'check that the API server is running', cluster, resource: path });
  }

  async list(path: string): Promise<ListResult<KubeObject>> {
    this.listCalls.push(path);
    await new Promise((r) => setTimeout(r, this.delay.get(path) ?? 0));
    if (this.hang.has(path)) return new Promise(() => {});
    await this.#stalled?.resumed;
    if (this.down) throw FakeApi.refused(this.name, path);
    this.listed++;
    // Like the API server: list items carry no kind or apiVersion.
    const items = (this.objects.get(path) ?? []).map(({ kind: _k, apiVersion: _a, ...rest }) => rest as KubeObject);
    return { items, resourceVersion: String(this.#rv) };
  }

  watch(path: string, rv: string, onEvent: (e: WatchEvent<KubeObject>) => void, signal: AbortSignal, opts: { timeoutSeconds?: number } = {}): Promise<string> {
    this.watchCalls.push({ path, resourceVersion: rv, ...opts });
    if (this.down) return Promise.reject(FakeApi.refused(this.name, path));
    return new Promise((resolve, reject) => {
      const w: OpenWatch = {
        path,
        onEvent,
        end: (err) => {
          this.#watches = this.#watches.filter((x) => x !== w);
          if (err) reject(err);
          else resolve(String(this.#rv));
        },
      };
      this.#watches.push(w);
      signal.addEventListener('abort', () => w.end(), { once: true });
    });
  }

  async probe(_timeoutMs: number): Promise<void> {
    this.probes++;
    await this.#stalled?.resumed;
    if (this.down) throw FakeApi.refused(this.name, '/readyz');
  }

  /** The API server hangs (SIGSTOP): open watches stay open and silent, lists and probes wait. */
  stall(): void {
    let resume = () => {};
    const resumed = new Promise<void>((r) => (resume = r));
    this.#stalled = { resumed, resume };
  }

  resume(): void {
    this.#stalled?.resume();
    this.#stalled = undefined;
  }

  /** Changes the collection and tells open watches, as the API server would. */
  emit(path: string, type: 'ADDED' | 'MODIFIED' | 'DELETED', object: KubeObject): void {
    this.#rv++;
    const key = (o: KubeObject) => `${o.metadata.namespace}/${o.metadata.name}`;
    const rest = (this.objects.get(path) ?? []).filter((o) => key(o) !== key(object));
    this.objects.set(path, type === 'DELETED' ? rest : [...rest, object]);
    if (this.#stalled) return;
    for (const w of this.#watches.filter((x) => x.path === path)) w.onEvent({ type, object });
  }

  /** Ends every open watch of `path` (all when omitted) with `err`, or normally. */
  breakWatches(err?: unknown, path?: string): void {
    for (const w of this.#watches.filter((x) => !path || x.path === path)) w.end(err);
  }

  goDown(): void {
    this.down = true;
    this.breakWatches(FakeApi.refused(this.name, 'watch'));
  }

  openWatches(path?: string): number {
    return this.#watches.filter((w) => !path || w.path === path).length;
  }
}

/** Polls until `check` holds (unit tests use real, short timers). */
export async function until(what: string, check: () => boolean, timeoutMs = 2_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}
