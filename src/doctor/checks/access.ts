import { defineCheck, finding } from '../check.js';

/** Reasons that mean the API server answered, but refused meshfed's credentials. */
const REFUSED = new Set(['unauthorized', 'forbidden']);

/** MF4001: the cluster's API server answers meshfed at all. */
export const reachable = defineCheck({
  code: 'MF4001',
  title: 'cluster reachable',
  run(input, c, live) {
    if (live.unreachable && !REFUSED.has(live.unreachable.reason))
      return [
        finding(this, c.name, 'error', `context ${c.context}: ${live.unreachable.message}`, {
          cause: `the API server of ${c.name} did not answer (${live.unreachable.reason}); every other check of this cluster was skipped`,
          fix: `check that the cluster runs and that kubeconfig context ${c.context} points at it (kubectl --context ${c.context} get --raw /readyz)`,
        }),
      ];
    return [finding(this, c.name, 'ok', `context ${c.context} answered`)];
  },
});

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
    if (live.forbidden.length > 0)
      return [
        finding(this, c.name, 'error', `reading refused (403): ${live.forbidden.join(', ')}`, {
          cause: `the user of context ${c.context} may not read objects doctor judges; their checks saw them as absent`,
          fix: `use a context with read access to istio-system (e.g. cluster-admin) for doctor`,
        }),
      ];
    return [finding(this, c.name, 'ok', 'every object doctor reads could be read')];
  },
});
