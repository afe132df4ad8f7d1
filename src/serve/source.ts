import type { ClusterStatus, Registry, ServiceScope } from '../discovery/index.js';

/** What the API serves from: the live registry of a discovery supervisor, or any snapshot of one. */
export interface RegistrySource {
  registry(): Registry;
  clusters(): readonly ClusterStatus[];
  /** Each service's scope and why (issue 18), when the server knows the mesh file's services section. */
  scopes?(): ReadonlyMap<string, ServiceScope>;
  /** Calls `listener` after every change of the registry or of a cluster's state; returns an unsubscribe. */
  onChange(listener: () => void): () => void;
}
