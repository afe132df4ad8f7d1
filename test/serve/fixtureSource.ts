/** A registry source over a fixed registry (no Kubernetes): the API and dashboard tests change it by hand and call change(). */
import type { ClusterStatus, Registry } from '../../src/discovery/index.js';
import type { RegistrySource } from '../../src/serve/index.js';

export class FixtureSource implements RegistrySource {
  private listeners = new Set<() => void>();
  constructor(
    public current: Registry,
    public states: ClusterStatus[] = [
      { clusterId: 'cluster01', state: 'synced' },
      { clusterId: 'cluster02', state: 'synced' },
    ],
  ) {}
  registry() {
    return this.current;
  }
  clusters() {
    return this.states;
  }
  onChange(l: () => void) {
    this.listeners.add(l);
    return () => void this.listeners.delete(l);
  }
  change() {
    for (const l of this.listeners) l();
  }
  /** How many listeners are subscribed (a closed stream must unsubscribe). */
  get listening() {
    return this.listeners.size;
  }
}
