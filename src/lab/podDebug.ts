/**
 * The imperative half of kwokDebug.ts: the pod runner calls `podAttached` once a pod's
 * network namespace exists and `podDetached` once it is gone, and this writes (or deletes)
 * the pod's kwok Exec and Logs objects, and makes its (empty) log files.
 */
import { mkdirSync, closeSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import { applyObject, deleteObject, type KubeClients } from '../kube/index.js';
import type { PodLike } from './images.js';
import { KWOK_API_VERSION, debugPodOf, kwokExecObject, kwokLogsObject, type ContainerExecContext } from './kwokDebug.js';
import { podLogPath } from './podFiles.js';

export interface PodDebugOps {
  /**
   * The pod's namespace `netns` now exists: `kubectl exec` enters it, `kubectl logs` reads its
   * files. Called again with `containers` (each container's env and working directory, once
   * known), it rewrites the Exec object with them.
   */
  podAttached(pod: PodLike, netns: string, containers?: Record<string, ContainerExecContext>): void;
  /** The pod no longer has a namespace: exec and logs answer as for any kwok fake. */
  podDetached(namespace: string, name: string): void;
}

export interface PodDebugOptions {
  cluster: string;
  clients: KubeClients;
  stateDir: string;
  log: (line: string) => void;
}

/**
 * Calls are queued per pod, so a pod that comes and goes quickly never ends with its objects
 * written after their deletion; failures are logged (the Pod owns the objects, so the garbage
 * collector removes what a failed delete left).
 */
export function kwokPodDebugOps(opts: PodDebugOptions): PodDebugOps & { idle(): Promise<void> } {
  const queues = new Map<string, Promise<void>>();
  const enqueue = (key: string, what: string, work: () => Promise<void>) => {
    const next = (queues.get(key) ?? Promise.resolve())
      .then(work)
      .catch((e: unknown) => opts.log(`${opts.cluster}: ${key}: ${what} failed: ${(e as Error).message}`));
    queues.set(key, next);
    void next.then(() => {
      if (queues.get(key) === next) queues.delete(key);
    });
  };
  return {
    podAttached(pod, netns, containers) {
      const debug = debugPodOf(pod);
      if (!debug) return;
      const key = `${debug.namespace}/${debug.name}`;
      enqueue(key, 'writing its kwok Exec and Logs objects', async () => {
        for (const c of debug.containers) {
          const file = podLogPath(opts.stateDir, opts.cluster, debug.namespace, debug.name, c);
          mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
          // An empty log until the workload writes: `kubectl logs` shows nothing, not an error.
          closeSync(openSync(file, 'a', 0o600));
        }
        await applyObject(opts.clients, kwokExecObject(debug, netns, containers));
        await applyObject(opts.clients, kwokLogsObject(debug, opts.stateDir, opts.cluster));
      });
    },
    podDetached(namespace, name) {
      const key = `${namespace}/${name}`;
      enqueue(key, 'deleting its kwok Exec and Logs objects', async () => {
        // Its log files stay (under the state dir, until `lab down`), as the pod runner keeps them.
        for (const kind of ['Exec', 'Logs']) await deleteObject(opts.clients, { apiVersion: KWOK_API_VERSION, kind, name, namespace });
      });
    },
    async idle() {
      while (queues.size > 0) await Promise.all([...queues.values()]);
    },
  };
}
