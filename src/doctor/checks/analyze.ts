import { expectedReason } from '../analyze.js';
import { defineCheck, finding } from '../check.js';

/** MF4080: the real `istioctl analyze` of the cluster, its warnings and errors shown with their IST codes; the expected ones as ok with the reason. */
export const istioAnalyze = defineCheck({
  code: 'MF4080',
  title: 'istioctl analyze',
  run(input, c) {
    const result = input.analysis?.get(c.name);
    if (!result) return [];
    if ('error' in result) return [finding(this, c.name, 'warning', `istioctl analyze did not run: ${result.error}`, { cause: "Istio's own analyzers were not consulted", fix: `install istioctl ${input.plan.mesh.istio.version} and pass --istioctl <path>` })];
    const shown = result.messages.filter((m) => m.level !== 'Info');
    const out = shown.map((m) => {
      const evidence = `${m.code} ${m.origin}${m.cluster ? ` (cluster ${m.cluster})` : ''}: ${m.message}`;
      const expected = expectedReason(m, { lab: input.plan.mesh.lab, remotes: input.plan.clusters.some((x) => x.role === 'remote') });
      if (expected) return finding(this, c.name, 'ok', `${evidence} (expected: ${expected})`);
      return finding(this, c.name, m.level === 'Error' ? 'error' : 'warning', evidence, {
        cause: `istioctl analyze (${m.level}); see https://istio.io/latest/docs/reference/config/analysis/${m.code.toLowerCase()}/`,
        fix: `istioctl analyze --context ${c.context} -A`,
      });
    });
    if (out.length === 0) out.push(finding(this, c.name, 'ok', `no warning or error${result.messages.length ? ` (${result.messages.length} info message(s))` : ''}`));
    return out;
  },
});
