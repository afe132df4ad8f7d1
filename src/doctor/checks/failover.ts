import { defineCheck, finding } from '../check.js';

const patch = (spec: unknown) => `'${JSON.stringify({ spec: { trafficPolicy: spec } })}'`;

/**
 * MF4072: DestinationRules where locality failover and outlier detection do not go together.
 * Locality load balancing set on (a failover list, failoverPriority, distribute, or enabled)
 * without outlierDetection never fails over: Envoy moves traffic only off endpoints outlier
 * detection ejected. And outlierDetection with no localityLbSetting turns failover on
 * (mesh-wide locality load balancing is on by default): ejected local endpoints send traffic to
 * other zones and clusters, which the rule does not say.
 */
export const failoverOutlier = defineCheck({
  code: 'MF4072',
  title: 'locality failover and outlier detection',
  run(input, c, live) {
    const rules = live.destinationRules;
    if (c.role !== 'primary' || !rules) return [];
    const out = [];
    for (const r of rules) {
      const resource = `DestinationRule.networking.istio.io/${r.namespace}/${r.name}`;
      const kubectl = `kubectl --context ${c.context} -n ${r.namespace} patch destinationrule ${r.name} --type merge -p`;
      for (const p of r.policies) {
        const where = `${r.namespace}/${r.name}${p.at ? ` (${p.at})` : ''}, host ${r.host}`;
        if ((p.locality === 'failover' || p.locality === 'enabled') && !p.outlierDetection)
          out.push(
            finding(this, c.name, 'warning', `${where}: localityLbSetting (${p.locality}) without outlierDetection`, {
              resource,
              cause: 'Envoy fails over only from endpoints outlier detection ejected: without it no failover happens',
              fix: p.at ? `add trafficPolicy.${p.at}.outlierDetection to ${r.namespace}/${r.name}` : `${kubectl} ${patch({ outlierDetection: { consecutive5xxErrors: 5, interval: '10s', baseEjectionTime: '30s' } })}`,
            }),
          );
        if (p.locality === undefined && p.outlierDetection)
          out.push(
            finding(this, c.name, 'warning', `${where}: outlierDetection without localityLbSetting`, {
              resource,
              cause: 'with outlier detection, locality load balancing (on mesh-wide by default) fails over: ejected local endpoints send traffic to other zones and clusters',
              fix: p.at
                ? `say in trafficPolicy.${p.at}.loadBalancer.localityLbSetting of ${r.namespace}/${r.name} whether to fail over`
                : `${kubectl} ${patch({ loadBalancer: { localityLbSetting: { enabled: true } } })}`,
            }),
          );
      }
    }
    if (out.length === 0) out.push(finding(this, c.name, 'ok', `${rules.length} DestinationRule(s): failover and outlier detection go together`));
    return out;
  },
});
