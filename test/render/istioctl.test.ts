// The real istioctl (built by scripts/build-lab.sh from the pinned Istio commit) accepts the files
// meshfed renders, and what it would install carries the multi-cluster identity we planned.
// `istioctl manifest generate` is offline and strict: an unknown field in an IstioOperator fails it.
import { spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GOLDEN_EXAMPLES, isObj, istioctlPath, parseYamlDocs, removeTempDirs, renderWithCli, type Obj } from './helpers.js';

afterAll(removeTempDirs);

const TIMEOUT = 600_000;
const rendered: Record<string, string> = {};

beforeAll(async () => {
  for (const [name, meshFile] of Object.entries(GOLDEN_EXAMPLES)) if (!name.endsWith('-helm')) rendered[name] = (await renderWithCli(meshFile)).dir;
});

/** `istioctl manifest generate -f <file>`, which must succeed; its output. */
function manifestGenerateText(example: string, file: string): string {
  // Throws "… run `bash scripts/build-lab.sh istio`" when istioctl is not built: a failure, never a skip.
  const istioctl = istioctlPath();
  const path = join(rendered[example]!, file);
  const r = spawnSync(istioctl, ['manifest', 'generate', '-f', path], { encoding: 'utf8', timeout: 300_000, maxBuffer: 256 * 1024 * 1024, stdio: ['ignore', 'pipe', 'pipe'] });
  expect(r.error, `istioctl manifest generate -f ${example}/${file}`).toBeUndefined();
  expect(r.status, `istioctl manifest generate -f ${example}/${file} failed:\n${r.stderr}`).toBe(0);
  // istioctl prints the mesh config's validation warnings (a deprecated setting) among the manifests: a failure here.
  expect(`${r.stdout}\n${r.stderr}`, `istioctl manifest generate -f ${example}/${file} warned`).not.toMatch(/^\S+\s+warn\s/m);
  return r.stdout;
}

/** `istioctl manifest generate -f <file>`, which must succeed; its objects, parsed. */
function manifestGenerate(example: string, file: string): Obj[] {
  return parseYamlDocs(manifestGenerateText(example, file), `istioctl manifest generate -f ${example}/${file}`).filter(isObj);
}

const find = (objs: Obj[], kind: string, name: string): Obj | undefined => objs.find((o) => o['kind'] === kind && (o['metadata'] as Obj)['name'] === name);
function must(objs: Obj[], kind: string, name: string): Obj {
  const o = find(objs, kind, name);
  expect(o, `${kind} ${name} in istioctl's output (has: ${objs.filter((x) => x['kind'] !== 'CustomResourceDefinition').map((x) => `${String(x['kind'])}/${String((x['metadata'] as Obj)['name'])}`).join(', ')})`).toBeDefined();
  return o!;
}
type EnvVar = { name: string; value?: string };
function containerEnv(deployment: Obj, container: string): Record<string, string | undefined> {
  const containers = ((deployment['spec'] as Obj)['template'] as { spec: { containers: { name: string; env?: EnvVar[] }[] } }).spec.containers;
  const c = containers.find((x) => x.name === container);
  expect(c, `container ${container}`).toBeDefined();
  return Object.fromEntries((c!.env ?? []).map((e) => [e.name, e.value]));
}
const webhookPaths = (mwc: Obj) => (mwc['webhooks'] as { clientConfig: { service?: { name: string; path?: string } } }[]).map((w) => w.clientConfig.service);

describe('the real istioctl accepts the rendered install files', () => {
  it(
    'global-services (services.discovery: mcs): every primary\'s istiod runs with the MCS settings; the mesh config holds the cluster-local hosts and DNS proxying',
    () => {
      for (const cluster of ['cluster01', 'cluster02']) {
        const objs = manifestGenerate('global-services', `${cluster}/20-istio.yaml`);
        const env = containerEnv(must(objs, 'Deployment', 'istiod'), 'discovery');
        expect(env, cluster).toMatchObject({ ENABLE_MCS_SERVICE_DISCOVERY: 'true', ENABLE_MCS_HOST: 'true', ENABLE_MCS_CLUSTER_LOCAL: 'true', ENABLE_MCS_AUTO_EXPORT: 'false', MCS_API_VERSION: 'v1alpha1' });
        const mesh = parseYamlDocs(String((must(objs, 'ConfigMap', 'istio')['data'] as Obj)['mesh']), 'mesh config')[0] as Obj;
        expect(mesh['serviceSettings'], cluster).toEqual([{ settings: { clusterLocal: true }, hosts: ['*.kube-system.svc.cluster.local'] }]);
        expect(((mesh['defaultConfig'] as Obj)['proxyMetadata'] as Obj), cluster).toEqual({ ISTIO_META_DNS_CAPTURE: 'true' });
      }
      // A mesh without the services section runs istiod without them.
      const env = containerEnv(must(manifestGenerate('multi-primary-multi-network', 'cluster01/20-istio.yaml'), 'Deployment', 'istiod'), 'discovery');
      expect(Object.keys(env).filter((k) => k.includes('MCS'))).toEqual([]);
    },
    TIMEOUT,
  );

  it(
    'primary of primary-remote-multi-network: istiod has CLUSTER_ID=cluster01 and EXTERNAL_ISTIOD=true',
    () => {
      const objs = manifestGenerate('primary-remote-multi-network', 'cluster01/20-istio.yaml');
      const env = containerEnv(must(objs, 'Deployment', 'istiod'), 'discovery');
      expect(env['CLUSTER_ID']).toBe('cluster01');
      expect(env['EXTERNAL_ISTIOD']).toBe('true');
      const injector = JSON.parse(String((must(objs, 'ConfigMap', 'istio-sidecar-injector')['data'] as Obj)['values'])) as { global: Obj };
      expect(injector.global['meshID']).toBe('mesh1');
      expect(injector.global['network']).toBe('network1');
      expect((injector.global['multiCluster'] as Obj)['clusterName']).toBe('cluster01');
      const mesh = String((must(objs, 'ConfigMap', 'istio')['data'] as Obj)['mesh']);
      expect(mesh).toContain('accessLogFile: /dev/stdout');
      expect(mesh).toContain('meshId: mesh1');
    },
    TIMEOUT,
  );

  it(
    'a multi-primary primary runs istiod without EXTERNAL_ISTIOD',
    () => {
      const objs = manifestGenerate('multi-primary-multi-network', 'cluster02/20-istio.yaml');
      const env = containerEnv(must(objs, 'Deployment', 'istiod'), 'discovery');
      expect(env['CLUSTER_ID']).toBe('cluster02');
      expect(env['EXTERNAL_ISTIOD']).toBeUndefined();
    },
    TIMEOUT,
  );

  it(
    'remote of primary-remote-multi-network: injector webhook path carries cluster and network; istiod Service/EndpointSlice point at the primary gateway',
    () => {
      const objs = manifestGenerate('primary-remote-multi-network', 'cluster02/20-istio.yaml');
      expect(find(objs, 'Deployment', 'istiod'), 'a remote runs no istiod').toBeUndefined();
      const services = webhookPaths(must(objs, 'MutatingWebhookConfiguration', 'istio-sidecar-injector'));
      expect(services.length).toBeGreaterThan(0);
      for (const s of services) expect(s).toStrictEqual({ name: 'istiod', namespace: 'istio-system', path: '/inject/cluster/cluster02/net/network2', port: 443 });
      const svc = must(objs, 'Service', 'istiod');
      expect((svc['spec'] as { ports: { port: number }[] }).ports.map((p) => p.port)).toEqual([15012, 443]);
      const slice = must(objs, 'EndpointSlice', 'istiod');
      expect((slice['metadata'] as { labels: Obj }).labels['kubernetes.io/service-name']).toBe('istiod');
      expect(slice['endpoints']).toStrictEqual([{ addresses: ['172.18.11.1'] }]);
      expect((slice['ports'] as { port: number }[]).map((p) => p.port)).toEqual([15012, 15017]);
    },
    TIMEOUT,
  );

  it(
    'remote of the flat primary-remote model injects with /net/network1',
    () => {
      const objs = manifestGenerate('primary-remote', 'cluster02/20-istio.yaml');
      for (const s of webhookPaths(must(objs, 'MutatingWebhookConfiguration', 'istio-sidecar-injector'))) expect(s?.path).toBe('/inject/cluster/cluster02/net/network1');
      expect(must(objs, 'EndpointSlice', 'istiod')['endpoints']).toStrictEqual([{ addresses: ['172.18.11.1'] }]);
    },
    TIMEOUT,
  );

  it(
    'east-west gateway: a LoadBalancer Service with 15021/15443/15012/15017, the network label and the MetalLB address',
    () => {
      const objs = manifestGenerate('primary-remote-multi-network', 'cluster01/30-eastwest-gateway.yaml');
      const svc = must(objs, 'Service', 'istio-eastwestgateway');
      const spec = svc['spec'] as { type: string; ports: { name: string; port: number; targetPort: number }[]; selector: Obj };
      const meta = svc['metadata'] as { labels: Obj; annotations: Obj };
      expect(spec.type).toBe('LoadBalancer');
      expect(spec.ports.map((p) => [p.name, p.port, p.targetPort])).toEqual([
        ['status-port', 15021, 15021],
        ['tls', 15443, 15443],
        ['tls-istiod', 15012, 15012],
        ['tls-webhook', 15017, 15017],
      ]);
      expect(meta.labels['topology.istio.io/network']).toBe('network1');
      expect(meta.labels['istio']).toBe('eastwestgateway');
      expect(spec.selector).toStrictEqual({ app: 'istio-eastwestgateway', istio: 'eastwestgateway', 'topology.istio.io/network': 'network1' });
      expect(meta.annotations).toStrictEqual({ 'metallb.universe.tf/loadBalancerIPs': '172.18.11.1' });
      const env = containerEnv(must(objs, 'Deployment', 'istio-eastwestgateway'), 'istio-proxy');
      expect(env['ISTIO_META_REQUESTED_NETWORK_VIEW']).toBe('network1');
    },
    TIMEOUT,
  );

  it(
    'revision rev1: istiod-rev1 on the primary; the remote webhook and istiod Service are the revision\'s',
    () => {
      const primary = manifestGenerate('primary-remote-multi-network-revision', 'cluster01/20-istio.yaml');
      expect(containerEnv(must(primary, 'Deployment', 'istiod-rev1'), 'discovery')['EXTERNAL_ISTIOD']).toBe('true');
      const remote = manifestGenerate('primary-remote-multi-network-revision', 'cluster02/20-istio.yaml');
      for (const s of webhookPaths(must(remote, 'MutatingWebhookConfiguration', 'istio-sidecar-injector-rev1')))
        expect(s).toStrictEqual({ name: 'istiod-rev1', namespace: 'istio-system', path: '/inject/cluster/cluster02/net/network2', port: 443 });
      expect(must(remote, 'EndpointSlice', 'istiod-rev1')['endpoints']).toStrictEqual([{ addresses: ['172.18.11.1'] }]);
      const gw = manifestGenerate('primary-remote-multi-network-revision', 'cluster01/30-eastwest-gateway.yaml');
      expect(((must(gw, 'Deployment', 'istio-eastwestgateway')['metadata'] as { labels: Obj }).labels)['istio.io/rev']).toBe('rev1');
    },
    TIMEOUT,
  );

  it(
    'every IstioOperator file of every istioctl example is accepted',
    async () => {
      let count = 0;
      for (const [example, dir] of Object.entries(rendered)) {
        const plan = JSON.parse(await readFile(join(dir, 'plan.json'), 'utf8')) as { clusters: { name: string; eastWestGateway?: unknown }[] };
        for (const c of plan.clusters) {
          for (const file of ['20-istio.yaml', ...(c.eastWestGateway ? ['30-eastwest-gateway.yaml'] : [])]) {
            expect(manifestGenerateText(example, `${c.name}/${file}`), `${example}/${c.name}/${file}`).toMatch(/^kind: (Deployment|MutatingWebhookConfiguration)$/m);
            count++;
          }
        }
      }
      // 4 seed models (2+2 installs, 1+0/2/2 gateways) + mix (6+6) + revision (2+2) + global-services (2+2)
      expect(count).toBe(4 * 2 + (1 + 0 + 2 + 2) + 12 + 4 + 4);
    },
    TIMEOUT,
  );
});
