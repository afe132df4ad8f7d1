import type { ClusterStatus, Registry } from '../discovery/index.js';

/** What the API serves from: the live registry of a discovery supervisor, or any snapshot of one. */
export interface RegistrySource {
  registry(): Registry;
  clusters(): readonly ClusterStatus[];
  /** Calls `listener` after every change of the registry or of a cluster's state; returns an unsubscribe. */
  onChange(listener: () => void): () => void;
}
