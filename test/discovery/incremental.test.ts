/**
 * The live registry (registryBuilder) reuses what it derived from unchanged objects. It must
 * give exactly what a fresh buildRegistry gives, after any sequence of changes a watcher can
 * deliver (objects replaced, never mutated; an unchanged resource keeps its array).
 */
import { describe, expect, it } from 'vitest';
import { buildRegistry, registryBuilder, type ClusterSnapshot } from '../../src/discovery/index.js';
import type { KubeObject } from '../../src/kube/index.js';
import { endpointSlice, eastWestGateway, namespace, pod, service, type PodSpec } from './helpers.js';
import { rng } from '../seededRandom.js';


function cluster(i: number): ClusterSnapshot {
  const pods: PodSpec[] = [0, 1, 2, 3].map((j) => ({ name: `web-${j}`, ip: `10.${i}0.0.${j + 1}` }));
  const selectorless = endpointSlice('legacy', 'shop', [], [{ name: 'tcp', port: 9000 }], 'legacy-1');
  selectorless['endpoints'] = [{ addresses: [`10.${i}0.0.1`], conditions: { ready: true } }];
  return {
    clusterId: `cluster0${i}`,
    namespaces: [namespace('istio-system', { 'topology.istio.io/network': `network${i}` }), namespace('shop')],
    services: [
      service('web', 'shop', { clusterIP: `10.${i}1.0.10` }),
      service('legacy', 'shop', { clusterIP: `10.${i}1.0.11`, ports: [{ name: 'tcp', port: 9000 }] }),
      eastWestGateway(`network${i}`, `172.18.1${i}.1`),
    ],
    // web has two slices sharing an address, with different ports: the first slice's ports win.
    endpointSlices: [
      endpointSlice('web', 'shop', pods.slice(0, 3), [{ name: 'http', port: 5000 }], 'web-1'),
      endpointSlice('web', 'shop', pods.slice(2), [{ name: 'http', port: 5000 }, { name: 'grpc', port: 6000 }], 'web-2'),
      selectorless,
    ],
    pods: pods.map((p) => pod('shop', p)),
  };
}

type Resource = 'services' | 'endpointSlices' | 'pods' | 'namespaces';

/** A watcher's view of an event: a new object in a new array for that resource only. */
function replace(s: ClusterSnapshot, resource: Resource, index: number, next: KubeObject | undefined): ClusterSnapshot {
  const items = [...s[resource]];
  if (next) items[index] = next;
  else items.splice(index, 1);
  return { ...s, [resource]: items };
}

const clone = <T>(o: T): T => structuredClone(o);

/** One change of the kinds a cluster sees: readiness, labels, a pod gone, the network, ports, endpoints. */
function mutate(s: ClusterSnapshot, r: () => number): ClusterSnapshot {
  const pick = <T>(xs: readonly T[]) => Math.floor(r() * xs.length);
  switch (Math.floor(r() * 8)) {
    case 0: {
      if (!s.pods.length) return s;
      const i = pick(s.pods);
      const p = clone(s.pods[i]!) as KubeObject & { status: { conditions: { status: string }[] } };
      p.status.conditions[0]!.status = p.status.conditions[0]!.status === 'True' ? 'False' : 'True';
      return replace(s, 'pods', i, p);
    }
    case 1: {
      if (!s.pods.length) return s;
      const i = pick(s.pods);
      const p = clone(s.pods[i]!);
      const labels = p.metadata.labels!;
      labels['security.istio.io/tlsMode'] = labels['security.istio.io/tlsMode'] === 'istio' ? 'disabled' : 'istio';
      if (r() < 0.3) labels['topology.istio.io/network'] = 'elsewhere';
      return replace(s, 'pods', i, p);
    }
    case 2: {
      // A pod deleted, or one of the known pods (re)created.
      if (s.pods.length && r() < 0.5) return replace(s, 'pods', pick(s.pods), undefined);
      const j = Math.floor(r() * 5);
      if (s.pods.some((p) => p.metadata.name === `web-${j}`)) return s;
      return { ...s, pods: [...s.pods, pod('shop', { name: `web-${j}`, ip: `10.${s.clusterId.slice(-1)}0.0.${j + 1}` })] };
    }
    case 3: {
      const i = s.namespaces.findIndex((n) => n.metadata.name === 'istio-system');
      const n = clone(s.namespaces[i]!);
      n.metadata.labels!['topology.istio.io/network'] = r() < 0.5 ? 'network9' : `network${s.clusterId.slice(-1)}`;
      return replace(s, 'namespaces', i, n);
    }
    case 4: {
      const i = pick(s.services);
      const svc = clone(s.services[i]!) as KubeObject & { spec: { ports: { name: string; port: number }[] } };
      svc.spec.ports[0]!.port += 1;
      return replace(s, 'services', i, svc);
    }
    case 5: {
      // The web Service deleted or created again.
      const i = s.services.findIndex((x) => x.metadata.name === 'web');
      if (i >= 0) return replace(s, 'services', i, undefined);
      return { ...s, services: [...s.services, service('web', 'shop', { clusterIP: '10.99.0.1' })] };
    }
    case 6: {
      const i = pick(s.endpointSlices);
      const slice = clone(s.endpointSlices[i]!) as KubeObject & { endpoints: unknown[] };
      if (slice.endpoints.length > 1 && r() < 0.5) slice.endpoints.pop();
      else slice.endpoints.push({ addresses: [`10.${s.clusterId.slice(-1)}0.0.5`], conditions: { ready: r() < 0.5 }, targetRef: { kind: 'Pod', namespace: 'shop', name: 'web-4' } });
      return replace(s, 'endpointSlices', i, slice);
    }
    default: {
      // A slice deleted, or the second web slice back.
      const i = s.endpointSlices.findIndex((x) => x.metadata.name === 'web-2');
      if (i >= 0) return replace(s, 'endpointSlices', i, undefined);
      return { ...s, endpointSlices: [...s.endpointSlices, cluster(Number(s.clusterId.slice(-1))).endpointSlices[1]!] };
    }
  }
}

describe('registryBuilder (the live registry)', () => {
  it.each([1, 2, 3, 4, 5, 6, 7, 8])('equals a fresh buildRegistry after every one of 150 random changes (seed %i)', (seed) => {
    const r = rng(seed);
    const live = registryBuilder();
    let snaps = [cluster(1), cluster(2), cluster(3)];
    expect(live(snaps)).toEqual(buildRegistry(snaps));
    for (let step = 0; step < 150; step++) {
      const c = Math.floor(r() * snaps.length);
      snaps = snaps.map((s, i) => (i === c ? mutate(s, r) : s));
      // Now and then a cluster leaves and comes back (a secret deleted and added again).
      if (r() < 0.03) snaps = snaps.filter((_, i) => i !== c);
      if (snaps.length < 3 && r() < 0.5) snaps = [...snaps, cluster([1, 2, 3].find((i) => !snaps.some((s) => s.clusterId === `cluster0${i}`))!)];
      expect(live(snaps), `seed ${seed}, step ${step}`).toEqual(buildRegistry(snaps));
    }
  });

  it('keeps the entries of untouched services and builds anew only what changed', () => {
    const live = registryBuilder();
    const snaps = [cluster(1), cluster(2)];
    const before = live(snaps);
    const web = (reg: typeof before) => reg.services.find((s) => s.name === 'web')!;
    const legacy = (reg: typeof before) => reg.services.find((s) => s.name === 'legacy')!;

    // Nothing changed: the same registry.
    expect(live([...snaps])).toBe(before);

    // A web pod of cluster02 leaves the mesh (no sidecar): web is new, legacy the same object.
    const p = clone(snaps[1]!.pods[1]!);
    p.metadata.labels!['security.istio.io/tlsMode'] = 'disabled';
    const changed = [snaps[0]!, replace(snaps[1]!, 'pods', 1, p)];
    const after = live(changed);
    expect(after).not.toBe(before);
    expect(legacy(after)).toBe(legacy(before));
    expect(web(after).endpoints.find((e) => e.address === '10.20.0.2')?.tlsMode).toBe('disabled');
    // What was handed out before is never changed afterwards.
    expect(web(before).endpoints.find((e) => e.address === '10.20.0.2')?.tlsMode).toBe('istio');
    expect(after).toEqual(buildRegistry(changed));
  });
});
