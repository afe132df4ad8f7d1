import { describe, expect, it } from 'vitest';
import { LAB_ERROR_CODES, LabError } from '../../src/lab/index.js';
import { imageRepository, labWorkloadOf, runnablePodIP, type PodLike } from '../../src/lab/images.js';
import { fabricCommands, podCommands, podLinkName, podNetnsName, podNetworkPlan, podNetworkPrefix, routesScriptEnv } from '../../src/lab/podNetwork.js';
import { podNetworkChange, podRunnerHandlers } from '../../src/lab/podRunner.js';
import type { ClusterNode } from '../../src/lab/podNetwork.js';
import { apiBridgeSocket, bridgeArg, parseBridgeArgs } from '../../src/lab/apiBridge.js';
import { routesScriptDestinations } from '../../src/lab/routes.js';

const clusters = [
  { name: 'cluster01', network: 'network1', podCIDR: '10.10.0.0/16', serviceCIDR: '10.11.0.0/16', loadBalancerPool: '172.18.11.0/24' },
  { name: 'cluster02', network: 'network1', podCIDR: '10.20.0.0/16', serviceCIDR: '10.21.0.0/16', loadBalancerPool: '198.18.1.0/24' },
  { name: 'cluster-3', network: 'network2', podCIDR: '10.30.0.0/16', serviceCIDR: '10.31.0.0/16', loadBalancerPool: '198.18.2.0/24' },
];

describe('the lab pod network plan', () => {
  it('names every namespace after the state dir, so two labs never share one', () => {
    const a = podNetworkPlan('/tmp/a/.meshfed/lab/m', clusters);
    const b = podNetworkPlan('/tmp/b/.meshfed/lab/m', clusters);
    expect(a.prefix).toMatch(/^mfl[0-9a-f]{6}-$/);
    expect(a.prefix).not.toBe(b.prefix);
    expect(a.prefix).toBe(podNetworkPrefix('/tmp/a/.meshfed/lab/m'));
    expect([a.fabric, ...a.nodes.map((n) => n.netns)].every((n) => n.startsWith(a.prefix))).toBe(true);
  });

  it('puts clusters of one network on one bridge, each with its own node address, and another network on another bridge', () => {
    const p = podNetworkPlan('/s', clusters);
    expect(p.nodes.map((n) => [n.name, n.bridge, n.nodeAddress, n.gateway])).toEqual([
      ['cluster01', 'br0', '198.19.0.1', '198.19.0.254'],
      ['cluster02', 'br0', '198.19.0.2', '198.19.0.254'],
      ['cluster-3', 'br1', '198.19.1.3', '198.19.1.254'],
    ]);
    expect(routesScriptEnv(p)).toEqual({ NODE_ADDRESS_CLUSTER01: '198.19.0.1', NODE_ADDRESS_CLUSTER02: '198.19.0.2', NODE_ADDRESS_CLUSTER_3: '198.19.1.3' });
  });

  it('refuses mesh ranges inside the range the lab keeps for its links', () => {
    const bad = [{ ...clusters[0]!, podCIDR: '198.19.0.0/16' }];
    expect(() => podNetworkPlan('/s', bad)).toThrow(LabError);
    try {
      podNetworkPlan('/s', bad);
    } catch (e) {
      expect((e as LabError).code).toBe(LAB_ERROR_CODES.invalidAddress);
    }
  });

  it('the fabric owns every load balancer pool and routes pod ranges only for its own connections', () => {
    const p = podNetworkPlan('/s', clusters);
    const cmds = fabricCommands(p).map((c) => c.join(' '));
    expect(cmds).toContain(`ip -n ${p.fabric} rule add iif lo lookup 100 priority 100`);
    for (const n of p.nodes) {
      expect(cmds).toContain(`ip -n ${p.fabric} route add local ${n.loadBalancerPool} dev lo`);
      expect(cmds).toContain(`ip -n ${p.fabric} route add ${n.podCIDR} via ${n.nodeAddress} table 100`);
      expect(cmds).toContain(`ip -n ${n.netns} route add default via ${n.gateway}`);
    }
    // Nothing routes a pod range in the fabric's main table, and no link leaves the lab's namespaces.
    expect(cmds.filter((c) => / route add 10\./.test(c) && !c.endsWith('table 100'))).toEqual([]);
    expect(cmds.filter((c) => c.includes(' veth ')).every((c) => / netns mfl[0-9a-f]{6}-/.test(c))).toBe(true);
  });

  it('a pod range repeated on another network (as examples/mix has it) gets one fabric route, so lab up does not fail', () => {
    const repeated = [
      { name: 'east-1', network: 'east', podCIDR: '10.100.0.0/16', serviceCIDR: '10.101.0.0/16', loadBalancerPool: '172.18.21.0/24' },
      { name: 'west-1', network: 'west', podCIDR: '10.100.0.0/16', serviceCIDR: '10.111.0.0/16', loadBalancerPool: '172.18.31.0/24' },
      { name: 'west-2', network: 'west', podCIDR: '10.100.128.0/17', serviceCIDR: '10.112.0.0/16', loadBalancerPool: '172.18.32.0/24' },
      { name: 'edge-1', network: 'edge', podCIDR: '10.120.0.0/16', serviceCIDR: '10.121.0.0/16', loadBalancerPool: '172.18.41.0/24' },
    ];
    const p = podNetworkPlan('/s', repeated);
    const podRoutes = fabricCommands(p).map((c) => c.join(' ')).filter((c) => c.endsWith('table 100') && c.includes(' route add 10.'));
    // The first cluster holding a range keeps it; overlapping later ones (equal or inside) get none.
    expect(podRoutes).toEqual([
      `ip -n ${p.fabric} route add 10.100.0.0/16 via ${p.nodes[0]!.nodeAddress} table 100`,
      `ip -n ${p.fabric} route add 10.120.0.0/16 via ${p.nodes[3]!.nodeAddress} table 100`,
    ]);
    // Every cluster still gets its node namespace and its load balancer pool.
    const cmds = fabricCommands(p).map((c) => c.join(' '));
    for (const n of p.nodes) expect(cmds).toContain(`ip -n ${p.fabric} route add local ${n.loadBalancerPool} dev lo`);
  });

  it('gives a pod its IP/32 on eth0 behind a proxy-ARP veth of its node', () => {
    const node = podNetworkPlan('/s', clusters).nodes[0]!;
    expect(podLinkName('10.10.0.5')).toBe('v0a0a0005');
    const ns = podNetnsName(node, '10.10.0.5');
    expect(ns).toBe(`${node.netns}-10.10.0.5`);
    const cmds = podCommands(node, ns, '10.10.0.5').map((c) => c.join(' '));
    expect(cmds).toContain(`ip -n ${node.netns} link add v0a0a0005 type veth peer name eth0 netns ${ns}`);
    expect(cmds).toContain(`ip netns exec ${node.netns} sysctl -qw net.ipv4.conf.v0a0a0005.proxy_arp=1`);
    expect(cmds).toContain(`ip -n ${node.netns} route add 10.10.0.5/32 dev v0a0a0005`);
    expect(cmds).toContain(`ip -n ${ns} addr add 10.10.0.5/32 dev eth0`);
    expect(cmds).toContain(`ip -n ${ns} route add default via 169.254.1.1 dev eth0`);
  });

  it('reads the destinations of a rendered 90-routes.sh', () => {
    const script = '#!/bin/sh\nset -eu\nadd_route() { ip route show "$1" | grep -q . || ip route add "$1" via "$2"; }\nadd_route 10.20.0.0/16 "$NODE_ADDRESS_CLUSTER02"  # cluster02\nadd_route 10.21.0.0/16 172.18.0.3  # cluster02\n';
    expect(routesScriptDestinations(script)).toEqual(['10.20.0.0/16', '10.21.0.0/16']);
  });
});

const pod = (image: string, opts: { ip?: string; phase?: string; labels?: Record<string, string>; deleting?: boolean } = {}): PodLike => ({
  metadata: { name: 'p', namespace: 'sample', ...(opts.labels ? { labels: opts.labels } : {}), ...(opts.deleting ? { deletionTimestamp: '2026-01-01T00:00:00Z' } : {}) },
  spec: { containers: [{ name: 'c', image }] },
  status: { phase: opts.phase ?? 'Running', ...(opts.ip ? { podIP: opts.ip } : {}) },
});

describe('which pods the lab runs', () => {
  it('reads an image repository without registry, tag or digest', () => {
    expect(imageRepository('docker.io/istio/examples-helloworld-v1:1.0')).toBe('istio/examples-helloworld-v1');
    expect(imageRepository('localhost:5000/istio/app@sha256:abc')).toBe('istio/app');
    expect(imageRepository('curlimages/curl')).toBe('curlimages/curl');
  });

  it("maps seed 000's HelloWorld and Istio's echo app to the echo server, curl to the echo client, and nothing else", () => {
    expect(labWorkloadOf(pod('docker.io/istio/examples-helloworld-v2:1.0'))).toEqual({ kind: 'echo-server', version: 'v2' });
    expect(labWorkloadOf(pod('registry.istio.io/release/examples-helloworld-v1:1.0'))).toEqual({ kind: 'echo-server', version: 'v1' });
    expect(labWorkloadOf(pod('gcr.io/istio-testing/app:latest', { labels: { version: 'v3' } }))).toEqual({ kind: 'echo-server', version: 'v3' });
    expect(labWorkloadOf(pod('docker.io/curlimages/curl:8.16.0'))).toEqual({ kind: 'echo-client' });
    expect(labWorkloadOf(pod('registry.example/web:1'))).toBeUndefined();
  });

  it('attaches a known pod once it runs with an IP, moves it when the IP changes, detaches it when it goes', () => {
    const held = new Map<string, string>();
    expect(podNetworkChange(held, pod('istio/app', { phase: 'Pending' }), false)).toEqual({});
    expect(podNetworkChange(held, pod('istio/app', { ip: '10.10.0.5' }), false)).toEqual({ attach: '10.10.0.5' });
    held.set('sample/p', '10.10.0.5');
    expect(podNetworkChange(held, pod('istio/app', { ip: '10.10.0.5' }), false)).toEqual({});
    expect(podNetworkChange(held, pod('istio/app', { ip: '10.10.0.6' }), false)).toEqual({ detach: '10.10.0.5', attach: '10.10.0.6' });
    expect(podNetworkChange(held, pod('istio/app', { ip: '10.10.0.5', deleting: true }), false)).toEqual({ detach: '10.10.0.5' });
    expect(podNetworkChange(held, pod('istio/app', { ip: '10.10.0.5' }), true)).toEqual({ detach: '10.10.0.5' });
    expect(podNetworkChange(new Map(), pod('registry.example/web:1', { ip: '10.10.0.7' }), false)).toEqual({});
    expect(runnablePodIP(pod('istio/app', { ip: '10.10.0.5', phase: 'Succeeded' }))).toBeUndefined();
  });

  it('a pod given an IP another pod still holds waits, and is attached and started once that pod lets the IP go', async () => {
    const done: string[] = [];
    const node = { name: 'cluster02' } as ClusterNode;
    const h = podRunnerHandlers({
      node,
      log: () => undefined,
      ops: {
        attach: (_n, ip) => (done.push(`attach ${ip}`), `ns-${ip}`),
        detach: (_n, ip) => void done.push(`detach ${ip}`),
        run: (_n, p, netns) => void done.push(`run ${p.metadata.name} in ${netns}`),
        stop: (_n, k) => void done.push(`stop ${k}`),
      },
    });
    const named = (name: string, o: Parameters<typeof pod>[1]) => ({ ...pod('istio/app', o), metadata: { ...pod('istio/app', o).metadata, name } });
    // kwok handed two running pods one IP (seen after kwok restarts): the first listed gets it
    await h.onList([named('holder', { ip: '10.10.0.5' }), named('waiter', { ip: '10.10.0.5' })]);
    expect(done).toEqual(['attach 10.10.0.5', 'run holder in ns-10.10.0.5']);
    done.length = 0;
    h.onEvent({ type: 'ADDED', object: named('other', { ip: '10.10.0.6' }) });
    // the holder goes: its namespace is removed, then the waiting pod gets the IP and starts
    h.onEvent({ type: 'DELETED', object: named('holder', { ip: '10.10.0.5' }) });
    expect(done).toEqual(['attach 10.10.0.6', 'run other in ns-10.10.0.6', 'stop sample/holder', 'detach 10.10.0.5', 'attach 10.10.0.5', 'run waiter in ns-10.10.0.5']);
    // a waiting pod that is deleted before its turn is never started
    done.length = 0;
    h.onEvent({ type: 'ADDED', object: named('late', { ip: '10.10.0.6' }) });
    h.onEvent({ type: 'DELETED', object: named('late', { ip: '10.10.0.6' }) });
    h.onEvent({ type: 'DELETED', object: named('other', { ip: '10.10.0.6' }) });
    expect(done).toEqual(['stop sample/other', 'detach 10.10.0.6']);
  });
});

describe("the lab's API bridge", () => {
  it('keeps its unix socket paths short and lab-specific, and round-trips its arguments', () => {
    const long = `/work/${'deep/'.repeat(30)}.meshfed/lab/m`;
    const sock = apiBridgeSocket('/dev/shm/meshfed-lab-0123456789ab', long, 2);
    expect(sock).toMatch(/^\/dev\/shm\/meshfed-lab-0123456789ab\/mfl[0-9a-f]{6}-api-2\.sock$/);
    expect(Buffer.byteLength(sock)).toBeLessThan(108);
    expect(apiBridgeSocket('/x', '/other/lab', 2)).not.toBe(apiBridgeSocket('/x', long, 2));
    const targets = [{ host: '127.0.21.1', port: 6443, socket: sock }, { host: '127.0.21.2', port: 6443, socket: '/s/b.sock' }];
    expect(parseBridgeArgs(['--state-dir=/x', ...targets.map(bridgeArg)])).toEqual(targets);
  });
});
