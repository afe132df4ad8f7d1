/**
 * Starts the processes of one lab pod inside its network namespace: fetches what its spec
 * names (secrets, config maps, bound service account tokens; for an injected pod the
 * injector values and mesh config of its revision), writes the pod's files under its root
 * folder, gives it the names it dials (hosts.ts) and spawns workloadPlan.ts's processes with
 * `ip netns exec`. The imperative half of podSpec.ts, grpcAgent.ts and workloadPlan.ts.
 */
import { existsSync, mkdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { applyObject, getObject, listObjects, pollUntil, sleep, type KubeClients, type KubeObject } from '../kube/index.js';
import type { LabBinaries } from './binaries.js';
import { injectGrpcAgent, injectionRevision, revisionConfigMaps, serviceOfHost, splitHostPort, type InjectorValues, type MeshConfigLike, type NamespaceLike } from './grpcAgent.js';
import type { LabWorkload } from './images.js';
import { writeNetnsHosts } from './netns.js';
import { spawnComponent } from './processes.js';
import { referencedObjects, tokenKey, tokenRequests, volumeFiles, volumeUpdates, type ObjectRefs, type PodFile, type PodInputs, type PodObject } from './podSpec.js';
import { workloadPlan, type ApiServerAccess, type PodRunPlan } from './workloadPlan.js';

export interface PodStartContext {
  clients: KubeClients;
  cluster: string;
  netns: string;
  /** The pod's root folder (emptied first: a restarted pod starts from nothing, as a container does). */
  root: string;
  /** A short folder for the pod's `/etc/istio/proxy` (its XDS unix socket; see injectGrpcAgent). */
  xdsDir: string;
  /** Where each container's output goes. */
  logPath: (container: string) => string;
  binaries: Pick<LabBinaries, 'pilotDiscovery' | 'pilotAgent' | 'echoServer'>;
  apiServer: ApiServerAccess;
  signal: AbortSignal;
  log: (line: string) => void;
}

const POLL = { intervalMs: 1_000, timeoutMs: 10 * 60_000 };
const PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

type Data = Record<string, string>;
const objectData = (o: KubeObject | undefined, base64: boolean): Data | undefined => {
  if (!o) return undefined;
  const data = ((o as unknown as { data?: Data }).data ?? {}) as Data;
  return base64 ? Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')])) : data;
};

/** Waits (as a kubelet does) until `read` gives something; throws when aborted or timed out. */
async function waitFor<T>(what: string, ctx: PodStartContext, read: () => Promise<T | undefined>): Promise<T> {
  let said = false;
  const result = await pollUntil(
    async () => {
      if (ctx.signal.aborted) return { aborted: true as const };
      const value = await read().catch(() => undefined);
      if (value === undefined && !said) {
        ctx.log(`${ctx.cluster}: ${ctx.netns}: waiting for ${what}`);
        said = true;
      }
      return value === undefined ? undefined : { value };
    },
    { ...POLL, sleep: (ms) => sleep(ms, ctx.signal) },
  );
  if ('timedOut' in result) throw new Error(`gave up waiting for ${what}`);
  if ('aborted' in result.value) throw new Error('the pod went away');
  return result.value.value;
}

async function readConfigMap(clients: KubeClients, namespace: string, name: string): Promise<Data | undefined> {
  return objectData(await getObject(clients, { apiVersion: 'v1', kind: 'ConfigMap', namespace, name }), false);
}

/** The first ready endpoint address of a Service: the lab has no kube-proxy, so a pod dials it. */
export async function serviceEndpoint(clients: KubeClients, svc: { name: string; namespace: string }): Promise<string | undefined> {
  const slices = await listObjects(clients, 'discovery.k8s.io/v1', 'EndpointSlice', { namespace: svc.namespace, labelSelector: `kubernetes.io/service-name=${svc.name}` });
  for (const s of slices as unknown as { endpoints?: { addresses: string[]; conditions?: { ready?: boolean } }[] }[]) {
    const ep = (s.endpoints ?? []).find((e) => e.conditions?.ready !== false && e.addresses.length > 0);
    if (ep) return ep.addresses[0];
  }
  return undefined;
}

async function boundToken(clients: KubeClients, pod: PodObject, audience: string | undefined, expirationSeconds: number): Promise<string> {
  const res = await clients.core.createNamespacedServiceAccountToken({
    name: pod.spec?.serviceAccountName ?? 'default',
    namespace: pod.metadata.namespace,
    body: { spec: { audiences: audience ? [audience] : [], expirationSeconds, boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: pod.metadata.name, ...(pod.metadata.uid ? { uid: pod.metadata.uid } : {}) } } },
  });
  const token = res.status?.token;
  if (!token) throw new Error('the API server returned no token');
  return token;
}

export interface StartedPod {
  pids: number[];
  /** For kwok's Exec object: what `kubectl exec` into each container sees (workloadPlan.ts). */
  execContexts: PodRunPlan['execContexts'];
}

/** Starts the pod's processes. Throws (with a reason to log) when the pod cannot start. */
export async function startLabPod(original: PodObject, workload: LabWorkload, ctx: PodStartContext): Promise<StartedPod> {
  const { clients } = ctx;
  const ns = original.metadata.namespace;
  rmSync(ctx.root, { recursive: true, force: true });
  mkdirSync(ctx.root, { recursive: true, mode: 0o700 });

  let pod = original;
  let clusterID: string | undefined;
  const dials: string[] = [];
  if (workload.kind !== 'istiod') {
    const namespace = (await getObject(clients, { apiVersion: 'v1', kind: 'Namespace', name: ns })) as NamespaceLike | undefined;
    const asked = injectionRevision(original, namespace);
    // A revision tag (`istioctl tag set`) is a webhook of its own naming the revision it
    // injects with; `default` also serves `istio-injection=enabled` once it exists.
    const tagged = asked ? (await getObject(clients, { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'MutatingWebhookConfiguration', name: `istio-revision-tag-${asked}` }))?.metadata.labels?.['istio.io/rev'] : undefined;
    const rev = tagged ?? asked;
    if (rev) {
      // The webhook's template labels the pod with the revision that injected it (what
      // `istioctl x precheck` and meshfed's canary read to know a revision is still used).
      if (original.metadata.labels?.['istio.io/rev'] !== rev)
        await applyObject(clients, { apiVersion: 'v1', kind: 'Pod', metadata: { name: original.metadata.name, namespace: ns, labels: { 'istio.io/rev': rev } } }, { fieldManager: 'meshfed-lab-injector' }).catch((e: unknown) => ctx.log(`${ctx.cluster}: ${ns}/${original.metadata.name}: could not label istio.io/rev=${rev}: ${(e as Error).message}`));
      const names = revisionConfigMaps(rev);
      const { values, mesh } = await waitFor(`ConfigMap istio-system/${names.injector} (or ${names.remoteValues} in a remote)`, ctx, async () => {
        const injector = await readConfigMap(clients, 'istio-system', names.injector);
        if (injector) {
          const meshData = await readConfigMap(clients, 'istio-system', names.mesh);
          if (!meshData) return undefined;
          return { values: JSON.parse(injector['values'] ?? '{}') as InjectorValues, mesh: (parseYaml(meshData['mesh'] ?? '') ?? {}) as MeshConfigLike };
        }
        const remote = await readConfigMap(clients, 'istio-system', names.remoteValues);
        if (!remote?.['merged-values']) return undefined;
        const merged = JSON.parse(remote['merged-values']) as InjectorValues & { meshConfig?: MeshConfigLike };
        return { values: merged, mesh: merged.meshConfig ?? {} };
      });
      rmSync(ctx.xdsDir, { recursive: true, force: true });
      mkdirSync(ctx.xdsDir, { recursive: true, mode: 0o700 });
      mkdirSync(join(ctx.root, 'etc/istio'), { recursive: true });
      symlinkSync(ctx.xdsDir, join(ctx.root, 'etc/istio/proxy'));
      const injected = injectGrpcAgent(original, namespace, values, mesh, ctx.xdsDir);
      pod = injected.pod;
      clusterID = injected.clusterID;
      dials.push(splitHostPort(injected.discoveryAddress).host, splitHostPort(injected.caAddress).host);
    }
  }

  const refs = referencedObjects(pod);
  const { secrets, configMaps } = await readReferenced(clients, ns, refs, (what, read) => waitFor(what, ctx, read));
  const tokens = new Map<string, string>();
  for (const t of [...tokenRequests(pod), { expirationSeconds: 3607 }]) {
    tokens.set(tokenKey(t.audience, t.expirationSeconds), await boundToken(clients, pod, t.audience, t.expirationSeconds));
  }
  const inputs: PodInputs = { secrets, configMaps, tokens, cpus: availableParallelism() };
  const plan = workloadPlan({ pod, workload, inputs, root: ctx.root, binaries: ctx.binaries, cluster: ctx.cluster, apiServer: ctx.apiServer, ...(clusterID ? { clusterID } : {}) });
  for (const d of plan.dirs) mkdirSync(join(ctx.root, d), { recursive: true });
  for (const f of plan.files) {
    mkdirSync(dirname(join(ctx.root, f.path)), { recursive: true });
    writeFileSync(join(ctx.root, f.path), f.content, { mode: f.mode });
  }

  // The names the agent dials: a Service of the pod's own cluster, at its endpoint.
  const hosts: { ip: string; names: string[] }[] = [];
  for (const host of [...new Set(dials)]) {
    const svc = serviceOfHost(host);
    if (!svc) continue;
    const ip = await waitFor(`an endpoint of Service ${svc.namespace}/${svc.name} (for ${host})`, ctx, () => serviceEndpoint(clients, svc));
    hosts.push({ ip, names: [host] });
  }
  writeNetnsHosts(ctx.netns, hosts);

  const pids: number[] = [];
  for (const p of plan.processes) {
    if (p.waitFor) {
      const file = p.waitFor;
      await waitFor(`${file} (written by the agent)`, ctx, async () => (existsSync(file) ? true : undefined));
    }
    if (ctx.signal.aborted) throw new Error('the pod went away');
    const logPath = ctx.logPath(p.container);
    mkdirSync(dirname(logPath), { recursive: true });
    // Its own UTS namespace named after the pod, as a pod's hostname is (the echo app answers with it).
    const hostname = ['unshare', '--uts', '--', 'sh', '-c', 'hostname "$0" && exec "$@"', original.metadata.name];
    const started = spawnComponent({ binary: 'ip', args: ['netns', 'exec', ctx.netns, ...hostname, p.binary, ...p.args], env: { PATH, HOSTNAME: original.metadata.name, ...p.env }, cwd: ctx.root, logPath, inheritEnv: false, logFormat: 'cri' });
    pids.push(started.pid);
    ctx.log(`${ctx.cluster}: ${ns}/${original.metadata.name}: ${p.container} started (${p.binary.split('/').pop()}, pid ${started.pid})`);
  }
  void syncVolumes(pod, refs, inputs, ctx);
  return { pids, execContexts: plan.execContexts };
}

/**
 * How often the lab's kubelet stand-in re-reads the Secrets and ConfigMaps a running pod
 * mounts. A kubelet does this on every pod sync (syncFrequency, 1 min by default, plus its
 * object cache's TTL); the lab syncs more often so a rotation test does not wait minutes.
 */
export const VOLUME_SYNC_MS = 3_000;

type ReadOrWait = <T>(what: string, read: () => Promise<T | undefined>) => Promise<T>;

/** The data of the Secrets and ConfigMaps a pod names; `required` waits for an object that must exist. */
async function readReferenced(clients: KubeClients, ns: string, refs: ObjectRefs, required: ReadOrWait): Promise<{ secrets: Map<string, Data>; configMaps: Map<string, Data> }> {
  const secrets = new Map<string, Data>();
  const configMaps = new Map<string, Data>();
  for (const [name, optional] of refs.secrets) {
    const read = async () => objectData(await getObject(clients, { apiVersion: 'v1', kind: 'Secret', namespace: ns, name }), true);
    const data = optional ? await read() : await required(`Secret ${ns}/${name}`, read);
    if (data) secrets.set(name, data);
  }
  for (const [name, optional] of refs.configMaps) {
    const read = () => readConfigMap(clients, ns, name);
    const data = optional ? await read() : await required(`ConfigMap ${ns}/${name}`, read);
    if (data) configMaps.set(name, data);
  }
  return { secrets, configMaps };
}

const podVolumeFiles = (pod: PodObject, inputs: PodInputs): PodFile[] => (pod.spec?.containers ?? []).flatMap((c) => volumeFiles(pod, c, inputs).files);

/**
 * Keeps a running pod's Secret and ConfigMap volumes up to date, as a kubelet does (env values
 * and subPath mounts are never updated, there as here). Changed files are all written first
 * and then renamed into place, so a process watching the folder (istiod watches its cacerts)
 * sees one burst of complete files, as with the kubelet's atomic writer.
 */
async function syncVolumes(pod: PodObject, refs: ObjectRefs, inputs: PodInputs, ctx: PodStartContext): Promise<void> {
  let written = podVolumeFiles(pod, inputs);
  const missing = async <T>(_what: string, read: () => Promise<T | undefined>): Promise<T> => {
    const v = await read();
    if (v === undefined) throw new Error('gone');
    return v;
  };
  while (!ctx.signal.aborted) {
    await sleep(VOLUME_SYNC_MS, ctx.signal).catch(() => undefined);
    if (ctx.signal.aborted) return;
    try {
      const fresh = await readReferenced(ctx.clients, pod.metadata.namespace, refs, missing);
      const next = podVolumeFiles(pod, { ...inputs, ...fresh });
      const changed = volumeUpdates(written, next);
      if (changed.length === 0) continue;
      const staged = changed.map((f) => {
        const path = join(ctx.root, f.path);
        const tmp = join(dirname(path), `..${f.path.split('/').pop()}.tmp`);
        writeFileSync(tmp, f.content, { mode: f.mode });
        return { tmp, path };
      });
      for (const { tmp, path } of staged) renameSync(tmp, path);
      written = next;
      ctx.log(`${ctx.cluster}: ${pod.metadata.namespace}/${pod.metadata.name}: volumes updated (${changed.map((f) => f.path).join(', ')})`);
    } catch {
      // A Secret deleted or an API server away: keep what is there, as a kubelet does, and retry.
    }
  }
}
