import { createHash } from 'node:crypto';
import { FIELD_MANAGER, getObject, type KubeObject } from '../kube/index.js';
import { isPkiError, PKI_ERROR_CODES, readIntermediate } from '../pki/index.js';
import { DEFAULT_REVISION, ISTIO_NAMESPACE, OBJECTS, metadataOf, revisionOf, type ClusterPlan, type Plan, type Step } from '../plan/index.js';
import { cacertsSecret, exposeIstiod, exposeServices, mcsCrds, namespace, remoteReader, toYaml } from '../render/index.js';
import { clientOf, clusterOf, ownedBy, type ApplyContext } from './context.js';
import { ApplyError } from './errors.js';
import type { InstallComponent, InstallFile, MeshInstaller } from './installer.js';
import { applyAll, applyTracked, summarize } from './objects.js';
import { MANAGED_BY, readState, writeState } from './state.js';
import { waitFor } from './wait.js';
import { istiodReloads, ISTIOD_RELOADED, lastChangedAt, settledWithoutEvent, volumeSyncMs } from './istiodReload.js';
import { workloadCerts } from './workloadCerts.js';
import { checkRootStage } from './rootStageGate.js';
import { installVerifyRecord, verifyUpgrade } from './upgradeCheck.js';

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
  const k = clientOf(ctx, c.name);
  const gate = ctx.dryRun ? undefined : await checkRootStage(ctx, c, k, b);
  const applied = await applyTracked(k, secret, ctx.dryRun);
  const what = `${ctx.dryRun ? 'would change' : 'applied'} Secret/${OBJECTS.cacerts.name}`;
  if (ctx.dryRun) return { changed: applied.changed, detail: applied.changed ? what : `unchanged (Secret/${OBJECTS.cacerts.name})` };
  const loaded = await awaitCacertsLoaded(ctx, c, applied.object, b.caCertPem);
  return { changed: applied.changed, detail: [applied.changed ? what : `unchanged (Secret/${OBJECTS.cacerts.name})`, ...(gate ? [gate] : []), ...loaded].join('; ') };
}

/**
 * After cacerts changed under a running istiod: waits until every istiod has loaded it (istiodReload.ts),
 * then names the workloads whose certificate still comes from an earlier intermediate. They
 * keep working (same root) and pick up a new certificate at their next renewal or restart.
 * Nothing to say when no istiod runs or every istiod started after the change.
 */
async function awaitCacertsLoaded(ctx: ApplyContext, c: ClusterPlan, live: KubeObject, caCertPem: string): Promise<string[]> {
  const k = clientOf(ctx, c.name);
  const changedAt = lastChangedAt(live, FIELD_MANAGER);
  if (!changedAt) return [];
  const first = await istiodReloads(k, changedAt);
  if (first.length === 0 || first.every((r) => r.state.kind === 'loaded' && r.state.how === 'started after the change')) return [];
  const reloads = await waitFor(
    ctx.clock,
    async () => {
      const at = new Date(ctx.clock.now());
      const now = (await istiodReloads(k, changedAt)).map((r) => ({ ...r, state: settledWithoutEvent(r.state, changedAt, at, volumeSyncMs(ctx.plan.mesh.lab)) }));
      // A refusal from the second of the change may be about what was there before: it stands once no later verdict came for the volume sync time.
      const refused = now.find((r) => r.state.kind === 'refused' && (!r.state.early || at.getTime() - changedAt.getTime() >= volumeSyncMs(ctx.plan.mesh.lab)));
      if (refused && refused.state.kind === 'refused')
        throw new ApplyError({ code: 'MF8020', message: `${c.name}: istiod ${refused.pod} did not load the new cacerts: ${refused.state.line}`, hint: refusalHint(refused.state.line, c), cluster: c.name });
      return now.every((r) => r.state.kind === 'loaded') ? now : undefined;
    },
    { timeoutMs: ctx.waitTimeoutMs, intervalMs: 1000, what: `istiod to load the new cacerts (its log line "${ISTIOD_RELOADED}")`, cluster: c.name, hint: `the kubelet rewrites Secret volumes on its next pod sync (about a minute); check \`kubectl --context ${c.context} -n ${ISTIO_NAMESPACE} logs -l app=istiod | grep cacerts\``, },
  );
  const certs = await workloadCerts(k, caCertPem);
  const previous = certs.filter((w) => w.state === 'previous');
  const unreadable = certs.filter((w) => w.state === 'unreadable');
  const lines = [`istiod loaded it (${reloads.map((r) => `${r.pod}: ${r.state.kind === 'loaded' ? r.state.how : r.state.kind}`).join(', ')})`];
  lines.push(
    previous.length === 0
      ? `no workload holds a certificate from an earlier intermediate (${certs.length - unreadable.length} checked)`
      : `${previous.length} of ${certs.length} workloads still hold a certificate from an earlier intermediate: ${previous.map((w) => `${w.namespace}/${w.pod}`).join(', ')} (they renew it themselves before it expires; to switch now: kubectl rollout restart their deployments)`,
  );
  if (unreadable.length) lines.push(`${unreadable.length} workloads' certificates could not be read: ${unreadable.map((w) => `${w.namespace}/${w.pod}`).join(', ')}`);
  return lines;
}

function refusalHint(line: string, c: ClusterPlan): string {
  if (line.includes('Multi root is disabled')) return 'the new cacerts carries another root bundle; istiod takes one only with ISTIO_MULTIROOT_MESH=true (meshfed renders it for a root rotation): re-render and apply the istio step, or restart istiod';
  if (line.includes('ROOT-CA not supported')) return 'istiod takes a new root bundle only when it contains the old one or is contained in it: rotate the root with `meshfed certs --rotate-root`, stage by stage';
  return `see istiod's log: kubectl --context ${c.context} -n ${ISTIO_NAMESPACE} logs -l app=istiod`;
}

// The files do not name the version: without it in the hash a new version would change nothing.
const hashOf = (tool: string, version: string, files: InstallFile[]) => sha(`${tool} ${version}\n${files.map((f) => f.yaml).join('---\n')}`);

/** The hash apply records for a component's install (what `plan` compares with the cluster's record). */
export function installHash(plan: Plan, installer: MeshInstaller, c: ClusterPlan, component: InstallComponent, gatewayAddresses: Record<string, string>): string {
  return hashOf(installer.tool, plan.mesh.istio.version, installer.files(c, component, { gatewayAddresses }));
}

/**
 * Runs the installer (istioctl or helm) on its rendered files, skipped when exactly those files
 * were installed before, with the same Istio version and installer, and what they make (the
 * step's first object) is still there. A cluster that runs an older version of the same
 * revision is upgraded in place (`istioctl upgrade`), and checked before the step ends
 * (upgradeCheck.ts): the next cluster starts only after this one verified.
 */
async function install(ctx: ApplyContext, step: Step, c: ClusterPlan, component: InstallComponent): Promise<StepRun> {
  const k = clientOf(ctx, c.name);
  const files = ctx.installer.files(c, component, { gatewayAddresses: Object.fromEntries(ctx.gatewayAddresses) });
  const { version, revision } = ctx.plan.mesh.istio;
  const tool = ctx.installer.tool;
  const hash = hashOf(tool, version, files);
  const state = await readState(k);
  const marker = ownedBy(c, step)[0];
  const present = async () => !marker || !!(await getObject(k, marker));
  // A record of another version (one meshfed's own record or an operator changed) is an upgrade too.
  const sameVersion = component !== 'istio' || !state?.version || state.version === version;
  if (state?.hashes[component] === hash && sameVersion && (await present())) return { changed: false, detail: `unchanged (installed ${tool} files ${hash})` };
  const upgrade = component === 'istio' && !!state?.version && state.version !== version && (state.revision ?? DEFAULT_REVISION) === revisionOf(revision);
  const what = upgrade ? `upgrade ${state?.version} → ${version}` : state?.hashes[component] ? 'files changed' : 'not installed';
  if (ctx.dryRun) return { changed: true, detail: `would run ${tool} for ${component} (${what})` };
  const done = await installVerifyRecord({
    install: () => ctx.installer.install(c, component, files, { timeoutMs: ctx.waitTimeoutMs, upgrade }),
    ...(upgrade ? { verify: () => verifyUpgrade(ctx, c, state?.version ?? '?', version) } : {}),
    record: () =>
      ctx.stateLock.run(c.name, async () => {
        const s = (await readState(k)) ?? { hashes: {} };
        const control = component === 'istio' ? { version, revision: revisionOf(revision), installer: tool, revisions: [...(s.revisions ?? (s.revision ? [s.revision] : [])), revisionOf(revision)] } : {};
        await writeState(k, { ...s, hashes: { ...s.hashes, [component]: hash }, ...control });
      }),
  });
  const verified = done.verified ? `; verified: ${done.verified}` : '';
  return { changed: true, detail: `${done.installed}${upgrade ? ` (${state?.version} → ${version})` : ''} (${hash})${verified}` };
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

/** The MCS CRDs, then a wait until the API server serves them (the MCS controller writes imports next). */
export async function runMcsCrds(ctx: ApplyContext, _step: Step, c: ClusterPlan): Promise<StepRun> {
  const k = clientOf(ctx, c.name);
  const r = await applyAll(k, mcsCrds() as KubeObject[], ctx.dryRun);
  if (!ctx.dryRun)
    for (const ref of OBJECTS.mcsCrds)
      await waitFor(
        ctx.clock,
        async () => {
          const conditions = ((await getObject(k, ref))?.['status'] as { conditions?: { type?: string; status?: string }[] } | undefined)?.conditions ?? [];
          return conditions.some((x) => x.type === 'Established' && x.status === 'True') ? true : undefined;
        },
        { timeoutMs: ctx.waitTimeoutMs, what: `the CRD ${ref.name} to be established`, cluster: c.name, hint: 'the API server did not accept the CRD; check its log' },
      );
  return summarize(r, ctx.dryRun);
}

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
