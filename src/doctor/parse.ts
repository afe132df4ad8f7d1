import { parse as parseYaml } from 'yaml';
import type { KubeObject } from '../kube/index.js';

/**
 * Pure readers of the live objects doctor and status look at: each takes what the API
 * returned and keeps the few fields a check judges.
 */

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {});
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const strings = (v: unknown): Record<string, string> => Object.fromEntries(Object.entries(obj(v)).filter(([, x]) => typeof x === 'string')) as Record<string, string>;

/** A Deployment's container: image and plain env values (valueFrom entries are left out). */
export interface ContainerView {
  image: string;
  env: Record<string, string>;
}

export function containerOf(deployment: KubeObject, name?: string): ContainerView | undefined {
  const containers = arr(obj(obj(obj(deployment['spec'])['template'])['spec'])['containers']).map(obj);
  const c = name === undefined ? containers[0] : containers.find((x) => x['name'] === name) ?? containers[0];
  if (!c) return undefined;
  const env: Record<string, string> = {};
  for (const e of arr(c['env']).map(obj)) {
    const n = str(e['name']);
    const v = str(e['value']);
    if (n !== undefined && v !== undefined) env[n] = v;
  }
  return { image: str(c['image']) ?? '', env };
}

export interface Semver {
  major: number;
  minor: number;
  patch: number;
}

export function parseVersion(v: string): Semver | undefined {
  const m = /^v?(\d+)\.(\d+)\.(\d+)/.exec(v);
  return m ? { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]) } : undefined;
}

/** How far apart two versions are in minor releases (a different major counts as far apart). */
export function minorSkew(a: Semver, b: Semver): number {
  return a.major !== b.major ? Number.POSITIVE_INFINITY : Math.abs(a.minor - b.minor);
}

/** What istiod's mesh config (the `mesh` key of ConfigMap istio[-<rev>]) says about identity. */
export interface MeshIdentity {
  meshId?: string;
  trustDomain?: string;
  /** DNS proxying: defaultConfig.proxyMetadata.ISTIO_META_DNS_CAPTURE is "true". */
  dnsCapture?: boolean;
}

export function meshIdentity(configMap: KubeObject): MeshIdentity {
  const text = str(obj(configMap['data'])['mesh']);
  if (text === undefined) return {};
  let mesh: Obj;
  try {
    mesh = obj(parseYaml(text) as unknown);
  } catch {
    return {};
  }
  const defaults = obj(mesh['defaultConfig']);
  const meshId = str(defaults['meshId']);
  const trustDomain = str(mesh['trustDomain']);
  const dnsCapture = str(obj(defaults['proxyMetadata'])['ISTIO_META_DNS_CAPTURE']) === 'true';
  return { ...(meshId !== undefined ? { meshId } : {}), ...(trustDomain !== undefined ? { trustDomain } : {}), dnsCapture };
}

export const labelsOf = (o: KubeObject | undefined): Record<string, string> => strings(o?.metadata.labels);
export const annotationsOf = (o: KubeObject | undefined): Record<string, string> => strings(o?.metadata.annotations);

/** A LoadBalancer Service's first ingress address (ip, else hostname). */
export function loadBalancerAddress(service: KubeObject): string | undefined {
  const ingress = arr(obj(obj(service['status'])['loadBalancer'])['ingress']).map(obj)[0];
  return ingress ? str(ingress['ip']) ?? str(ingress['hostname']) : undefined;
}

/** Every webhook's service path of a MutatingWebhookConfiguration (the injection path). */
export function webhookPaths(mwc: KubeObject): string[] {
  return arr(mwc['webhooks']).map((w) => str(obj(obj(obj(w)['clientConfig'])['service'])['path']) ?? '');
}

/** Addresses of EndpointSlices' endpoints. */
export function sliceAddresses(slices: readonly KubeObject[]): string[] {
  return slices.flatMap((s) => arr(s['endpoints']).flatMap((e) => arr(obj(e)['addresses']).map(String)));
}

/** A Secret's data entry decoded as text; undefined when absent. */
export function secretText(secret: KubeObject, key: string): string | undefined {
  const v = str(obj(secret['data'])[key]);
  return v === undefined ? undefined : Buffer.from(v, 'base64').toString('utf8');
}

/** One traffic policy of a DestinationRule, as MF4072 judges it. */
export interface PolicyFacts {
  /** Where: undefined for the rule's trafficPolicy, `subset v1`, `port 8080`. */
  at?: string;
  /** The localityLbSetting: a failover list (or failoverPriority, distribute), only `enabled: true`, `enabled: false`, or none. */
  locality?: 'failover' | 'enabled' | 'disabled';
  outlierDetection: boolean;
}

function policyFacts(policy: Obj, at?: string): PolicyFacts | undefined {
  if (Object.keys(policy).length === 0) return undefined;
  const lb = obj(obj(policy['loadBalancer'])['localityLbSetting']);
  const has = Object.keys(lb).length > 0;
  const locality = !has
    ? undefined
    : lb['enabled'] === false
      ? ('disabled' as const)
      : arr(lb['failover']).length || arr(lb['failoverPriority']).length || arr(lb['distribute']).length
        ? ('failover' as const)
        : ('enabled' as const);
  return { ...(at ? { at } : {}), ...(locality ? { locality } : {}), outlierDetection: Object.keys(obj(policy['outlierDetection'])).length > 0 };
}

export interface DestinationRuleFacts {
  namespace: string;
  name: string;
  host: string;
  policies: PolicyFacts[];
}

/** A DestinationRule's traffic policies: the rule's, its port-level settings', its subsets'. */
export function destinationRuleFacts(dr: KubeObject): DestinationRuleFacts {
  const spec = obj(dr['spec']);
  const top = obj(spec['trafficPolicy']);
  const policies: PolicyFacts[] = [];
  const add = (p: PolicyFacts | undefined) => p && policies.push(p);
  add(policyFacts(top));
  for (const pl of arr(top['portLevelSettings']).map(obj)) add(policyFacts(pl, `portLevelSettings port ${String(obj(pl['port'])['number'] ?? '?')}`));
  for (const s of arr(spec['subsets']).map(obj)) add(policyFacts(obj(s['trafficPolicy']), `subsets ${str(s['name']) ?? '?'} trafficPolicy`));
  return { namespace: dr.metadata.namespace ?? '', name: dr.metadata.name, host: str(spec['host']) ?? '', policies };
}
