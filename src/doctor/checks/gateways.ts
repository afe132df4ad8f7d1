import { EASTWEST_GATEWAY, objectKey, type ClusterPlan } from '../../plan/index.js';
import { defineCheck, finding, reinstallFix } from '../check.js';

const GW_SERVICE = `Service/istio-system/${EASTWEST_GATEWAY}`;

/** MF4060: an east-west gateway with an address wherever the plan needs one (the pinned one, if pinned). */
export const gatewayAddress = defineCheck({
  code: 'MF4060',
  title: 'east-west gateway address',
  run(input, c, live) {
    const gw = c.eastWestGateway;
    if (!gw) return [];
    if (!live.gateway) return [finding(this, c.name, 'error', `${GW_SERVICE} not found`, { resource: GW_SERVICE, cause: 'traffic from other networks and remotes has no way into this cluster', fix: input.applyCommand })];
    if (!live.gateway.address)
      return [finding(this, c.name, 'error', `${GW_SERVICE} has no LoadBalancer address`, { resource: GW_SERVICE, cause: 'no load balancer gave the Service an address (no cloud LB or MetalLB, or its pool is used up)', fix: 'give the cluster a load balancer, or set loadBalancerPool / eastWestGatewayAddress in the mesh file' })];
    if (gw.address && live.gateway.address !== gw.address)
      return [finding(this, c.name, 'error', `address ${live.gateway.address}, mesh file pins ${gw.address}`, { resource: GW_SERVICE, cause: 'remotes and other networks were told the pinned address', fix: input.applyCommand })];
    return [finding(this, c.name, 'ok', `address ${live.gateway.address}`, { resource: GW_SERVICE })];
  },
});

/** MF4061: a remote reaches istiod at its primary's gateway address (remotePilotAddress). */
export const remotePilotAddress = defineCheck({
  code: 'MF4061',
  title: 'remote istiod address',
  run(input, c, live) {
    if (c.role !== 'remote') return [];
    const primaryGateway = input.live.get(c.primary)?.gateway?.address;
    if (!primaryGateway) return [];
    const got = live.istiodEndpoints ?? [];
    const resource = 'EndpointSlice/istio-system (kubernetes.io/service-name=istiod)';
    if (!got.includes(primaryGateway))
      return [finding(this, c.name, 'error', `istiod endpoints ${got.length ? got.join(', ') : '(none)'}; ${c.primary}'s gateway: ${primaryGateway}`, { resource, cause: `proxies and the injector of ${c.name} call an address where ${c.primary}'s istiod is not`, fix: reinstallFix(input, c) })];
    return [finding(this, c.name, 'ok', `istiod at ${primaryGateway} (${c.primary}'s gateway)`, { resource })];
  },
});

const EXPOSE_STEPS = ['expose-istiod', 'expose-services'];

/** MF4062: the expose-istiod / expose-services objects the plan lists exist. */
export const exposed = defineCheck({
  code: 'MF4062',
  title: 'istiod and services exposed',
  run(input, c: ClusterPlan, live) {
    const wanted = c.resources.filter((r) => EXPOSE_STEPS.some((s) => r.step.startsWith(`${s}:`)));
    if (wanted.length === 0) return [];
    const missing = wanted.filter((r) => live.present[objectKey(r)] === false).map(objectKey);
    if (missing.length > 0) return [finding(this, c.name, 'error', `missing: ${missing.join(', ')}`, { cause: 'the east-west gateway does not route istiod (15012, 15017) or cross-network traffic (15443)', fix: input.applyCommand })];
    return [finding(this, c.name, 'ok', wanted.map(objectKey).join(', '))];
  },
});

/** MF4063: a remote's injection webhook calls its primary's istiod by the plan's path. */
export const remoteInjection = defineCheck({
  code: 'MF4063',
  title: 'remote injection webhook',
  run(input, c, live) {
    if (c.role !== 'remote' || !c.injectionPath) return [];
    const paths = live.injectorPaths;
    const resource = 'MutatingWebhookConfiguration/istio-sidecar-injector';
    if (!paths || paths.length === 0) return [finding(this, c.name, 'error', 'no injection webhook found', { resource, cause: 'pods of this remote get no sidecar', fix: input.applyCommand })];
    const wrong = paths.filter((p) => p !== c.injectionPath);
    if (wrong.length > 0) return [finding(this, c.name, 'error', `webhook path(s) ${wrong.join(', ')}, plan: ${c.injectionPath}`, { resource, cause: `${c.primary}'s istiod injects with another cluster's or network's settings`, fix: reinstallFix(input, c) })];
    return [finding(this, c.name, 'ok', `path ${c.injectionPath}`, { resource })];
  },
});
