/**
 * The lab's data plane across two networks (multi-primary, network1 and network2, applied by
 * `meshfed apply`): the real istiod of cluster01 tells a client in network1 to reach
 * network2's endpoints through network2's east-west gateway address (Istio's split horizon),
 * and the client cannot reach a network2 pod directly. The data path through the gateway
 * (15443, routed by TLS SNI) needs Envoy, which the lab does not have: it is not claimed here.
 * Loopback addresses 127.0.42.x belong to this file only.
 */
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyObject, getObject } from '../../src/kube/index.js';
import { HOST, echoClient, helloService, helloworld, sampleNamespace, samplePod, serviceAccount, sleepClient, startDataplaneLab, type DataplaneLab } from './dataplaneTools.js';
import { eventually } from './labTools.js';
import { numberedMeshYaml } from './numberedMesh.js';

const MESH = numberedMeshYaml({ name: 'networks', octet: 42, clusters: [{ network: 'network1' }, { network: 'network2' }] });

let l: DataplaneLab;

beforeAll(async () => {
  l = await startDataplaneLab('networks', MESH);
  for (const c of ['cluster01', 'cluster02']) {
    const k = l.clients.get(c)!;
    for (const o of [sampleNamespace(), helloService(), serviceAccount('helloworld'), serviceAccount('sleep'), sleepClient()]) await applyObject(k, o);
  }
  // istiod sends another network's endpoints (as its gateway) only for endpoints that take
  // mTLS; for proxyless gRPC the pod says so itself (grpc-agent.yaml: "security.istio.io/tlsMode:
  // istio must be set by user"), as a sidecar's injection would.
  const mtls = { 'security.istio.io/tlsMode': 'istio' };
  await applyObject(l.clients.get('cluster01')!, helloworld('v1', mtls));
  await applyObject(l.clients.get('cluster02')!, helloworld('v2', mtls));
}, 600_000);

afterAll(async () => {
  await l?.down();
});

describe('two networks through the real istiod', () => {
  it("a client in network1 is given network2's gateway address for network2's endpoints, and its own pod for network1's", async () => {
    const gw = (await getObject(l.clients.get('cluster02')!, { apiVersion: 'v1', kind: 'Service', namespace: 'istio-system', name: 'istio-eastwestgateway' })) as unknown as { status?: { loadBalancer?: { ingress?: { ip: string }[] } } } | undefined;
    const gatewayIP = gw?.status?.loadBalancer?.ingress?.[0]?.ip;
    expect(gatewayIP, "cluster02's east-west gateway has an address").toBeTruthy();
    const client = await samplePod(l, 'cluster01', 'sleep-');
    const v1 = await samplePod(l, 'cluster01', 'helloworld-v1-');
    const v2 = await samplePod(l, 'cluster02', 'helloworld-v2-');
    // What the client itself was told: grpc-go logs every address it dials for the service's
    // endpoints (one subchannel each), so its log shows the endpoints istiod gave this proxy.
    const grpcLog = { GRPC_GO_LOG_SEVERITY_LEVEL: 'info', GRPC_GO_LOG_VERBOSITY_LEVEL: '2' };
    const addresses = await eventually(
      "the endpoints the client dials",
      async () => {
        const r = echoClient(l, client, ['--count', '10', '--qps', '10', '--timeout', '2s', HOST], grpcLog);
        const seen = [...new Set([...r.out.matchAll(/\b(\d+\.\d+\.\d+\.\d+:(?:5000|15443))\b/g)].map((m) => m[1]!))];
        return seen.includes(`${gatewayIP}:15443`) && seen.includes(`${v1.ip}:5000`) ? seen : undefined;
      },
      180_000,
    );
    // network2's pod itself is never among them: only its gateway
    expect(addresses).toContain(`${gatewayIP}:15443`);
    expect(addresses).toContain(`${v1.ip}:5000`);
    expect(addresses.some((a) => a.startsWith(`${v2.ip}:`))).toBe(false);
  }, 300_000);

  it('a network2 pod cannot be reached directly from network1 (no route), while its own network reaches it', async () => {
    const v2 = await samplePod(l, 'cluster02', 'helloworld-v2-');
    // A TCP connection to v2's port from inside a client pod's namespace: layer 4 only, so
    // neither mTLS nor gRPC can be why it fails.
    const connects = (from: Awaited<ReturnType<typeof samplePod>>) =>
      spawnSync('ip', ['netns', 'exec', from.netns, 'timeout', '3', 'bash', '-c', `echo > /dev/tcp/${v2.ip}/5000`]).status === 0;
    expect(connects(await samplePod(l, 'cluster02', 'sleep-'))).toBe(true);
    expect(connects(await samplePod(l, 'cluster01', 'sleep-'))).toBe(false);
  }, 180_000);
});
