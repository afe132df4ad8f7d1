/**
 * Reads the live clusters back and compares them with the plan: what `apply` must leave and
 * what `destroy` must take away. Everything here reads through the real API.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { expect } from 'vitest';
import { getObject, isKubeError, listObjects, type KubeClients, type KubeObject } from '../../src/kube/index.js';
import { ISTIO_NAMESPACE, istiodName, remoteSecretName, type ClusterPlan, type Plan } from '../../src/plan/index.js';
import { contains, parseCidr } from '../../src/topology/index.js';
import { runCli } from '../cli/run.js';

type Obj = Record<string, unknown>;
const ns = ISTIO_NAMESPACE;
const decode = (b64: string | undefined) => Buffer.from(b64 ?? '', 'base64').toString('utf8');

async function must(k: KubeClients, apiVersion: string, kind: string, name: string, namespace?: string): Promise<KubeObject> {
  const o = await getObject(k, { apiVersion, kind, name, ...(namespace ? { namespace } : {}) });
  expect(o, `${k.context}: ${kind} ${namespace ? `${namespace}/` : ''}${name}`).toBeDefined();
  return o!;
}

function env(deployment: KubeObject, container: string): Record<string, string | undefined> {
  const containers = ((deployment['spec'] as Obj)['template'] as { spec: { containers: { name: string; env?: { name: string; value?: string }[] }[] } }).spec.containers;
  return Object.fromEntries((containers.find((c) => c.name === container)?.env ?? []).map((e) => [e.name, e.value]));
}

function openssl(args: string[]): { status: number | null; out: string } {
  const r = spawnSync('openssl', args, { encoding: 'utf8' });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

/** The address the gateway Service got from the (lab) load balancer. */
export async function gatewayAddress(k: KubeClients): Promise<string | undefined> {
  const svc = await getObject(k, { apiVersion: 'v1', kind: 'Service', name: 'istio-eastwestgateway', namespace: ns });
  return ((svc?.['status'] as { loadBalancer?: { ingress?: { ip?: string }[] } } | undefined)?.loadBalancer?.ingress ?? [])[0]?.ip;
}

async function checkCluster(plan: Plan, c: ClusterPlan, clients: Map<string, KubeClients>, rootCertPem: string): Promise<void> {
  const k = clients.get(c.name)!;
  const rev = plan.mesh.istio.revision;

  const namespace = await must(k, 'v1', 'Namespace', ns);
  expect(namespace.metadata.labels ?? {}, `${c.name}: istio-system labels`).toMatchObject(c.namespace.labels);
  expect(namespace.metadata.annotations ?? {}, `${c.name}: istio-system annotations`).toMatchObject(c.namespace.annotations);
  if (!plan.mesh.multiNetwork) expect(namespace.metadata.labels?.['topology.istio.io/network']).toBeUndefined();

  // cacerts: the intermediate of this cluster, chaining to the mesh's one root (checked by openssl).
  const cacerts = (await must(k, 'v1', 'Secret', 'cacerts', ns))['data'] as Record<string, string>;
  expect(Object.keys(cacerts).sort()).toEqual(['ca-cert.pem', 'ca-key.pem', 'cert-chain.pem', 'root-cert.pem']);
  expect(decode(cacerts['root-cert.pem'])).toBe(rootCertPem);
  const dir = mkdtempSync(join(tmpdir(), 'meshfed-live-'));
  try {
    writeFileSync(join(dir, 'root.pem'), rootCertPem);
    writeFileSync(join(dir, 'chain.pem'), decode(cacerts['cert-chain.pem']));
    writeFileSync(join(dir, 'ca.pem'), decode(cacerts['ca-cert.pem']));
    const v = openssl(['verify', '-CAfile', join(dir, 'root.pem'), join(dir, 'ca.pem')]);
    expect(v.status, `${c.name}: openssl verify of cacerts: ${v.out}`).toBe(0);
    expect(openssl(['x509', '-in', join(dir, 'ca.pem'), '-noout', '-subject']).out).toContain(`L = ${c.name}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  if (c.role === 'primary') {
    const istiod = await must(k, 'apps/v1', 'Deployment', istiodName(rev), ns);
    const e = env(istiod, 'discovery');
    expect(e['CLUSTER_ID'], `${c.name}: istiod CLUSTER_ID`).toBe(c.name);
    expect(e['EXTERNAL_ISTIOD'], `${c.name}: EXTERNAL_ISTIOD`).toBe(c.externalIstiod ? 'true' : undefined);
    const istioCm = await must(k, 'v1', 'ConfigMap', rev ? `istio-${rev}` : 'istio', ns);
    expect(String((istioCm['data'] as Obj)['mesh'])).toContain(`meshId: ${plan.mesh.meshID}`);
  } else {
    expect(await getObject(k, { apiVersion: 'apps/v1', kind: 'Deployment', name: istiodName(rev), namespace: ns }), `${c.name}: a remote runs no istiod`).toBeUndefined();
    const mwc = await must(k, 'admissionregistration.k8s.io/v1', 'MutatingWebhookConfiguration', `istio-sidecar-injector${rev ? `-${rev}` : ''}`);
    const paths = (mwc['webhooks'] as { clientConfig: { service?: { path?: string } } }[]).map((w) => w.clientConfig.service?.path);
    expect(paths.length).toBeGreaterThan(0);
    for (const p of paths) expect(p, `${c.name}: injection path`).toBe(c.injectionPath);
    // remotePilotAddress: the remote's istiod Service points at the primary's live gateway address.
    const primaryGateway = await gatewayAddress(clients.get(c.primary)!);
    expect(primaryGateway, `${c.primary}: gateway address`).toBeDefined();
    const slices = await listObjects(k, 'discovery.k8s.io/v1', 'EndpointSlice', { namespace: ns, labelSelector: `kubernetes.io/service-name=${istiodName(rev)}` });
    const addresses = slices.flatMap((s) => ((s['endpoints'] as { addresses: string[] }[] | undefined) ?? []).flatMap((e) => e.addresses));
    expect(addresses, `${c.name}: istiod endpoints = ${c.primary}'s gateway`).toContain(primaryGateway);
  }

  if (c.eastWestGateway) {
    const svc = await must(k, 'v1', 'Service', 'istio-eastwestgateway', ns);
    expect((svc['spec'] as Obj)['type']).toBe('LoadBalancer');
    expect(svc.metadata.labels?.['topology.istio.io/network']).toBe(c.eastWestGateway.network || undefined);
    const ports = ((svc['spec'] as { ports: { port: number }[] }).ports ?? []).map((p) => p.port);
    for (const p of [15021, 15443, 15012, 15017]) expect(ports, `${c.name}: gateway port ${p}`).toContain(p);
    const ip = await gatewayAddress(k);
    expect(ip, `${c.name}: gateway address`).toBeDefined();
    if (c.eastWestGateway.address) expect(ip).toBe(c.eastWestGateway.address);
    else if (c.spec.loadBalancerPool) expect(contains(parseCidr(c.spec.loadBalancerPool)!, ip!)).toBe(true);
    if (c.eastWestGateway.exposesIstiod) {
      await must(k, 'networking.istio.io/v1', 'Gateway', 'istiod-gateway', ns);
      await must(k, 'networking.istio.io/v1', 'VirtualService', `istiod-vs${rev ? `-${rev}` : ''}`, ns);
    }
    if (c.eastWestGateway.exposesServices) {
      const gw = await must(k, 'networking.istio.io/v1', 'Gateway', 'cross-network-gateway', ns);
      const servers = (gw['spec'] as { servers: { port: { number: number }; tls: { mode: string }; hosts: string[] }[] }).servers;
      expect(servers).toEqual([expect.objectContaining({ port: expect.objectContaining({ number: 15443 }), tls: { mode: 'AUTO_PASSTHROUGH' }, hosts: ['*.local'] })]);
    }
  } else {
    expect(await getObject(k, { apiVersion: 'v1', kind: 'Service', name: 'istio-eastwestgateway', namespace: ns }), `${c.name}: no gateway planned`).toBeUndefined();
  }

  // Remote secrets: exactly one per watched cluster, as create-remote-secret makes them, and they work.
  const secrets = await listObjects(k, 'v1', 'Secret', { namespace: ns, labelSelector: 'istio/multiCluster=true' });
  expect(secrets.map((s) => s.metadata.name).sort(), `${c.name}: remote secrets`).toEqual(c.watches.map(remoteSecretName).sort());
  for (const watched of c.watches) await checkRemoteSecret(plan, secrets.find((s) => s.metadata.name === remoteSecretName(watched))!, watched);
}

/**
 * The secret's kubeconfig reaches the watched cluster, reads pods and services, and may not
 * write. (Istio's remote profile lets the reader of a remote create ConfigMaps and patch
 * webhooks, which an external istiod needs; Secrets, Services and Pods stay read-only everywhere.)
 */
export async function checkRemoteSecret(plan: Plan, secret: KubeObject, watched: string): Promise<void> {
  expect(secret.metadata.annotations?.['networking.istio.io/cluster']).toBe(watched);
  expect(secret.metadata.labels?.['istio/multiCluster']).toBe('true');
  const data = secret['data'] as Record<string, string>;
  expect(Object.keys(data)).toEqual([watched]);
  const kc = new KubeConfig();
  kc.loadFromString(decode(data[watched]));
  expect(kc.getCurrentContext()).toBe(watched);
  expect(kc.getCurrentCluster()?.server).toBe(plan.clusters.find((c) => c.name === watched)!.apiServer);
  const core = kc.makeApiClient(CoreV1Api);
  const pods = await core.listPodForAllNamespaces();
  expect(Array.isArray(pods.items)).toBe(true);
  const services = await core.listServiceForAllNamespaces();
  expect(services.items.map((s) => s.metadata?.name)).toContain('kubernetes');
  const refused = async (what: string, attempt: () => Promise<unknown>) => {
    const denied = await attempt().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(denied, `the remote secret for ${watched} must not be able to ${what}`).toBeDefined();
    expect((denied as { code?: number }).code, `${what} with the remote secret for ${watched}`).toBe(403);
  };
  await refused('create a Secret', () => core.createNamespacedSecret({ namespace: 'default', body: { metadata: { name: 'meshfed-should-not-write' } } }));
  await refused('create a Service', () => core.createNamespacedService({ namespace: 'default', body: { metadata: { name: 'meshfed-should-not-write' }, spec: { ports: [{ port: 80 }] } } }));
  await refused('delete a Service', () => core.deleteNamespacedService({ namespace: 'default', name: 'kubernetes' }));
}

/** Every cluster holds what the plan says: namespaces, cacerts, Istio, gateways, expose, remote secrets. */
export async function expectClustersMatchPlan(plan: Plan, clients: Map<string, KubeClients>, rootCertPem: string): Promise<void> {
  for (const c of plan.clusters) await checkCluster(plan, c, clients, rootCertPem);
}

const SNAPSHOT_KINDS: [string, string, boolean][] = [
  ['v1', 'Namespace', false],
  ['apiextensions.k8s.io/v1', 'CustomResourceDefinition', false],
  ['rbac.authorization.k8s.io/v1', 'ClusterRole', false],
  ['rbac.authorization.k8s.io/v1', 'ClusterRoleBinding', false],
  ['admissionregistration.k8s.io/v1', 'MutatingWebhookConfiguration', false],
  ['admissionregistration.k8s.io/v1', 'ValidatingWebhookConfiguration', false],
  ['v1', 'Secret', true],
  ['v1', 'ConfigMap', true],
  ['v1', 'Service', true],
  ['v1', 'ServiceAccount', true],
];

/**
 * What a cluster holds, by kind, as sorted names; objects Kubernetes itself makes for every
 * namespace (kube-root-ca.crt, the default service account) are left out.
 */
export async function snapshot(k: KubeClients): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const [apiVersion, kind, namespaced] of SNAPSHOT_KINDS) {
    const items = await listObjects(k, apiVersion, kind).catch((e: unknown) => {
      if (isKubeError(e) && e.reason === 'notFound') return [];
      throw e;
    });
    out[kind] = items
      .map((o) => (namespaced ? `${o.metadata.namespace}/${o.metadata.name}` : o.metadata.name))
      .filter((n) => !n.endsWith('/kube-root-ca.crt') && !n.endsWith('/default'))
      .sort();
  }
  const nsObj = await getObject(k, { apiVersion: 'v1', kind: 'Namespace', name: 'default' });
  out['default-namespace-labels'] = Object.keys(nsObj?.metadata.labels ?? {}).sort();
  return out;
}

/**
 * What every apply lab test checks of a mesh: apply brings the clusters to the plan (`checks`
 * may look further), a second apply changes nothing, and destroy (run even after a failed
 * check, so the next test starts clean) leaves every cluster as it was before.
 */
export async function expectApplyRoundTrip(
  meshPath: string,
  plan: Plan,
  clients: Map<string, KubeClients>,
  rootCertPem: string,
  checks: () => void | Promise<void> = () => {},
): Promise<void> {
  const before = new Map<string, Record<string, string[]>>();
  for (const [name, k] of clients) before.set(name, await snapshot(k));
  try {
    const first = await runCli('apply', '-f', meshPath);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).toMatch(/Apply: \d+ steps, [1-9]\d* changed, \d+ unchanged, 0 failed, 0 not started/);
    await expectClustersMatchPlan(plan, clients, rootCertPem);
    await checks();

    const again = await runCli('apply', '-f', meshPath);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toMatch(/Apply: \d+ steps, 0 changed/);
    expect(again.stderr).toContain('No changes: the clusters already match the mesh file.');
  } finally {
    const destroyed = await runCli('destroy', '-f', meshPath);
    expect(destroyed.code, destroyed.stderr).toBe(0);
  }
  for (const [name, k] of clients) expect(await snapshot(k), `${name} after destroy`).toEqual(before.get(name));
}
