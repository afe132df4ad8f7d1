import { mcsState, type Registry, type ClusterSnapshot, type ClusterSyncState } from '../discovery/index.js';
import { buildZone, type Zone, type ZoneOptions } from './zone.js';

/** What the zone is computed from: a supervisor watching in MCS mode. */
export interface ZoneSource {
  registry(): Registry;
  snapshots(): { snapshot: ClusterSnapshot; state: ClusterSyncState }[];
  onChange(listener: () => void): () => void;
}

export interface LiveZone {
  /** The zone now; rebuilt on the first query after a change. */
  zone(): Zone;
  stop(): void;
}

/** The zone kept in step with the watchers: marked stale on every change, rebuilt lazily. */
export function liveZone(source: ZoneSource, opts: ZoneOptions): LiveZone {
  let zone: Zone | undefined;
  const off = source.onChange(() => (zone = undefined));
  return {
    zone: () => (zone ??= buildZone(mcsState(source.snapshots().map((s) => s.snapshot)), source.registry(), opts)),
    stop: off,
  };
}
