import { describe, expect, it } from 'vitest';
import { LAB_ERROR_CODES, LabError, planLab } from '../../src/lab/index.js';
import { overlaps, parseCidr } from '../../src/topology/index.js';
import { labMesh } from './helpers.js';

function codeOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    if (e instanceof LabError) return e.code;
    throw e;
  }
  return undefined;
}

describe('planLab', () => {
  it('keeps explicit loopback addresses and puts etcd on the first cluster', () => {
    const plan = planLab(labMesh('m', [{ name: 'a', apiServer: 'https://127.0.2.1:6443' }, { name: 'b', apiServer: 'https://127.0.2.2:6443' }]));
    expect(plan.clusters.map((c) => [c.ip, c.port, c.assigned])).toEqual([
      ['127.0.2.1', 6443, false],
      ['127.0.2.2', 6443, false],
    ]);
    expect(plan.etcd).toEqual({ ip: '127.0.2.1', clientPort: 2379, peerPort: 2380 });
    expect(plan.clusters[0]?.kubernetesServiceIP).toBe('10.11.0.1');
  });

  it('assigns 127.0.1.<i+1> to clusters without apiServer, skipping addresses others pinned', () => {
    const plan = planLab(labMesh('m', [{ name: 'a' }, { name: 'b', apiServer: 'https://127.0.1.3:6443' }, { name: 'c' }]));
    expect(plan.clusters.map((c) => c.apiServer)).toEqual(['https://127.0.1.1:6443', 'https://127.0.1.3:6443', 'https://127.0.1.4:6443']);
    expect(plan.clusters.map((c) => c.assigned)).toEqual([true, false, true]);
  });

  it('refuses a mesh without spec.lab', () => {
    const mesh = labMesh('m', [{ name: 'a' }]);
    delete mesh.spec.lab;
    expect(codeOf(() => planLab(mesh))).toBe(LAB_ERROR_CODES.notALabMesh);
  });

  it('refuses API servers off loopback, and two clusters on one address', () => {
    expect(codeOf(() => planLab(labMesh('m', [{ name: 'a', apiServer: 'https://172.18.0.2:6443' }])))).toBe(LAB_ERROR_CODES.invalidAddress);
    expect(codeOf(() => planLab(labMesh('m', [{ name: 'a', apiServer: 'https://localhost:6443' }])))).toBe(LAB_ERROR_CODES.invalidAddress);
    expect(
      codeOf(() => planLab(labMesh('m', [{ name: 'a', apiServer: 'https://127.0.2.1:6443' }, { name: 'b', apiServer: 'https://127.0.2.1:6443' }]))),
    ).toBe(LAB_ERROR_CODES.invalidAddress);
  });

  it("refuses two clusters on one address with different ports: each cluster's kwok serves exec and logs on its address", () => {
    expect(() => planLab(labMesh('m', [{ name: 'a', apiServer: 'https://127.0.2.1:6443' }, { name: 'b', apiServer: 'https://127.0.2.1:6444' }]))).toThrow(
      /clusters a and b both use the address 127\.0\.2\.1; .*port 10250/,
    );
  });

  it('refuses IPv6-first ranges and pools it cannot use', () => {
    expect(codeOf(() => planLab(labMesh('m', [{ name: 'a', podCIDRs: ['fd00::/64'] }])))).toBe(LAB_ERROR_CODES.invalidAddress);
    expect(codeOf(() => planLab(labMesh('m', [{ name: 'a', loadBalancerPool: 'nonsense' }])))).toBe(LAB_ERROR_CODES.invalidAddress);
  });

  it('keeps a pool the mesh file names, and picks a distinct 198.18.x.0/24 for a cluster that names none', () => {
    const plan = planLab(labMesh('m', [{ name: 'a', loadBalancerPool: '172.18.11.0/24' }, { name: 'b' }, { name: 'c' }]));
    expect(plan.clusters.map((c) => [c.loadBalancerPool, c.loadBalancerPoolPicked])).toEqual([
      ['172.18.11.0/24', false],
      ['198.18.1.0/24', true],
      ['198.18.2.0/24', true],
    ]);
  });

  it('never picks a pool that overlaps a range of the mesh or another pick', () => {
    const plan = planLab(
      labMesh('m', [
        { name: 'a', podCIDRs: ['198.18.0.0/24'] },
        { name: 'b', loadBalancerPool: '198.18.1.0/25' },
        { name: 'c', serviceCIDRs: ['198.18.2.0/23'] },
        { name: 'd' },
      ]),
    );
    const picked = plan.clusters.map((c) => c.loadBalancerPool);
    expect(picked).toEqual(['198.18.4.0/24', '198.18.1.0/25', '198.18.5.0/24', '198.18.6.0/24']);
    const ranges = plan.clusters.flatMap((c) => [c.podCIDR, c.serviceCIDR]);
    for (const p of [picked[0]!, picked[2]!, picked[3]!]) {
      for (const r of ranges) expect(overlaps(parseCidr(p)!, parseCidr(r)!), `${p} vs ${r}`).toBe(false);
    }
  });

  it('gives a cluster that pins its gateway address but names no pool the /24 around that address', () => {
    const mesh = labMesh('m', [{ name: 'a' }, { name: 'b' }]);
    mesh.spec.clusters[1]!.eastWestGatewayAddress = '198.18.0.7';
    const plan = planLab(mesh);
    expect(plan.clusters.map((c) => c.loadBalancerPool)).toEqual(['198.18.1.0/24', '198.18.0.0/24']);
    mesh.spec.clusters[1]!.eastWestGatewayAddress = '10.10.0.7';
    expect(codeOf(() => planLab(mesh))).toBe(LAB_ERROR_CODES.invalidAddress);
  });

  it('keeps its fingerprint when a picked pool is written into the mesh file as it is', () => {
    const picked = planLab(labMesh('m', [{ name: 'a', apiServer: 'https://127.0.2.1:6443' }]));
    const written = planLab(labMesh('m', [{ name: 'a', apiServer: 'https://127.0.2.1:6443', loadBalancerPool: picked.clusters[0]!.loadBalancerPool }]));
    expect(written.fingerprint).toBe(picked.fingerprint);
  });

  it('changes its fingerprint when anything stored in etcd or a certificate would change', () => {
    const base = planLab(labMesh('m', [{ name: 'a', apiServer: 'https://127.0.2.1:6443' }]));
    const same = planLab(labMesh('m', [{ name: 'a', apiServer: 'https://127.0.2.1:6443' }]));
    const moved = planLab(labMesh('m', [{ name: 'a', apiServer: 'https://127.0.2.9:6443' }]));
    const resized = planLab(labMesh('m', [{ name: 'a', apiServer: 'https://127.0.2.1:6443', serviceCIDRs: ['10.99.0.0/16'] }]));
    expect(same.fingerprint).toBe(base.fingerprint);
    expect(moved.fingerprint).not.toBe(base.fingerprint);
    expect(resized.fingerprint).not.toBe(base.fingerprint);
  });
});
