import { applyObject, applyStatus, deleteObject, type KubeClients, type KubeObject } from '../kube/index.js';
import { IMPORT_LABELS, SERVICE_EXPORT, SERVICE_IMPORT, mcsObjectPath } from '../mcs/index.js';
import { clusterErrorOf } from './errors.js';
import { importStatus, mcsState, serviceImportObject, withReady, type ExportCondition, type ImportPending, type McsState } from './mcs.js';
import type { ClusterError, ClusterSnapshot, ClusterSyncState } from './types.js';

/**
 * meshfed as the MCS controller (the part Istio leaves to "an MCS controller"): from the
 * ServiceExports and Services every cluster's watcher holds, it writes the ServiceImports into
 * every cluster and the conditions onto every ServiceExport, and removes the imports it wrote
 * that no export calls for any more. Reads come from the supervisor's watchers (one watcher per
 * cluster, no second one); writes go through the clients it is given, which may write
 * ServiceImports and ServiceExport status (the reader tokens of remote secrets may not).
 */

export interface McsSource {
  snapshots(): { snapshot: ClusterSnapshot; state: ClusterSyncState }[];
  onChange(listener: () => void): () => void;
}

export interface McsControllerOptions {
  source: McsSource;
  /** By cluster ID. A cluster without one is read but not written. */
  writers: ReadonlyMap<string, KubeClients>;
  /** Condition transition times; injected in tests. */
  now?: () => Date;
  /** Coalesces bursts of changes; default 50 ms. */
  debounceMs?: number;
  /** After a failed write, reconcile again this much later; default 1 s. */
  retryMs?: number;
}

export interface McsWriteError extends ClusterError {
  cluster: string;
  object: string;
}

export interface McsReport {
  /** False until every cluster has listed once: before that, a missing export may only be unlisted. */
  ready: boolean;
  state: McsState;
  /** What the last reconcile wrote or deleted, as `cluster: Kind ns/name`. */
  changed: string[];
  errors: McsWriteError[];
}

type Obj = Record<string, unknown>;

/** JSON with sorted keys: the API server returns a custom resource's fields in its own order. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object')
    return `{${Object.keys(v)
      .sort()
      .filter((k) => (v as Obj)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Obj)[k])}`)
      .join(',')}}`;
  return JSON.stringify(v);
}

const keyOf = (o: { metadata: { namespace?: string; name: string } }) => `${o.metadata.namespace ?? ''}/${o.metadata.name}`;
const ours = (o: KubeObject) => o.metadata.labels?.['app.kubernetes.io/managed-by'] === IMPORT_LABELS['app.kubernetes.io/managed-by'];

interface StoredCondition extends ExportCondition {
  lastTransitionTime?: string;
  observedGeneration?: number;
}

export class McsController {
  readonly #opts: McsControllerOptions;
  #off: (() => void) | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #running: Promise<McsReport> | undefined;
  #again = false;
  #stopped = false;
  #synced = new Set<string>();
  #last: McsReport = { ready: false, state: { imports: [], exports: [] }, changed: [], errors: [] };

  constructor(opts: McsControllerOptions) {
    this.#opts = opts;
  }

  start(): this {
    this.#off = this.#opts.source.onChange(() => this.#schedule(this.#opts.debounceMs ?? 50));
    this.#schedule(0);
    return this;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#off?.();
    clearTimeout(this.#timer);
    await this.#running?.catch(() => undefined);
  }

  /** The last reconcile's outcome (what the API and tests show). */
  report(): McsReport {
    return this.#last;
  }

  /** Reconciles now (serialised with the scheduled runs); resolves with what it did. */
  reconcile(): Promise<McsReport> {
    if (this.#running) {
      this.#again = true;
      return this.#running;
    }
    this.#running = this.#reconcileNow().finally(() => {
      this.#running = undefined;
      if (this.#again && !this.#stopped) {
        this.#again = false;
        this.#schedule(0);
      }
    });
    return this.#running;
  }

  #schedule(ms: number): void {
    if (this.#stopped) return;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => void this.reconcile(), ms);
    this.#timer.unref?.();
  }

  async #reconcileNow(): Promise<McsReport> {
    const clusters = this.#opts.source.snapshots();
    for (const c of clusters) if (c.state === 'synced') this.#synced.add(c.snapshot.clusterId);
    const snapshots = clusters.map((c) => c.snapshot);
    const state = mcsState(snapshots);
    const ready = clusters.length > 0 && clusters.every((c) => this.#synced.has(c.snapshot.clusterId));
    const changed: string[] = [];
    const errors: McsWriteError[] = [];
    if (ready && !this.#stopped) {
      // Imports first, so each export's Ready condition can say where its import is missing.
      const pending = new Map<string, ImportPending[]>();
      const missing = (key: string, p: ImportPending) => pending.set(key, [...(pending.get(key) ?? []), p]);
      await Promise.all(snapshots.map((s) => this.#reconcileImports(s, state, changed, errors, missing)));
      const ids = snapshots.map((s) => s.clusterId);
      await Promise.all(snapshots.map((s) => this.#reconcileExports(s, state, changed, errors, (key) => pending.get(key) ?? [], ids)));
    }
    this.#last = { ready, state, changed: changed.sort(), errors };
    if (errors.length) this.#schedule(this.#opts.retryMs ?? 1_000);
    return this.#last;
  }

  #attempt(cluster: string, changed: string[], errors: McsWriteError[]) {
    return async (object: string, write: () => Promise<unknown>): Promise<McsWriteError | undefined> => {
      try {
        await write();
        changed.push(`${cluster}: ${object}`);
        return undefined;
      } catch (e) {
        const error = { ...clusterErrorOf(e), cluster, object };
        errors.push(error);
        return error;
      }
    };
  }

  async #reconcileImports(s: ClusterSnapshot, state: McsState, changed: string[], errors: McsWriteError[], missing: (key: string, p: ImportPending) => void): Promise<void> {
    const k = this.#opts.writers.get(s.clusterId);
    if (!k) {
      for (const plan of state.imports) missing(`${plan.namespace}/${plan.name}`, { cluster: s.clusterId, why: 'meshfed has no credentials to write there' });
      return;
    }
    const attempt = this.#attempt(s.clusterId, changed, errors);
    const existing = new Map((s.serviceImports ?? []).map((o) => [keyOf(o), o]));
    const wanted = new Set<string>();
    for (const plan of state.imports) {
      const obj = serviceImportObject(plan, s.clusterId);
      const key = keyOf(obj);
      wanted.add(key);
      const have = existing.get(key);
      const name = `ServiceImport ${key}`;
      const failed = (e: McsWriteError | undefined) => {
        if (e) missing(key, { cluster: s.clusterId, why: `writing it failed: ${e.message}` });
      };
      if (!have || !ours(have) || canonical(have['spec']) !== canonical(obj['spec'])) failed(await attempt(name, () => applyObject(k, obj)));
      const status = importStatus(plan);
      if (canonical((have?.['status'] as Obj | undefined)?.['clusters'] ?? []) !== canonical(status.clusters))
        failed(await attempt(`${name} status`, () => applyStatus(k, mcsObjectPath(SERVICE_IMPORT, plan.namespace, plan.name), { apiVersion: obj.apiVersion, kind: obj.kind, metadata: { name: plan.name, namespace: plan.namespace }, status })));
    }
    for (const [key, have] of existing)
      if (!wanted.has(key) && ours(have))
        await attempt(`ServiceImport ${key} (deleted)`, () => deleteObject(k, { apiVersion: SERVICE_IMPORT.apiVersion, kind: SERVICE_IMPORT.kind, name: have.metadata.name, namespace: have.metadata.namespace ?? '' }));
  }

  async #reconcileExports(s: ClusterSnapshot, state: McsState, changed: string[], errors: McsWriteError[], pendingOf: (key: string) => ImportPending[], clusters: string[]): Promise<void> {
    const k = this.#opts.writers.get(s.clusterId);
    if (!k) return;
    const attempt = this.#attempt(s.clusterId, changed, errors);
    const exports = new Map((s.serviceExports ?? []).map((o) => [keyOf(o), o]));
    for (const st of state.exports) {
      if (st.cluster !== s.clusterId) continue;
      const key = `${st.namespace}/${st.name}`;
      const exp = exports.get(key);
      if (!exp) continue;
      const conditions = this.#conditions(exp, withReady(st, pendingOf(key), clusters));
      const had = ((exp['status'] as Obj | undefined)?.['conditions'] ?? []) as StoredCondition[];
      if (canonical(had) === canonical(conditions)) continue;
      await attempt(`ServiceExport ${key} conditions`, () =>
        applyStatus(k, mcsObjectPath(SERVICE_EXPORT, st.namespace, st.name), { apiVersion: SERVICE_EXPORT.apiVersion, kind: SERVICE_EXPORT.kind, metadata: { name: st.name, namespace: st.namespace }, status: { conditions } }),
      );
    }
  }

  /** Conditions as stored: a condition whose status did not change keeps its transition time. */
  #conditions(exp: KubeObject, wanted: ExportCondition[]): StoredCondition[] {
    const had = new Map((((exp['status'] as Obj | undefined)?.['conditions'] ?? []) as StoredCondition[]).map((c) => [c.type, c]));
    const now = (this.#opts.now ?? (() => new Date()))();
    // metav1.Time has whole seconds.
    const at = new Date(Math.floor(now.getTime() / 1000) * 1000).toISOString().replace('.000Z', 'Z');
    const generation = typeof exp.metadata.generation === 'number' ? { observedGeneration: exp.metadata.generation } : {};
    return wanted.map((c) => {
      const before = had.get(c.type);
      return { type: c.type, status: c.status, reason: c.reason, message: c.message, lastTransitionTime: before && before.status === c.status && before.lastTransitionTime ? before.lastTransitionTime : at, ...generation };
    });
  }
}
