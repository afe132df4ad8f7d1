/**
 * The pure half of the lab's data plane: a pod's spec turned into processes, env and files
 * (podSpec.ts), the lab's grpc-agent injection (grpcAgent.ts), the per-pod plan
 * (workloadPlan.ts) and the east-west gateway's stand-in forwards (gatewayForward.ts).
 */
import { describe, expect, it } from 'vitest';
import { gatewayForwards } from '../../src/lab/gatewayForward.js';
import { injectGrpcAgent, injectionRevision, revisionConfigMaps, serviceOfHost, workloadName } from '../../src/lab/grpcAgent.js';
import { labWorkloadOf } from '../../src/lab/images.js';
import { containerEnv, expandVars, rebase, referencedObjects, tokenKey, tokenRequests, volumeFiles, type PodInputs, type PodObject } from '../../src/lab/podSpec.js';
import { LAB_IN_CLUSTER_KUBECONFIG, echoServerArgs, workloadPlan } from '../../src/lab/workloadPlan.js';

const ROOT = '/lab/pods/c1/sample/p/root';
const XDS = '/dev/shm/lab/mflx-xds/0123456789ab';
const BIN = { pilotDiscovery: '/bin/pilot-discovery', pilotAgent: '/bin/pilot-agent', echoServer: '/bin/echo-server' };
const API = { server: 'https://127.0.9.1:6443', caData: 'Q0E=' };

function istiodPod(): PodObject {
  return {
    metadata: { name: 'istiod-66647bbcc5-62zgf', namespace: 'istio-system', uid: 'u-1', labels: { app: 'istiod', 'pod-template-hash': '66647bbcc5' } },
    spec: {
      nodeName: 'cluster01-node-1',
      serviceAccountName: 'istiod',
      containers: [
        {
          name: 'discovery',
          image: 'docker.io/istio/pilot:1.31.0',
          args: ['discovery', '--monitoringAddr=:15014', '--domain', 'cluster.local'],
          env: [
            { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
            { name: 'SERVICE_ACCOUNT', valueFrom: { fieldRef: { fieldPath: 'spec.serviceAccountName' } } },
            { name: 'KUBECONFIG', value: '/var/run/secrets/remote/config' },
            { name: 'GOMAXPROCS', valueFrom: { resourceFieldRef: { resource: 'limits.cpu', divisor: '1' } } },
            { name: 'CLUSTER_ID', value: 'cluster01' },
            { name: 'GREETING', value: 'in $(POD_NAMESPACE), $$(POD_NAMESPACE) stays' },
          ],
          volumeMounts: [
            { name: 'istio-token', mountPath: '/var/run/secrets/tokens' },
            { name: 'cacerts', mountPath: '/etc/cacerts' },
            { name: 'istio-kubeconfig', mountPath: '/var/run/secrets/remote' },
            { name: 'kube-api-access', mountPath: '/var/run/secrets/kubernetes.io/serviceaccount' },
          ],
        },
      ],
      volumes: [
        { name: 'istio-token', projected: { sources: [{ serviceAccountToken: { audience: 'istio-ca', expirationSeconds: 43200, path: 'istio-token' } }] } },
        { name: 'cacerts', secret: { secretName: 'cacerts', optional: true } },
        { name: 'istio-kubeconfig', secret: { secretName: 'istio-kubeconfig', optional: true } },
        {
          name: 'kube-api-access',
          projected: {
            sources: [
              { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
              { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
              { downwardAPI: { items: [{ path: 'namespace', fieldRef: { fieldPath: 'metadata.namespace' } }] } },
            ],
          },
        },
      ],
    },
    status: { podIP: '10.10.0.1', hostIP: '127.0.9.1' },
  };
}

const inputs = (over: Partial<PodInputs> = {}): PodInputs => ({
  secrets: new Map([['cacerts', { 'ca-key.pem': 'KEY', 'ca-cert.pem': 'CERT', 'root-cert.pem': 'ROOT', 'cert-chain.pem': 'CHAIN' }]]),
  configMaps: new Map([['kube-root-ca.crt', { 'ca.crt': 'KUBE-CA', other: 'x' }]]),
  tokens: new Map([
    [tokenKey('istio-ca', 43200), 'tok-istio-ca'],
    [tokenKey(undefined, 3607), 'tok-default'],
  ]),
  cpus: 2,
  ...over,
});

describe("a pod's spec as a kubelet reads it", () => {
  it('resolves fieldRef, resourceFieldRef and $(VAR), and moves paths under a mount into the root', () => {
    const pod = istiodPod();
    const env = containerEnv(pod, pod.spec!.containers![0]!, inputs(), ROOT);
    expect(env).toMatchObject({ POD_NAMESPACE: 'istio-system', SERVICE_ACCOUNT: 'istiod', GOMAXPROCS: '2', CLUSTER_ID: 'cluster01' });
    expect(env['KUBECONFIG']).toBe(`${ROOT}/var/run/secrets/remote/config`);
    expect(env['GREETING']).toBe('in istio-system, $(POD_NAMESPACE) stays');
    const c = pod.spec!.containers![0]!;
    expect(rebase('/etc/cacertsX/a', ROOT, c)).toBe('/etc/cacertsX/a');
    expect(rebase('/etc/cacerts', ROOT, c)).toBe(`${ROOT}/etc/cacerts`);
    expect(expandVars('$(MISSING)', {})).toBe('$(MISSING)');
  });

  it('writes volumes at their mount paths, keys and tokens 0600, and asks for each token once', () => {
    const pod = istiodPod();
    const { files, dirs } = volumeFiles(pod, pod.spec!.containers![0]!, inputs());
    const byPath = new Map(files.map((f) => [f.path, f]));
    expect(byPath.get('etc/cacerts/ca-key.pem')).toEqual({ path: 'etc/cacerts/ca-key.pem', content: 'KEY', mode: 0o600 });
    expect(byPath.get('var/run/secrets/tokens/istio-token')).toMatchObject({ content: 'tok-istio-ca', mode: 0o600 });
    expect(byPath.get('var/run/secrets/kubernetes.io/serviceaccount/token')).toMatchObject({ content: 'tok-default', mode: 0o600 });
    expect(byPath.get('var/run/secrets/kubernetes.io/serviceaccount/ca.crt')).toMatchObject({ content: 'KUBE-CA', mode: 0o644 });
    expect(byPath.get('var/run/secrets/kubernetes.io/serviceaccount/namespace')?.content).toBe('istio-system');
    // items pick keys: the config map's other key is not written
    expect([...byPath.keys()].some((p) => p.endsWith('/other'))).toBe(false);
    // a missing optional secret is an empty folder, as in a pod
    expect(dirs).toContain('var/run/secrets/remote');
    expect([...byPath.keys()].some((p) => p.startsWith('var/run/secrets/remote/'))).toBe(false);
    expect(tokenRequests(pod)).toEqual([{ audience: 'istio-ca', expirationSeconds: 43200 }, { expirationSeconds: 3607 }]);
    const refs = referencedObjects(pod);
    expect([...refs.secrets]).toEqual([['cacerts', true], ['istio-kubeconfig', true]]);
    expect([...refs.configMaps]).toEqual([['kube-root-ca.crt', false]]);
  });
});

describe('istiod in the lab', () => {
  it("runs pilot-discovery with the pod's args and env; without an istio-kubeconfig secret, KUBECONFIG names the lab's in-cluster kubeconfig", () => {
    const plan = workloadPlan({ pod: istiodPod(), workload: { kind: 'istiod' }, inputs: inputs(), root: ROOT, binaries: BIN, cluster: 'cluster01', apiServer: API });
    expect(plan.processes).toHaveLength(1);
    const p = plan.processes[0]!;
    expect(p.binary).toBe(BIN.pilotDiscovery);
    expect(p.args).toEqual(['discovery', '--monitoringAddr=:15014', '--domain', 'cluster.local']);
    expect(p.env['KUBECONFIG']).toBe(`${ROOT}/${LAB_IN_CLUSTER_KUBECONFIG}`);
    const kc = plan.files.find((f) => f.path === LAB_IN_CLUSTER_KUBECONFIG)!;
    expect(kc.mode).toBe(0o600);
    const parsed = JSON.parse(kc.content) as { clusters: { cluster: { server: string } }[]; users: { user: { token: string } }[] };
    expect(parsed.clusters[0]!.cluster.server).toBe(API.server);
    expect(parsed.users[0]!.user.token).toBe('tok-default');
  });

  it('keeps an istio-kubeconfig secret when the cluster has one (external istiod)', () => {
    const secrets = new Map(inputs().secrets);
    secrets.set('istio-kubeconfig', { config: 'REAL' });
    const plan = workloadPlan({ pod: istiodPod(), workload: { kind: 'istiod' }, inputs: inputs({ secrets }), root: ROOT, binaries: BIN, cluster: 'cluster01', apiServer: API });
    expect(plan.processes[0]!.env['KUBECONFIG']).toBe(`${ROOT}/var/run/secrets/remote/config`);
    expect(plan.files.some((f) => f.path === LAB_IN_CLUSTER_KUBECONFIG)).toBe(false);
  });

  it('maps the pilot image to istiod', () => {
    expect(labWorkloadOf(istiodPod())).toEqual({ kind: 'istiod' });
  });
});

function helloPod(labels: Record<string, string> = { app: 'helloworld', version: 'v2', 'pod-template-hash': '58557d8bc9' }): PodObject {
  return {
    metadata: { name: 'helloworld-v2-58557d8bc9-7q9gf', namespace: 'sample', uid: 'u-2', labels },
    spec: { serviceAccountName: 'helloworld', nodeName: 'n1', containers: [{ name: 'helloworld', image: 'docker.io/istio/examples-helloworld-v2:1.0', ports: [{ containerPort: 5000 }] }] },
    status: { podIP: '10.20.0.3', hostIP: '127.0.9.2' },
  };
}
const VALUES = { revision: '', global: { meshID: 'mesh1', network: 'network1', multiCluster: { clusterName: 'cluster02' }, pilotCertProvider: 'istiod', istioNamespace: 'istio-system', sds: { token: { aud: 'istio-ca' } }, proxy: { clusterDomain: 'cluster.local' } } };
const MESH = { trustDomain: 'cluster.local', defaultConfig: { discoveryAddress: 'istiod.istio-system.svc:15012', meshId: 'mesh1', proxyMetadata: { ISTIO_META_DNS_AUTO_ALLOCATE: 'true' } } };

describe("the lab's grpc-agent injection", () => {
  it("follows Istio's selection: namespace label, revision label, pod opt-in and opt-out", () => {
    const ns = (labels: Record<string, string>) => ({ metadata: { name: 'sample', labels } });
    expect(injectionRevision(helloPod(), ns({ 'istio-injection': 'enabled' }))).toBe('default');
    expect(injectionRevision(helloPod(), ns({ 'istio.io/rev': 'canary' }))).toBe('canary');
    expect(injectionRevision(helloPod(), ns({}))).toBeUndefined();
    expect(injectionRevision(helloPod({ 'sidecar.istio.io/inject': 'true' }), ns({}))).toBe('default');
    expect(injectionRevision(helloPod({ 'sidecar.istio.io/inject': 'false' }), ns({ 'istio-injection': 'enabled' }))).toBeUndefined();
    expect(injectionRevision(helloPod(), ns({ 'istio-injection': 'disabled', 'istio.io/rev': 'canary' }))).toBeUndefined();
    expect(revisionConfigMaps('canary')).toEqual({ injector: 'istio-sidecar-injector-canary', mesh: 'istio-canary', remoteValues: 'values-canary' });
    expect(revisionConfigMaps('default')).toEqual({ injector: 'istio-sidecar-injector', mesh: 'istio', remoteValues: 'values' });
  });

  it("adds pilot-agent with the template's env from the cluster's injector values and mesh config", () => {
    const injected = injectGrpcAgent(helloPod(), { metadata: { name: 'sample', labels: { 'topology.istio.io/network': 'network9' } } }, VALUES, MESH, XDS);
    expect(injected).toMatchObject({ discoveryAddress: 'istiod.istio-system.svc:15012', caAddress: 'istiod.istio-system.svc:15012', clusterID: 'cluster02' });
    const [agent, app] = injected.pod.spec!.containers!;
    expect(agent!.name).toBe('istio-proxy');
    const env = containerEnv(injected.pod, agent!, inputs(), ROOT);
    expect(env).toMatchObject({
      ISTIO_META_GENERATOR: 'grpc',
      DISABLE_ENVOY: 'true',
      ISTIO_META_CLUSTER_ID: 'cluster02',
      ISTIO_META_NETWORK: 'network9', // the namespace's network label wins over the values
      ISTIO_META_MESH_ID: 'mesh1',
      ISTIO_META_WORKLOAD_NAME: 'helloworld-v2',
      INSTANCE_IP: '10.20.0.3',
      POD_NAMESPACE: 'sample',
      TRUST_DOMAIN: 'cluster.local',
      ISTIO_META_DNS_AUTO_ALLOCATE: 'true',
      OUTPUT_CERTS: `${ROOT}/var/lib/istio/data`,
    });
    expect(JSON.parse(env['PROXY_CONFIG']!)).toMatchObject({ discoveryAddress: 'istiod.istio-system.svc:15012', configPath: XDS, meshId: 'mesh1' });
    const appEnv = containerEnv(injected.pod, app!, inputs(), ROOT);
    expect(appEnv).toEqual({ GRPC_XDS_EXPERIMENTAL_SECURITY_SUPPORT: 'true', GRPC_XDS_BOOTSTRAP: `${ROOT}/etc/istio/proxy/grpc-bootstrap.json` });
    // a revision's agent dials istiod-<rev>
    expect(injectGrpcAgent(helloPod(), undefined, { ...VALUES, revision: 'canary' }, {}, XDS).caAddress).toBe('istiod-canary.istio-system.svc:15012');
    expect(workloadName({ metadata: { name: 'solo', namespace: 'x' } })).toBe('solo');
    expect(serviceOfHost('istiod.istio-system.svc')).toEqual({ name: 'istiod', namespace: 'istio-system' });
    expect(serviceOfHost('10.0.0.1')).toBeUndefined();
  });

  it('runs the agent, then an xDS echo server once the bootstrap exists; a client pod only its agent; an uninjected server plain gRPC', () => {
    const injected = injectGrpcAgent(helloPod(), undefined, VALUES, MESH, XDS);
    const plan = workloadPlan({ pod: injected.pod, workload: { kind: 'echo-server', version: 'v2' }, inputs: inputs(), root: ROOT, binaries: BIN, cluster: 'lab-name', apiServer: API, clusterID: 'cluster02' });
    expect(plan.processes.map((p) => p.binary)).toEqual([BIN.pilotAgent, BIN.echoServer]);
    expect(plan.processes[0]!.args).toEqual(['proxy', 'sidecar', '--domain', 'sample.svc.cluster.local']);
    expect(plan.processes[1]!.args).toEqual(['--grpc', '5000', '--xds-grpc-server', '5000', '--version', 'v2', '--cluster', 'cluster02']);
    expect(plan.processes[1]!.waitFor).toBe(`${ROOT}/etc/istio/proxy/grpc-bootstrap.json`);
    expect(plan.files.find((f) => f.path === 'var/run/secrets/tokens/istio-token')).toMatchObject({ content: 'tok-istio-ca', mode: 0o600 });

    const client = workloadPlan({ pod: injected.pod, workload: { kind: 'echo-client' }, inputs: inputs(), root: ROOT, binaries: BIN, cluster: 'c', apiServer: API });
    expect(client.processes.map((p) => p.binary)).toEqual([BIN.pilotAgent]);

    const plain = workloadPlan({ pod: helloPod(), workload: { kind: 'echo-server', version: 'v2' }, inputs: inputs(), root: ROOT, binaries: BIN, cluster: 'cluster02', apiServer: API });
    expect(plain.processes).toEqual([{ container: 'helloworld', binary: BIN.echoServer, args: ['--grpc', '5000', '--version', 'v2', '--cluster', 'cluster02'], env: {} }]);
    expect(echoServerArgs({ name: 'app', args: ['--port', '8080', '--grpc', '7070'] }, 'v1', 'c', false)).toEqual(['--port', '8080', '--grpc', '7070']);
  });
});

describe("the east-west gateway's stand-in", () => {
  const svc = (ip: string | undefined, ports: number[], type = 'LoadBalancer') => ({ spec: { type, ports: ports.map((port) => ({ port })) }, ...(ip ? { status: { loadBalancer: { ingress: [{ ip }] } } } : {}) });
  it("forwards 15012 and 15017 of an addressed load balancer to istiod's own pod, and nothing else", () => {
    const fw = gatewayForwards([svc('198.18.0.0', [15021, 15443, 15012, 15017]), svc(undefined, [15012]), svc('198.18.0.9', [15012], 'ClusterIP')], '10.10.0.1', '10.10.0.0/16');
    expect(fw).toEqual([
      { listenHost: '198.18.0.0', listenPort: 15012, targetHost: '10.10.0.1', targetPort: 15012 },
      { listenHost: '198.18.0.0', listenPort: 15017, targetHost: '10.10.0.1', targetPort: 15017 },
    ]);
    // a remote's istiod Service points at its primary's gateway: no loop
    expect(gatewayForwards([svc('198.18.1.0', [15012])], '198.18.0.0', '10.20.0.0/16')).toEqual([]);
    expect(gatewayForwards([svc('198.18.1.0', [15012])], undefined, '10.20.0.0/16')).toEqual([]);
  });
});
