import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { getObject, type KubeObject } from '../kube/index.js';
import { isPkiError, PKI_ERROR_CODES, readIntermediate } from '../pki/index.js';
import { ISTIO_NAMESPACE, READER_SERVICE_ACCOUNT, READER_TOKEN_SECRET, istiodName, remoteSecretName, type ClusterPlan, type Step } from '../plan/index.js';
import {
  cacertsSecret,
  eastWestGatewayOperator,
  exposeIstiod,
  exposeServices,
  HELM_CHARTS,
  HELM_RELEASES,
  helmBaseValues,
  helmGatewayValues,
  helmIstiodValues,
  istioOperator,
  namespace,
  remoteReader,
  toYaml,
} from '../render/index.js';
import { clientOf, KeyedLock, type ApplyContext } from './context.js';
import { ApplyError } from './errors.js';
import { helmUpgrade } from './helm.js';
import { applyAll, applyTracked, summarize } from './objects.js';
import { MANAGED_BY, readState, writeState } from './state.js';
import { istioctl, whereOf } from './tools.js';
import { waitFor } from './wait.js';

export interface StepRun {
  changed: boolean;
  detail: string;
}

const stateLock = new KeyedLock();
const sha = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 16);

function clusterOf(ctx: ApplyContext, name: string): ClusterPlan {
  const c = ctx.plan.clusters.find((x) => x.name === name);
  if (!c) throw new Error(`cluster ${name} is not in the plan`);
  return c;
}

async function namespaceStep(ctx: ApplyContext, c: ClusterPlan): Promise<StepRun> {
  const k = clientOf(ctx, c.name);
  const existed = await getObject(k, { apiVersion: 'v1', kind: 'Namespace', name: ISTIO_NAMESPACE });
  const r = await applyTracked(k, namespace(c) as KubeObject, ctx.dryRun);
  if (!ctx.dryRun)
    await stateLock.run(c.name, async () => {
      const s = (await readState(k)) ?? { hashes: {} };
      // Remember only the first time: a re-run must not forget that meshfed created it.
      await writeState(k, { ...s, mesh: ctx.plan.mesh.name, namespaceCreated: s.namespaceCreated ?? String(!existed) });
    });
  return { changed: r.changed, detail: r.changed ? `${ctx.dryRun ? 'would apply' : 'applied'} namespace ${ISTIO_NAMESPACE}${existed ? '' : ' (created)'}` : 'unchanged' };
}

async function cacertsStep(ctx: ApplyContext, c: ClusterPlan): Promise<StepRun> {
  let b;
  try {
    b = await readIntermediate(ctx.rootDir, c.name);
  } catch (e) {
    // Trust material that is there but unfit to ship (expired, not yet valid, outliving its
    // root, of another root, a readable key) stops the step with its own code.
    if (isPkiError(e) && e.code !== PKI_ERROR_CODES.bundleMissing) throw e;
    const err = e as { message?: string; hint?: string };
    throw new ApplyError('MF8003', `no usable intermediate CA for ${c.name} in ${ctx.rootDir}: ${err.message ?? String(e)}`, err.hint ?? 'run `meshfed certs -f mesh.yaml` first', c.name);
  }
  const secret = cacertsSecret({ caCert: b.caCertPem, caKey: b.caKeyPem, rootCert: b.rootCertPem, certChain: b.certChainPem }) as KubeObject;
  secret.metadata.labels = { ...MANAGED_BY };
  return summarize(await applyAll(clientOf(ctx, c.name), [secret], ctx.dryRun), ctx.dryRun);
}

type InstallKey = 'istio' | 'eastwest-gateway';

/**
 * Runs an install (istioctl or helm) of rendered files, skipped when exactly those files were
 * installed before and what they make is still there.
 */
async function install(ctx: ApplyContext, c: ClusterPlan, key: InstallKey, files: { name: string; yaml: string }[], present: () => Promise<boolean>, run: (paths: string[]) => Promise<string>): Promise<StepRun> {
  const k = clientOf(ctx, c.name);
  const hash = sha(files.map((f) => f.yaml).join('---\n'));
  const state = await readState(k);
  const tool = ctx.plan.mesh.istio.installer;
  if (state?.hashes[key] === hash && (await present())) return { changed: false, detail: `unchanged (installed ${tool} files ${hash})` };
  if (ctx.dryRun) return { changed: true, detail: `would run ${tool} for ${key} (${state?.hashes[key] ? 'files changed' : 'not installed'})` };
  await mkdir(ctx.workDir, { recursive: true });
  const paths: string[] = [];
  for (const f of files) {
    const path = join(ctx.workDir, `${c.name}-${f.name}`);
    await writeFile(path, f.yaml);
    paths.push(path);
  }
  const detail = await run(paths);
  await stateLock.run(c.name, async () => {
    const s = (await readState(k)) ?? { hashes: {} };
    await writeState(k, { ...s, hashes: { ...s.hashes, [key]: hash } });
  });
  return { changed: true, detail: `${detail} (${hash})` };
}

const target = (ctx: ApplyContext, c: ClusterPlan) => whereOf(ctx.kubeconfig, c);

async function istioStep(ctx: ApplyContext, c: ClusterPlan): Promise<StepRun> {
  const k = clientOf(ctx, c.name);
  const inputs = { gatewayAddresses: Object.fromEntries(ctx.gatewayAddresses) };
  const rev = ctx.plan.mesh.istio.revision;
  const present =
    c.role === 'primary'
      ? async () => !!(await getObject(k, { apiVersion: 'apps/v1', kind: 'Deployment', name: istiodName(rev), namespace: ISTIO_NAMESPACE }))
      : async () => !!(await getObject(k, { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'MutatingWebhookConfiguration', name: `istio-sidecar-injector${rev ? `-${rev}` : ''}` }));
  if (ctx.plan.mesh.istio.installer === 'helm') {
    const files = [
      { name: 'base.values.yaml', yaml: toYaml(helmBaseValues(ctx.plan, c)) },
      { name: 'istiod.values.yaml', yaml: toYaml(helmIstiodValues(ctx.plan, c, inputs)) },
    ];
    return install(ctx, c, 'istio', files, present, async ([base, istiod]) => {
      const opts = { wait: true, timeoutS: Math.round(ctx.waitTimeoutMs / 1000) };
      await helmUpgrade(ctx.helm, target(ctx, c), HELM_RELEASES.base, HELM_CHARTS.base, base!, opts);
      await helmUpgrade(ctx.helm, target(ctx, c), HELM_RELEASES.istiod(rev), HELM_CHARTS.istiod, istiod!, opts);
      return `helm upgrade --install ${HELM_RELEASES.base}, ${HELM_RELEASES.istiod(rev)}`;
    });
  }
  return install(ctx, c, 'istio', [{ name: 'istio.yaml', yaml: toYaml(istioOperator(ctx.plan, c, inputs)) }], present, async ([file]) => {
    await istioctl(ctx.istioctl, ['install', '-y', '-f', file!], target(ctx, c));
    return 'istioctl install -f istio';
  });
}

async function gatewayStep(ctx: ApplyContext, c: ClusterPlan): Promise<StepRun> {
  const k = clientOf(ctx, c.name);
  const present = async () => !!(await getObject(k, { apiVersion: 'v1', kind: 'Service', name: 'istio-eastwestgateway', namespace: ISTIO_NAMESPACE }));
  if (ctx.plan.mesh.istio.installer === 'helm') {
    return install(ctx, c, 'eastwest-gateway', [{ name: 'gateway.values.yaml', yaml: toYaml(helmGatewayValues(ctx.plan, c)) }], present, async ([file]) => {
      // No --wait: the gateway-address step waits for the address and says what is missing.
      await helmUpgrade(ctx.helm, target(ctx, c), HELM_RELEASES.gateway, HELM_CHARTS.gateway, file!, { wait: false, timeoutS: 0 });
      return `helm upgrade --install ${HELM_RELEASES.gateway}`;
    });
  }
  return install(ctx, c, 'eastwest-gateway', [{ name: 'eastwest-gateway.yaml', yaml: toYaml(eastWestGatewayOperator(ctx.plan, c)) }], present, async ([file]) => {
    await istioctl(ctx.istioctl, ['install', '-y', '-f', file!], target(ctx, c));
    return 'istioctl install -f eastwest-gateway';
  });
}

async function gatewayAddressStep(ctx: ApplyContext, c: ClusterPlan): Promise<StepRun> {
  const k = clientOf(ctx, c.name);
  if (ctx.dryRun) {
    const planned = c.eastWestGateway?.address;
    if (planned) ctx.gatewayAddresses.set(c.name, planned);
    return { changed: false, detail: `would wait for the gateway address${planned ? ` (planned ${planned})` : ''}` };
  }
  const address = await waitFor(
    async () => {
      const svc = await getObject(k, { apiVersion: 'v1', kind: 'Service', name: 'istio-eastwestgateway', namespace: ISTIO_NAMESPACE });
      const ingress = ((svc?.['status'] as { loadBalancer?: { ingress?: { ip?: string; hostname?: string }[] } } | undefined)?.loadBalancer?.ingress ?? [])[0];
      return ingress?.ip ?? ingress?.hostname;
    },
    {
      timeoutMs: ctx.waitTimeoutMs,
      what: "the east-west gateway's LoadBalancer address",
      cluster: c.name,
      hint:
        'the cluster needs a load balancer (cloud, MetalLB with loadBalancerPool, or the lab\'s)' +
        (c.eastWestGateway?.address ? `, and ${c.eastWestGateway.address} (pinned) must be free: another LoadBalancer Service may hold it; set eastWestGatewayAddress to a free one` : '') +
        ': check `kubectl -n istio-system get svc istio-eastwestgateway` and its events',
    },
  );
  ctx.gatewayAddresses.set(c.name, address);
  const planned = c.eastWestGateway?.address;
  return { changed: false, detail: planned && planned !== address ? `address ${address} (planned ${planned}: the load balancer ignored the pin)` : `address ${address}` };
}

async function exposeStep(ctx: ApplyContext, c: ClusterPlan, objects: unknown[]): Promise<StepRun> {
  const list = objects as KubeObject[];
  for (const o of list) o.metadata.labels = { ...(o.metadata.labels ?? {}), ...MANAGED_BY };
  return summarize(await applyAll(clientOf(ctx, c.name), list, ctx.dryRun), ctx.dryRun);
}

async function readerStep(ctx: ApplyContext, c: ClusterPlan): Promise<StepRun> {
  const k = clientOf(ctx, c.name);
  const r = await applyAll(k, remoteReader() as KubeObject[], ctx.dryRun);
  if (!ctx.dryRun)
    await waitFor(
      async () => {
        const s = await getObject(k, { apiVersion: 'v1', kind: 'Secret', name: READER_TOKEN_SECRET, namespace: ISTIO_NAMESPACE });
        const data = (s?.['data'] ?? {}) as Record<string, string>;
        return data['token'] && data['ca.crt'] ? true : undefined;
      },
      { timeoutMs: ctx.waitTimeoutMs, what: `the token of ${READER_SERVICE_ACCOUNT}`, cluster: c.name, hint: "kube-controller-manager fills service account token Secrets: check it runs with --service-account-private-key-file" },
    );
  return summarize(r, ctx.dryRun);
}

/** The kubeconfig `istioctl create-remote-secret` embeds: cluster, context and user all named after the cluster. */
export function remoteKubeconfig(cluster: string, server: string, caData: string, token: string): string {
  return toYaml({
    apiVersion: 'v1',
    clusters: [{ cluster: { 'certificate-authority-data': caData, server }, name: cluster }],
    contexts: [{ context: { cluster, user: cluster }, name: cluster }],
    'current-context': cluster,
    kind: 'Config',
    preferences: {},
    users: [{ name: cluster, user: { token } }],
  });
}

async function remoteSecretStep(ctx: ApplyContext, step: Step): Promise<StepRun> {
  const watched = clusterOf(ctx, step.watched!);
  const kw = clientOf(ctx, watched.name);
  const token = await getObject(kw, { apiVersion: 'v1', kind: 'Secret', name: READER_TOKEN_SECRET, namespace: ISTIO_NAMESPACE });
  const data = (token?.['data'] ?? {}) as Record<string, string>;
  if (!data['token'] || !data['ca.crt']) {
    if (ctx.dryRun) return { changed: true, detail: `would create ${remoteSecretName(watched.name)} once ${watched.name}'s reader token exists` };
    throw new ApplyError('MF8006', `${watched.name}: the reader token is not filled in`, 'rerun apply; kube-controller-manager must be running in that cluster', watched.name);
  }
  const server = watched.apiServer ?? kw.server;
  const kubeconfig = remoteKubeconfig(watched.name, server, data['ca.crt'], Buffer.from(data['token'], 'base64').toString('utf8'));
  const secret: KubeObject = {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: remoteSecretName(watched.name),
      namespace: ISTIO_NAMESPACE,
      annotations: { 'networking.istio.io/cluster': watched.name },
      labels: { 'istio/multiCluster': 'true', ...MANAGED_BY },
    },
    type: 'Opaque',
    data: { [watched.name]: Buffer.from(kubeconfig, 'utf8').toString('base64') },
  };
  return summarize(await applyAll(clientOf(ctx, step.cluster), [secret], ctx.dryRun), ctx.dryRun);
}

/** Runs one step of the plan against its cluster. */
export async function runStep(ctx: ApplyContext, step: Step): Promise<StepRun> {
  const c = clusterOf(ctx, step.cluster);
  switch (step.kind) {
    case 'namespace':
      return namespaceStep(ctx, c);
    case 'cacerts':
      return cacertsStep(ctx, c);
    case 'istio':
      return istioStep(ctx, c);
    case 'eastwest-gateway':
      return gatewayStep(ctx, c);
    case 'gateway-address':
      return gatewayAddressStep(ctx, c);
    case 'expose-istiod':
      return exposeStep(ctx, c, exposeIstiod(ctx.plan));
    case 'expose-services':
      return exposeStep(ctx, c, [exposeServices()]);
    case 'remote-reader':
      return readerStep(ctx, c);
    case 'remote-secret':
      return remoteSecretStep(ctx, step);
    case 'routes':
      return { changed: false, detail: `manual: run 90-routes.sh from \`meshfed render\` on every node of ${c.name}` };
  }
}

