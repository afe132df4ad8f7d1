import { defineCheck, finding, type DoctorInput } from '../check.js';

const key = (s: { namespace: string; name: string }) => `${s.namespace}/${s.name}`;
const SHOWN = 5;

/** Whether proxies of `cluster` resolve names of Services they do not have (DNS proxying, from the mesh config of the istiod serving them). */
function dnsProxying(input: DoctorInput, cluster: string): boolean | undefined {
  const primary = input.plan.clusters.find((c) => c.name === cluster)?.primary ?? cluster;
  return input.live.get(primary)?.meshIdentity?.dnsCapture;
}

/**
 * MF4071: a Service with endpoints in another cluster and absent here, without DNS proxying:
 * a call by its name from here does not resolve (seed 000's note; istio/istio#39843).
 */
export const serviceResolves = defineCheck({
  code: 'MF4071',
  title: 'remote services resolve',
  run(input, c, live) {
    if (!live.services) return [];
    const here = new Set(live.services.map(key));
    const elsewhere = new Map<string, string[]>();
    for (const other of input.plan.clusters) {
      if (other.name === c.name) continue;
      for (const s of input.live.get(other.name)?.services ?? []) if (s.endpoints && !here.has(key(s))) elsewhere.set(key(s), [...(elsewhere.get(key(s)) ?? []), other.name]);
    }
    if (elsewhere.size === 0) return [finding(this, c.name, 'ok', `every Service with endpoints elsewhere also exists here (${here.size} Services)`)];
    if (dnsProxying(input, c.name)) return [finding(this, c.name, 'ok', `${elsewhere.size} Service(s) only elsewhere resolve through DNS proxying (ISTIO_META_DNS_CAPTURE)`)];
    const names = [...elsewhere.entries()].sort(([a], [b]) => (a < b ? -1 : 1));
    const shown = names.slice(0, SHOWN).map(([n, where]) => `${n} (endpoints in ${where.join(', ')})`);
    return [
      finding(this, c.name, 'warning', `not here: ${shown.join(', ')}${names.length > SHOWN ? ` and ${names.length - SHOWN} more` : ''}; DNS proxying off`, {
        cause: `a call from ${c.name} to these names does not resolve: Kubernetes DNS answers only for Services of this cluster, and without DNS proxying the sidecar does not answer for the others`,
        fix: `set spec.istio.meshConfig.defaultConfig.proxyMetadata.ISTIO_META_DNS_CAPTURE: "true" in ${input.meshFile} and run ${input.applyCommand} (or create the Services in ${c.name})`,
      }),
    ];
  },
});
