import { defineCheck, finding } from '../check.js';

/** Reasons that mean the API server answered, but refused meshfed's credentials. */
const REFUSED = new Set(['unauthorized', 'forbidden']);

/** MF4001: the cluster's API server answers meshfed at all. */
export const reachable = defineCheck({
  code: 'MF4001',
  title: 'cluster reachable',
  run(input, c, live) {
    const u = live.unreachable;
    if (u && !REFUSED.has(u.reason)) {
      const skipped = 'every other check of this cluster was skipped';
      // The context points elsewhere than the mesh file's apiServer: the kubeconfig entry is the likely culprit, and a command repairs it.
      if (u.server && u.kubeconfigCluster && c.apiServer && u.server !== c.apiServer)
        return [
          finding(this, c.name, 'error', `context ${c.context} (server ${u.server}): ${u.message}`, {
            cause: `the API server of ${c.name} did not answer (${u.reason}) at ${u.server}, which context ${c.context} points at; the mesh file says it is at ${c.apiServer}; ${skipped}`,
            fix: `kubectl config set-cluster ${u.kubeconfigCluster} --server=${c.apiServer}${input.kubeconfig ? ` --kubeconfig ${input.kubeconfig}` : ''}`,
          }),
        ];
      return [
        finding(this, c.name, 'error', `context ${c.context}: ${u.message}`, {
          cause: `the API server of ${c.name} did not answer (${u.reason}); ${skipped}`,
          fix: `check that the cluster runs and that kubeconfig context ${c.context} points at it (kubectl --context ${c.context} get --raw /readyz)`,
        }),
      ];
    }
    return [finding(this, c.name, 'ok', `context ${c.context} answered`)];
  },
});

/**
 * A ClusterRole to get, list and watch everything, bound to `user`: what doctor reads. Made by
 * `create --dry-run | apply`, so running the fix again (or for a second user, whose binding has
 * its own name) changes nothing that is already right instead of failing on "already exists".
 */
const READ_ALL = 'meshfed-doctor-read';
export const readAllBindingName = (user: string): string => `${READ_ALL}-${user.toLowerCase().replace(/[^a-z0-9.-]+/g, '-').replace(/^-+|-+$/g, '')}`.slice(0, 253);
const readAllFix = (context: string, user: string) => {
  const apply = (create: string) => `kubectl --context ${context} create ${create} --dry-run=client -o yaml | kubectl --context ${context} apply -f -`;
  return `${apply(`clusterrole ${READ_ALL} --verb=get,list,watch --resource='*.*'`)} && ${apply(`clusterrolebinding ${readAllBindingName(user)} --clusterrole=${READ_ALL} --user=${user}`)}`;
};

/** MF4002: meshfed's own credentials are accepted and may read what doctor reads. */
export const authorized = defineCheck({
  code: 'MF4002',
  title: 'credentials authorized',
  run(input, c, live) {
    if (live.unreachable && REFUSED.has(live.unreachable.reason))
      return [
        finding(this, c.name, 'error', live.unreachable.message, {
          cause: `the credentials of context ${c.context} were ${live.unreachable.reason === 'unauthorized' ? 'rejected' : 'refused'}`,
          fix: `refresh the credentials of kubeconfig context ${c.context}`,
        }),
      ];
    if (live.unreachable) return [];
    if (live.forbidden.length > 0) {
      const who = live.user ? `the user ${live.user} of context ${c.context}` : `the user of context ${c.context}`;
      return [
        finding(this, c.name, 'error', `reading refused (403): ${live.forbidden.join(', ')}`, {
          cause: `${who} may not read objects doctor judges; their checks saw them as absent${live.user ? ' (the fix, run by an admin of the cluster, lets it read everything: doctor reads secrets, config and workloads across namespaces)' : ''}`,
          fix: live.user ? readAllFix(c.context, live.user) : `use a context with read access to every namespace, secrets included (e.g. cluster-admin), for doctor`,
        }),
      ];
    }
    return [finding(this, c.name, 'ok', 'every object doctor reads could be read')];
  },
});
