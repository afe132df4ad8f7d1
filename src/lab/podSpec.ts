/**
 * The part of a kubelet the lab needs to run a pod's container as a process: the container's
 * environment (with `valueFrom` and `$(VAR)` resolved) and its volumes as files under the
 * pod's own root folder. Pure: what it needs from the API (secrets, config maps, tokens) is
 * handed in as `PodInputs`, and what to write comes out as `PodFile`s.
 *
 * The process runs with the pod's root folder as its working directory, so Istio's relative
 * defaults (`./etc/cacerts`, `./var/run/secrets/tokens/istio-token`) find the volumes where a
 * container finds them at `/`. An absolute path in an environment value that lies under one
 * of the container's mount paths is moved under the root too (`rebase`).
 */
import { posix } from 'node:path';

export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: {
    fieldRef?: { fieldPath: string };
    resourceFieldRef?: { resource: string; divisor?: string };
    secretKeyRef?: { name: string; key: string; optional?: boolean };
    configMapKeyRef?: { name: string; key: string; optional?: boolean };
  };
}

export interface ContainerSpec {
  name: string;
  image?: string;
  command?: string[];
  args?: string[];
  env?: EnvVar[];
  ports?: { containerPort: number; name?: string; protocol?: string }[];
  volumeMounts?: { name: string; mountPath: string; subPath?: string }[];
}

type KeyItems = { key: string; path: string }[];
export interface ProjectionSource {
  serviceAccountToken?: { audience?: string; expirationSeconds?: number; path: string };
  configMap?: { name: string; items?: KeyItems; optional?: boolean };
  secret?: { name: string; items?: KeyItems; optional?: boolean };
  downwardAPI?: { items: { path: string; fieldRef?: { fieldPath: string } }[] };
}

export interface VolumeSpec {
  name: string;
  emptyDir?: Record<string, unknown> | null;
  secret?: { secretName: string; items?: KeyItems; optional?: boolean };
  configMap?: { name: string; items?: KeyItems; optional?: boolean };
  projected?: { sources: ProjectionSource[] };
  downwardAPI?: { items: { path: string; fieldRef?: { fieldPath: string } }[] };
}

export interface PodObject {
  metadata: { name: string; namespace: string; uid?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: { nodeName?: string; serviceAccountName?: string; containers?: ContainerSpec[]; volumes?: VolumeSpec[] };
  status?: { podIP?: string; hostIP?: string; phase?: string };
}

/** What the API server gave for a pod: data of the secrets and config maps it names, and tokens. */
export interface PodInputs {
  /** name → key → value (already decoded); a missing name is a missing object. */
  secrets: ReadonlyMap<string, Record<string, string>>;
  configMaps: ReadonlyMap<string, Record<string, string>>;
  /** `tokenKey(audience, expirationSeconds)` → a token bound to the pod. */
  tokens: ReadonlyMap<string, string>;
  /** CPUs the "node" offers, for resourceFieldRef without a limit. */
  cpus: number;
}

export interface PodFile {
  /** Relative to the pod's root folder. */
  path: string;
  content: string;
  mode: number;
}

export const tokenKey = (audience: string | undefined, expirationSeconds: number | undefined): string => `${audience ?? ''}|${expirationSeconds ?? 3607}`;

/** Every service account token a pod's volumes ask for: what the caller must request. */
export function tokenRequests(pod: PodObject): { audience?: string; expirationSeconds: number }[] {
  const seen = new Map<string, { audience?: string; expirationSeconds: number }>();
  for (const v of pod.spec?.volumes ?? []) {
    for (const s of v.projected?.sources ?? []) {
      const t = s.serviceAccountToken;
      if (!t) continue;
      const exp = Math.max(600, t.expirationSeconds ?? 3607);
      seen.set(tokenKey(t.audience, exp), { ...(t.audience ? { audience: t.audience } : {}), expirationSeconds: exp });
    }
  }
  return [...seen.values()];
}

export interface ObjectRefs {
  /** name → optional (a volume of a missing, non-optional object holds the pod back, as the kubelet does). */
  secrets: Map<string, boolean>;
  configMaps: Map<string, boolean>;
}

/** The secrets and config maps a pod's volumes and env refer to. */
export function referencedObjects(pod: PodObject): ObjectRefs {
  const secrets = new Map<string, boolean>();
  const configMaps = new Map<string, boolean>();
  // Required wins when one object is named twice.
  const add = (m: Map<string, boolean>, name: string, optional: boolean | undefined) => m.set(name, (m.get(name) ?? true) && optional === true);
  for (const v of pod.spec?.volumes ?? []) {
    if (v.secret) add(secrets, v.secret.secretName, v.secret.optional);
    if (v.configMap) add(configMaps, v.configMap.name, v.configMap.optional);
    for (const s of v.projected?.sources ?? []) {
      if (s.secret) add(secrets, s.secret.name, s.secret.optional);
      if (s.configMap) add(configMaps, s.configMap.name, s.configMap.optional);
    }
  }
  for (const c of pod.spec?.containers ?? []) {
    for (const e of c.env ?? []) {
      if (e.valueFrom?.secretKeyRef) add(secrets, e.valueFrom.secretKeyRef.name, e.valueFrom.secretKeyRef.optional);
      if (e.valueFrom?.configMapKeyRef) add(configMaps, e.valueFrom.configMapKeyRef.name, e.valueFrom.configMapKeyRef.optional);
    }
  }
  return { secrets, configMaps };
}

function fieldValue(pod: PodObject, fieldPath: string): string {
  const label = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(fieldPath);
  if (label) return (label[1] === 'labels' ? pod.metadata.labels : pod.metadata.annotations)?.[label[2]!] ?? '';
  switch (fieldPath) {
    case 'metadata.name':
      return pod.metadata.name;
    case 'metadata.namespace':
      return pod.metadata.namespace;
    case 'metadata.uid':
      return pod.metadata.uid ?? '';
    case 'metadata.labels':
      return formatMap(pod.metadata.labels);
    case 'metadata.annotations':
      return formatMap(pod.metadata.annotations);
    case 'spec.serviceAccountName':
      return pod.spec?.serviceAccountName ?? 'default';
    case 'spec.nodeName':
      return pod.spec?.nodeName ?? '';
    case 'status.podIP':
    case 'status.podIPs':
      return pod.status?.podIP ?? '';
    case 'status.hostIP':
    case 'status.hostIPs':
      return pod.status?.hostIP ?? '';
    default:
      return '';
  }
}

/** The kubelet's downward API format for a map: `key="value"` lines, sorted. */
function formatMap(m: Record<string, string> | undefined): string {
  return Object.keys(m ?? {})
    .sort()
    .map((k) => `${k}=${JSON.stringify(m![k])}`)
    .join('\n');
}

/** `/etc/cacerts/x` → `<root>/etc/cacerts/x` when it lies under one of the container's mounts. */
export function rebase(value: string, root: string, container: ContainerSpec): string {
  const under = (container.volumeMounts ?? []).some((m) => value === m.mountPath || value.startsWith(m.mountPath.endsWith('/') ? m.mountPath : `${m.mountPath}/`));
  return under ? posix.join(root, value) : value;
}

/** `$(NAME)` references to earlier variables, as the kubelet expands them; `$$` escapes. */
export function expandVars(s: string, env: Readonly<Record<string, string>>): string {
  return s.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (m, name: string | undefined) => (m === '$$' ? '$' : name !== undefined && name in env ? env[name]! : m));
}

/** The container's environment as the kubelet would give it, paths rebased under `root`. */
export function containerEnv(pod: PodObject, container: ContainerSpec, inputs: PodInputs, root: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const e of container.env ?? []) {
    let v: string;
    const from = e.valueFrom;
    if (from?.fieldRef) v = fieldValue(pod, from.fieldRef.fieldPath);
    else if (from?.resourceFieldRef) v = String(inputs.cpus);
    else if (from?.secretKeyRef) v = inputs.secrets.get(from.secretKeyRef.name)?.[from.secretKeyRef.key] ?? '';
    else if (from?.configMapKeyRef) v = inputs.configMaps.get(from.configMapKeyRef.name)?.[from.configMapKeyRef.key] ?? '';
    else v = expandVars(e.value ?? '', env);
    env[e.name] = rebase(v, root, container);
  }
  return env;
}

/** The container's argv after its command (the image's entrypoint is the caller's), expanded. */
export function containerArgs(container: ContainerSpec, env: Readonly<Record<string, string>>): string[] {
  return [...(container.command ?? []).slice(1), ...(container.args ?? [])].map((a) => expandVars(a, env));
}

function pick(data: Record<string, string>, items: KeyItems | undefined): [string, string][] {
  if (!items) return Object.entries(data);
  return items.filter((i) => i.key in data).map((i) => [i.path, data[i.key]!]);
}

/**
 * Files of the volumes the container mounts, at their mount paths under the root. Tokens,
 * secrets and anything else that may hold a key are written 0600.
 */
export function volumeFiles(pod: PodObject, container: ContainerSpec, inputs: PodInputs): { files: PodFile[]; dirs: string[] } {
  const files: PodFile[] = [];
  const dirs: string[] = [];
  const volumes = new Map((pod.spec?.volumes ?? []).map((v) => [v.name, v]));
  for (const m of container.volumeMounts ?? []) {
    const v = volumes.get(m.name);
    if (!v) continue;
    const at = (p: string) => posix.join('.', m.mountPath, p);
    dirs.push(posix.join('.', m.mountPath));
    const secret = (name: string, items?: KeyItems) => {
      for (const [p, c] of pick(inputs.secrets.get(name) ?? {}, items)) files.push({ path: at(p), content: c, mode: 0o600 });
    };
    const configMap = (name: string, items?: KeyItems) => {
      for (const [p, c] of pick(inputs.configMaps.get(name) ?? {}, items)) files.push({ path: at(p), content: c, mode: 0o644 });
    };
    const downward = (items: { path: string; fieldRef?: { fieldPath: string } }[]) => {
      for (const i of items) if (i.fieldRef) files.push({ path: at(i.path), content: fieldValue(pod, i.fieldRef.fieldPath), mode: 0o644 });
    };
    if (v.secret) secret(v.secret.secretName, v.secret.items);
    if (v.configMap) configMap(v.configMap.name, v.configMap.items);
    if (v.downwardAPI) downward(v.downwardAPI.items);
    for (const s of v.projected?.sources ?? []) {
      if (s.secret) secret(s.secret.name, s.secret.items);
      if (s.configMap) configMap(s.configMap.name, s.configMap.items);
      if (s.downwardAPI) downward(s.downwardAPI.items);
      const t = s.serviceAccountToken;
      if (t) {
        const token = inputs.tokens.get(tokenKey(t.audience, Math.max(600, t.expirationSeconds ?? 3607)));
        if (token) files.push({ path: at(t.path), content: token, mode: 0o600 });
      }
    }
  }
  return { files, dirs };
}

/**
 * The volume files of `next` that differ from `prev` (new or changed content): what a kubelet
 * rewrites when a Secret or ConfigMap a running pod mounts changes. Keys that went away stay,
 * as they would until the kubelet's next full sync; nothing here needs their removal.
 */
export function volumeUpdates(prev: readonly PodFile[], next: readonly PodFile[]): PodFile[] {
  const before = new Map(prev.map((f) => [f.path, f.content]));
  return next.filter((f) => before.get(f.path) !== f.content);
}
