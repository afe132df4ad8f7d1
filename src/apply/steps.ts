import { createHash } from 'node:crypto';
import { getObject, type KubeObject } from '../kube/index.js';
import { isPkiError, PKI_ERROR_CODES, readIntermediate } from '../pki/index.js';
import { OBJECTS, metadataOf, type ClusterPlan, type Step } from '../plan/index.js';
import { cacertsSecret, exposeIstiod, exposeServices, namespace, remoteReader, toYaml } from '../render/index.js';
import { clientOf, clusterOf, ownedBy, type ApplyContext } from './context.js';
import { ApplyError } from './errors.js';
import type { InstallComponent } from './installer.js';
import { applyAll, applyTracked, summarize } from './objects.js';
import { MANAGED_BY, readState, writeState } from './state.js';
import { waitFor } from './wait.js';

/** What a step did: whether it changed anything, and what, for people. */
export interface StepRun {
  changed: boolean;
  detail: string;
}

const sha = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 16);

export async function runNamespace(ctx: ApplyContext, _step: Step, c: ClusterPlan): Promise<StepRun> {
  const k = clientOf(ctx, c.name);
  const existed = await getObject(k, OBJECTS.namespace);
  const r = await applyTracked(k, namespace(c) as KubeObject, ctx.dryRun);
  if (!ctx.dryRun)
    await ctx.stateLock.run(c.name, async () => {
      const s = (await readState(k)) ?? { hashes: {} };
      // Remember only the first time: a re-run must not forget that meshfed created it.
      await writeState(k, { ...s, mesh: ctx.plan.mesh.name, namespaceCreated: s.namespaceCreated ?? String(!existed) });
    });
  return { changed: r.changed, detail: r.changed ? `${ctx.dryRun ? 'would apply' : 'applied'} namespace ${OBJECTS.namespace.name}${existed ? '' : ' (created)'}` : 'unchanged' };
}

export async function runCacerts(ctx: ApplyContext, _step: Step, c: ClusterPlan): Promise<StepRun> {
  let b;
  try {
    b = await readIntermediate(ctx.rootDir, c.name);
  } catch (e) {
    // Trust material that is there but unfit to ship (expired, not yet valid, outliving its
    // root, of another root, a readable key) stops the step with its own code.
    if (isPkiError(e) && e.code !== PKI_ERROR_CODES.bundleMissing) throw e;
    const err = e as { message?: string; hint?: string };
    throw new ApplyError({ code: 'MF8003', message: `no usable intermediate CA for ${c.name} in ${ctx.rootDir}: ${err.message ?? String(e)}`, hint: err.hint ?? 'run `meshfed certs -f mesh.yaml` first', cluster: c.name });
  }
  const secret = cacertsSecret({ caCert: b.caCertPem, caKey: b.caKeyPem, rootCert: b.rootCertPem, certChain: b.certChainPem }) as KubeObject;
  secret.metadata.labels = { ...MANAGED_BY };
  return summarize(await applyAll(clientOf(ctx, c.name), [secret], ctx.dryRun), ctx.dryRun);
}

/**
 * Runs the installer (istioctl or helm) on its rendered files, skipped when exactly those files
 * were installed before and what they make (the step's first object) is still there.
 */
async function install(ctx: ApplyContext, step: Step, c: ClusterPlan, component: InstallComponent): Promise<StepRun> {
  const k = clientOf(ctx, c.name);
  const files = ctx.installer.files(c, component, { gatewayAddresses: Object.fromEntries(ctx.gatewayAddresses) });
  const hash = sha(files.map((f) => f.yaml).join('---\n'));
  const state = await readState(k);
  const tool = ctx.installer.tool;
  const marker = ownedBy(c, step)[0];
  const present = async () => !marker || !!(await getObject(k, marker));
  if (state?.hashes[component] === hash && (await present())) return { changed: false, detail: `unchanged (installed ${tool} files ${hash})` };
  if (ctx.dryRun) return { changed: true, detail: `would run ${tool} for ${component} (${state?.hashes[component] ? 'files changed' : 'not installed'})` };
  const detail = await ctx.installer.install(c, component, files, { timeoutMs: ctx.waitTimeoutMs });
  await ctx.stateLock.run(c.name, async () => {
    const s = (await readState(k)) ?? { hashes: {} };
    await writeState(k, { ...s, hashes: { ...s.hashes, [component]: hash } });
  });
  return { changed: true, detail: `${detail} (${hash})` };
}

export const runIstio = (ctx: ApplyContext, step: Step, c: ClusterPlan): Promise<StepRun> => install(ctx, step, c, 'istio');
export const runEastWestGateway = (ctx: ApplyContext, step: Step, c: ClusterPlan): Promise<StepRun> => install(ctx, step, c, 'eastwest-gateway');

export async function runGatewayAddress(ctx: ApplyContext, _step: Step, c: ClusterPlan): Promise<StepRun> {
  const k = clientOf(ctx, c.name);
  if (ctx.dryRun) {
    const planned = c.eastWestGateway?.address;
    if (planned) ctx.gatewayAddresses.set(c.name, planned);
    return { changed: false, detail: `would wait for the gateway address${planned ? ` (planned ${planned})` : ''}` };
  }
  const address = await waitFor(
    ctx.clock,
    async () => {
      const svc = await getObject(k, OBJECTS.eastWestService);
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
        `: check \`kubectl -n ${OBJECTS.eastWestService.namespace} get svc ${OBJECTS.eastWestService.name}\` and its events`,
    },
  );
  ctx.gatewayAddresses.set(c.name, address);
  const planned = c.eastWestGateway?.address;
  return { changed: false, detail: planned && planned !== address ? `address ${address} (planned ${planned}: the load balancer ignored the pin)` : `address ${address}` };
}

async function applyExpose(ctx: ApplyContext, c: ClusterPlan, objects: unknown[]): Promise<StepRun> {
  const list = objects as KubeObject[];
  for (const o of list) o.metadata.labels = { ...(o.metadata.labels ?? {}), ...MANAGED_BY };
  return summarize(await applyAll(clientOf(ctx, c.name), list, ctx.dryRun), ctx.dryRun);
}

export const runExposeIstiod = (ctx: ApplyContext, _step: Step, c: ClusterPlan): Promise<StepRun> => applyExpose(ctx, c, exposeIstiod(ctx.plan));
export const runExposeServices = (ctx: ApplyContext, _step: Step, c: ClusterPlan): Promise<StepRun> => applyExpose(ctx, c, [exposeServices()]);

export async function runRemoteReader(ctx: ApplyContext, _step: Step, c: ClusterPlan): Promise<StepRun> {
  const k = clientOf(ctx, c.name);
  const r = await applyAll(k, remoteReader() as KubeObject[], ctx.dryRun);
  if (!ctx.dryRun)
    await waitFor(
      ctx.clock,
      async () => {
        const s = await getObject(k, OBJECTS.readerToken);
        const data = (s?.['data'] ?? {}) as Record<string, string>;
        return data['token'] && data['ca.crt'] ? true : undefined;
      },
      { timeoutMs: ctx.waitTimeoutMs, what: `the token of ${OBJECTS.readerServiceAccount.name}`, cluster: c.name, hint: "kube-controller-manager fills service account token Secrets: check it runs with --service-account-private-key-file" },
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

export async function runRemoteSecret(ctx: ApplyContext, step: Step): Promise<StepRun> {
  const watched = clusterOf(ctx, step.watched!);
  const kw = clientOf(ctx, watched.name);
  const token = await getObject(kw, OBJECTS.readerToken);
  const data = (token?.['data'] ?? {}) as Record<string, string>;
  if (!data['token'] || !data['ca.crt']) {
    if (ctx.dryRun) return { changed: true, detail: `would create ${OBJECTS.remoteSecret(watched.name).name} once ${watched.name}'s reader token exists` };
    throw new ApplyError({ code: 'MF8006', message: `${watched.name}: the reader token is not filled in`, hint: 'rerun apply; kube-controller-manager must be running in that cluster', cluster: watched.name });
  }
  const server = watched.apiServer ?? kw.server;
  const kubeconfig = remoteKubeconfig(watched.name, server, data['ca.crt'], Buffer.from(data['token'], 'base64').toString('utf8'));
  const secret: KubeObject = {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      ...metadataOf(OBJECTS.remoteSecret(watched.name)),
      annotations: { 'networking.istio.io/cluster': watched.name },
      labels: { 'istio/multiCluster': 'true', ...MANAGED_BY },
    },
    type: 'Opaque',
    data: { [watched.name]: Buffer.from(kubeconfig, 'utf8').toString('base64') },
  };
  return summarize(await applyAll(clientOf(ctx, step.cluster), [secret], ctx.dryRun), ctx.dryRun);
}

export async function runRoutes(_ctx: ApplyContext, _step: Step, c: ClusterPlan): Promise<StepRun> {
  return { changed: false, detail: `manual: run 90-routes.sh from \`meshfed render\` on every node of ${c.name}` };
}
