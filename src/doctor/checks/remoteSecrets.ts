import { remoteSecretName, type ClusterPlan } from '../../plan/index.js';
import { isLoopbackHost } from '../../topology/index.js';
import type { ResourceRule } from '../../kube/index.js';
import type { IgnoredEntry } from '../../discovery/index.js';
import { defineCheck, finding, type DoctorInput } from '../check.js';
import type { LiveCluster } from '../live.js';

const secretRef = (name: string) => `Secret/istio-system/${name}`;

/** Every cluster ID the primary's remote secrets name, with the secret, whatever became of it. */
function namedIds(live: LiveCluster): { id: string; secret: string }[] {
  const r = live.remoteSecrets?.read;
  if (!r) return [];
  return [
    ...r.clusters.map((m) => ({ id: m.clusterId, secret: m.secret.name })),
    ...r.ignored.map((i) => ({ id: i.clusterId, secret: i.secret.name })),
    ...r.errors.map((e) => ({ id: e.clusterId, secret: e.secret.name })),
  ];
}

/** MF4030: a remote secret in every primary for every cluster it watches. */
export const secretPresent = defineCheck({
  code: 'MF4030',
  title: 'remote secrets present',
  run(input, c, live) {
    if (c.role !== 'primary' || !live.remoteSecrets) return [];
    const named = new Set(namedIds(live).map((n) => n.id));
    const missing = c.watches.filter((w) => !named.has(w));
    const out = missing.map((w) =>
      finding(this, c.name, 'error', `no Secret labelled istio/multiCluster=true holds cluster ${w} (expected ${remoteSecretName(w)})`, {
        resource: secretRef(remoteSecretName(w)),
        cause: `istiod in ${c.name} does not watch ${w}: ${w}'s services and endpoints are unknown here`,
        fix: input.applyCommand,
      }),
    );
    if (out.length === 0 && c.watches.length > 0) out.push(finding(this, c.name, 'ok', `secrets for ${c.watches.join(', ')}`));
    return out;
  },
});

/** MF4031: no remote secret for a cluster outside the mesh. */
export const secretUnknown = defineCheck({
  code: 'MF4031',
  title: 'no remote secrets for unknown clusters',
  run(input, c, live) {
    if (c.role !== 'primary' || !live.remoteSecrets) return [];
    const known = new Set(input.plan.clusters.map((x) => x.name));
    const unknown = namedIds(live).filter((n) => n.id && !known.has(n.id));
    if (unknown.length === 0) return [finding(this, c.name, 'ok', `${live.remoteSecrets.names.length} remote secret(s), all for clusters of the mesh`)];
    return unknown.map((u) =>
      finding(this, c.name, 'error', `secret ${u.secret} holds cluster ${u.id}, which the mesh file does not have`, {
        resource: secretRef(u.secret),
        cause: `istiod in ${c.name} watches a cluster outside the mesh and merges its services into this one${live.remoteSecrets?.managed.includes(u.secret) ? '' : ' (meshfed did not make this secret)'}`,
        // apply prunes the remote secrets it made for clusters that left the mesh, and no other.
        fix: live.remoteSecrets?.managed.includes(u.secret) ? input.applyCommand : `kubectl --context ${c.context} -n istio-system delete secret ${u.secret}`,
      }),
    );
  },
});

/** Of two secrets registering one ID, the one that is not meshfed's `istio-remote-secret-<id>`. */
function extraSecret(d: IgnoredEntry): string {
  const canonical = remoteSecretName(d.clusterId);
  return d.secret.name !== canonical ? d.secret.name : (d.registeredBy?.name ?? d.secret.name);
}

/** MF4032: one secret per cluster ID (istiod ignores the second registration). */
export const secretDuplicate = defineCheck({
  code: 'MF4032',
  title: 'no duplicate cluster IDs',
  run(input, c, live) {
    if (c.role !== 'primary' || !live.remoteSecrets) return [];
    const dups = live.remoteSecrets.read.ignored.filter((i) => i.reason === 'duplicate');
    if (dups.length === 0) return [finding(this, c.name, 'ok', 'each cluster ID is registered by one secret')];
    return dups.map((d) =>
      finding(this, c.name, 'error', `cluster ${d.clusterId} is in secret ${d.secret.name} and already registered by ${d.registeredBy?.name ?? '?'}`, {
        resource: secretRef(d.secret.name),
        cause: `istiod keeps the first registration and ignores the other; which one wins depends on the order istiod saw them (keep ${remoteSecretName(d.clusterId)}, which apply keeps current)`,
        fix: `kubectl --context ${c.context} -n istio-system delete secret ${extraSecret(d)}`,
      }),
    );
  },
});

const hostOf = (server: string): string | undefined => {
  try {
    return new URL(server).hostname.replace(/^\[|\]$/g, '');
  } catch {
    return undefined;
  }
};

/** MF4033: each secret's server is the watched cluster's apiServer, and usable by the primary. */
export const secretServer = defineCheck({
  code: 'MF4033',
  title: 'remote secret servers',
  run(input, c, live) {
    if (c.role !== 'primary' || !live.remoteSecrets) return [];
    const out = [];
    for (const m of live.remoteSecrets.read.clusters) {
      const want = input.plan.clusters.find((x) => x.name === m.clusterId)?.apiServer;
      const host = hostOf(m.server);
      if (host !== undefined && isLoopbackHost(host) && !input.plan.mesh.lab)
        out.push(finding(this, c.name, 'error', `secret ${m.secret.name}: cluster ${m.clusterId} at ${m.server}`, { resource: secretRef(m.secret.name), cause: `a loopback address reaches ${c.name}'s own machine, not ${m.clusterId}`, fix: `set ${m.clusterId}'s apiServer in the mesh file to an address ${c.name} reaches, then ${input.applyCommand}` }));
      else if (want !== undefined && m.server !== want)
        out.push(finding(this, c.name, 'error', `secret ${m.secret.name}: cluster ${m.clusterId} at ${m.server}, mesh file: ${want}`, { resource: secretRef(m.secret.name), cause: 'the secret is stale: it points where the cluster no longer is (or another cluster)', fix: input.applyCommand }));
    }
    if (out.length === 0 && live.remoteSecrets.read.clusters.length > 0) out.push(finding(this, c.name, 'ok', live.remoteSecrets.read.clusters.map((m) => `${m.clusterId} → ${m.server}`).join(', ')));
    return out;
  },
});

/** MF4034: each secret's kubeconfig is accepted, and the watched cluster accepts its credentials. */
export const secretCredentials = defineCheck({
  code: 'MF4034',
  title: 'remote secret credentials',
  run(input, c, live) {
    if (c.role !== 'primary' || !live.remoteSecrets) return [];
    const out = [];
    for (const e of live.remoteSecrets.read.errors)
      out.push(finding(this, c.name, 'error', `secret ${e.secret.name} cluster ${e.clusterId}: ${e.code}: ${e.message}`, { resource: secretRef(e.secret.name), cause: 'istiod refuses this kubeconfig and does not watch the cluster', fix: input.applyCommand }));
    const probes = input.probes.get(c.name);
    for (const m of live.remoteSecrets.read.clusters) {
      const p = probes?.get(m.clusterId);
      if (!p || p.ok) continue;
      if (p.reason === 'unauthorized')
        out.push(finding(this, c.name, 'error', `secret ${m.secret.name}: ${m.clusterId} rejected its credentials (401)`, { resource: secretRef(m.secret.name), cause: `the token is invalid or expired (its service account or token Secret in ${m.clusterId} was deleted or re-made); istiod cannot watch ${m.clusterId}`, fix: input.applyCommand }));
      else
        out.push(finding(this, c.name, 'warning', `secret ${m.secret.name}: could not ask ${m.server} from here: ${p.message}`, { resource: secretRef(m.secret.name), cause: `${m.clusterId} may still be reachable from ${c.name}; its credentials were not checked` }));
    }
    if (out.length === 0 && live.remoteSecrets.read.clusters.length > 0) out.push(finding(this, c.name, 'ok', `accepted by ${live.remoteSecrets.read.clusters.map((m) => m.clusterId).join(', ')}`));
    return out;
  },
});

/** What istiod lists and watches in a remote cluster for service discovery. */
export const ISTIOD_NEEDS: readonly { group: string; resource: string }[] = [
  { group: '', resource: 'pods' },
  { group: '', resource: 'services' },
  { group: '', resource: 'namespaces' },
  { group: '', resource: 'nodes' },
  { group: 'discovery.k8s.io', resource: 'endpointslices' },
];

const allows = (rules: readonly ResourceRule[], group: string, resource: string, verb: string) =>
  rules.some((r) => (r.apiGroups.includes('*') || r.apiGroups.includes(group)) && (r.resources.includes('*') || r.resources.includes(resource)) && (r.verbs.includes('*') || r.verbs.includes(verb)));

/** The list/watch permissions of ISTIOD_NEEDS the rules do not grant: `list pods`, `watch discovery.k8s.io/endpointslices`. Pure. */
export function missingPermissions(rules: readonly ResourceRule[]): string[] {
  const out: string[] = [];
  for (const n of ISTIOD_NEEDS) for (const verb of ['list', 'watch']) if (!allows(rules, n.group, n.resource, verb)) out.push(`${verb} ${n.group ? `${n.group}/` : ''}${n.resource}`);
  return out;
}

/** MF4035: each secret's credentials may list and watch what istiod reads. */
export const secretPermissions = defineCheck({
  code: 'MF4035',
  title: 'remote secret permissions',
  run(input: DoctorInput, c: ClusterPlan, live) {
    if (c.role !== 'primary' || !live.remoteSecrets) return [];
    const probes = input.probes.get(c.name);
    const out = [];
    const fine: string[] = [];
    for (const m of live.remoteSecrets.read.clusters) {
      const p = probes?.get(m.clusterId);
      if (!p?.ok) continue;
      const missing = missingPermissions(p.rules);
      if (missing.length === 0) fine.push(m.clusterId);
      else
        out.push(
          finding(this, c.name, p.incomplete ? 'warning' : 'error', `secret ${m.secret.name}: in ${m.clusterId} it may not ${missing.join(', ')}${p.incomplete ? ' (the authorizer could not list every rule)' : ''}`, {
            resource: secretRef(m.secret.name),
            cause: `istiod's watch of ${m.clusterId} fails for what it may not list and watch`,
            fix: input.applyCommand,
          }),
        );
    }
    if (out.length === 0 && fine.length > 0) out.push(finding(this, c.name, 'ok', `list and watch granted in ${fine.join(', ')} (SelfSubjectRulesReview)`));
    return out;
  },
});
