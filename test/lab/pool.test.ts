import { describe, expect, it } from 'vitest';
import { decide, type LbService } from '../../src/lab/loadBalancer.js';
import { METALLB_IPS_ANNOTATION, allocateAddress, requestedAddress } from '../../src/lab/pool.js';

const pool = '172.18.11.0/24';

describe('allocateAddress', () => {
  it('hands out the lowest free address of the pool, its network address first, as MetalLB does', () => {
    expect(allocateAddress({ pool, requested: undefined, current: undefined, taken: new Set() })).toEqual({ ok: true, ip: '172.18.11.0' });
    expect(allocateAddress({ pool, requested: undefined, current: undefined, taken: new Set(['172.18.11.0', '172.18.11.1', '172.18.11.3']) })).toEqual({ ok: true, ip: '172.18.11.2' });
  });

  it('keeps the address a Service holds', () => {
    expect(allocateAddress({ pool, requested: undefined, current: '172.18.11.40', taken: new Set(['172.18.11.1']) })).toEqual({ ok: true, ip: '172.18.11.40' });
  });

  it('honours a requested address inside the pool, refuses one outside or taken', () => {
    expect(allocateAddress({ pool, requested: '172.18.11.77', current: undefined, taken: new Set() })).toEqual({ ok: true, ip: '172.18.11.77' });
    expect(allocateAddress({ pool, requested: '10.0.0.1', current: undefined, taken: new Set() }).ok).toBe(false);
    expect(allocateAddress({ pool, requested: '172.18.11.77', current: undefined, taken: new Set(['172.18.11.77']) }).ok).toBe(false);
  });

  it('reports an exhausted pool', () => {
    const tiny = '172.18.11.0/30'; // .0 to .3
    expect(allocateAddress({ pool: tiny, requested: undefined, current: undefined, taken: new Set(['172.18.11.0', '172.18.11.1', '172.18.11.2']) })).toEqual({ ok: true, ip: '172.18.11.3' });
    expect(allocateAddress({ pool: tiny, requested: undefined, current: undefined, taken: new Set(['172.18.11.0', '172.18.11.1', '172.18.11.2', '172.18.11.3']) })).toEqual({
      ok: false,
      reason: 'pool 172.18.11.0/30 has no free address',
    });
  });

  it('reads the MetalLB annotation before spec.loadBalancerIP', () => {
    expect(requestedAddress({ [METALLB_IPS_ANNOTATION]: 'fd00::1, 172.18.11.9' }, '172.18.11.8')).toBe('172.18.11.9');
    expect(requestedAddress(undefined, '172.18.11.8')).toBe('172.18.11.8');
    expect(requestedAddress({}, undefined)).toBeUndefined();
  });
});

function svc(name: string, opts: { type?: string; ip?: string; created?: string; annotations?: Record<string, string>; lbClass?: string } = {}): LbService {
  return {
    metadata: { name, namespace: 'default', creationTimestamp: opts.created ?? '2026-01-01T00:00:00Z', ...(opts.annotations ? { annotations: opts.annotations } : {}) },
    spec: { type: opts.type ?? 'LoadBalancer', ...(opts.lbClass ? { loadBalancerClass: opts.lbClass } : {}) },
    status: { loadBalancer: opts.ip ? { ingress: [{ ip: opts.ip }] } : {} },
  };
}

describe('decide (lab load balancer)', () => {
  it('gives a new LoadBalancer Service the next free address', () => {
    const a = svc('a', { ip: '172.18.11.0' });
    const b = svc('b');
    expect(decide(b, [a, b], pool)).toEqual({ action: 'set', ip: '172.18.11.1' });
    expect(decide(a, [a, b], pool)).toEqual({ action: 'none' });
  });

  it('leaves other Service types and other load balancer classes alone, and clears a former LoadBalancer', () => {
    expect(decide(svc('c', { type: 'ClusterIP' }), [], pool)).toEqual({ action: 'none' });
    expect(decide(svc('c', { lbClass: 'example.com/other' }), [], pool)).toEqual({ action: 'none' });
    expect(decide(svc('c', { type: 'ClusterIP', ip: '172.18.11.5' }), [], pool)).toEqual({ action: 'clear' });
    // An address from elsewhere was not ours to give, so it is not ours to take.
    expect(decide(svc('c', { type: 'ClusterIP', ip: '192.0.2.5' }), [], pool)).toEqual({ action: 'none' });
  });

  it('takes its address back when the Service asks for one outside the pool', () => {
    const d = decide(svc('x', { ip: '172.18.11.1', annotations: { [METALLB_IPS_ANNOTATION]: '192.168.0.1' } }), [], pool);
    expect(d).toEqual({ action: 'clear' });
  });

  it('keeps a pending Service pending with the reason', () => {
    const d = decide(svc('x', { annotations: { [METALLB_IPS_ANNOTATION]: '192.168.0.1' } }), [], pool);
    expect(d).toEqual({ action: 'pending', reason: 'requested address 192.168.0.1 is not in the pool 172.18.11.0/24' });
  });
});

describe('pinned addresses stay free', () => {
  it('a Service asking for no address skips one another Service has pinned', () => {
    const r = allocateAddress({ pool: '172.18.11.0/24', requested: undefined, current: undefined, taken: new Set(['172.18.11.0']), reserved: new Set(['172.18.11.1']) });
    expect(r).toEqual({ ok: true, ip: '172.18.11.2' });
  });
});
