import { EASTWEST_GATEWAY, NETWORK_LABEL } from '../../plan/index.js';
import { defineCheck, finding } from '../check.js';

const NS = 'Namespace/istio-system';
const GW_SERVICE = `Service/istio-system/${EASTWEST_GATEWAY}`;
const GW_DEPLOYMENT = `Deployment/istio-system/${EASTWEST_GATEWAY}`;
const NETWORK_VIEW = 'ISTIO_META_REQUESTED_NETWORK_VIEW';

/** Differences between what the plan sets and what is there: `key=live (plan: want)`. */
function differences(want: Record<string, string>, got: Record<string, string>): string[] {
  return Object.entries(want)
    .filter(([k, v]) => got[k] !== v)
    .map(([k, v]) => `${k}=${got[k] ?? '(none)'} (plan: ${v})`);
}

/** MF4020: istio-system carries the plan's labels (the network) and annotations (controlPlaneClusters). */
export const namespaceLabels = defineCheck({
  code: 'MF4020',
  title: 'istio-system labels',
  run(input, c, live) {
    if (!live.namespace)
      return [finding(this, c.name, 'error', 'namespace istio-system not found', { resource: NS, cause: 'nothing of Istio is installed in this cluster', fix: input.applyCommand })];
    const wrong = [...differences(c.namespace.labels, live.namespace.labels).map((d) => `label ${d}`), ...differences(c.namespace.annotations, live.namespace.annotations).map((d) => `annotation ${d}`)];
    if (wrong.length > 0)
      return [
        finding(this, c.name, 'error', wrong.join('; '), {
          resource: NS,
          cause: c.namespace.labels[NETWORK_LABEL] !== undefined && live.namespace.labels[NETWORK_LABEL] !== c.namespace.labels[NETWORK_LABEL]
            ? `istiod puts this cluster's endpoints in the network istio-system names; with another network, proxies elsewhere send to pod IPs they cannot reach instead of the east-west gateway`
            : 'istiod reads these to place the cluster in the mesh',
          fix: input.applyCommand,
        }),
      ];
    const shown = Object.entries({ ...c.namespace.labels, ...c.namespace.annotations }).map(([k, v]) => `${k}=${v}`);
    return [finding(this, c.name, 'ok', shown.length ? shown.join(', ') : 'no labels planned', { resource: NS })];
  },
});

/** MF4021: the east-west gateway Service's network label is its cluster's network. */
export const gatewayNetworkLabel = defineCheck({
  code: 'MF4021',
  title: 'east-west gateway network label',
  run(input, c, live) {
    const network = c.eastWestGateway?.network;
    if (!network || !live.gateway) return [];
    const got = live.gateway.labels[NETWORK_LABEL];
    if (got !== network)
      return [
        finding(this, c.name, 'error', `label ${NETWORK_LABEL}=${got ?? '(none)'} (plan: ${network})`, {
          resource: GW_SERVICE,
          cause: `istiod finds a network's gateway by this label; proxies of other networks get no gateway for ${network}`,
          // apply re-runs the gateway's install only when its file changed, so it would not put the label back.
          fix: `kubectl --context ${c.context} -n istio-system label service ${EASTWEST_GATEWAY} ${NETWORK_LABEL}=${network} --overwrite`,
        }),
      ];
    return [finding(this, c.name, 'ok', `${NETWORK_LABEL}=${got}`, { resource: GW_SERVICE })];
  },
});

/** MF4022: the gateway asks istiod for its own network's view. */
export const gatewayNetworkView = defineCheck({
  code: 'MF4022',
  title: 'east-west gateway network view',
  run(input, c, live) {
    const network = c.eastWestGateway?.network;
    if (!network || !live.gateway) return [];
    if (!live.gateway.container) return [finding(this, c.name, 'error', `${GW_DEPLOYMENT} not found`, { resource: GW_DEPLOYMENT, cause: 'the gateway Service has no proxy behind it', fix: input.applyCommand })];
    const got = live.gateway.container.env[NETWORK_VIEW];
    if (got !== network)
      return [finding(this, c.name, 'error', `env ${NETWORK_VIEW}=${got ?? '(none)'} (plan: ${network})`, { resource: GW_DEPLOYMENT, cause: "the gateway is told about another network's endpoints and forwards to addresses it cannot reach", fix: `kubectl --context ${c.context} -n istio-system set env deployment/${EASTWEST_GATEWAY} -c istio-proxy ${NETWORK_VIEW}=${network}` })];
    return [finding(this, c.name, 'ok', `${NETWORK_VIEW}=${got}`, { resource: GW_DEPLOYMENT })];
  },
});
