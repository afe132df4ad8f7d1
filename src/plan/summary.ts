import type { Plan } from './types.js';

function table(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ').trimEnd());
}

/** The plan as people read it: clusters, networks, gateways, the secret matrix, the steps. */
export function summarizePlan(plan: Plan): string {
  const m = plan.mesh;
  const out: string[] = [];
  out.push(`Mesh ${m.name} (meshID ${m.meshID}, trust domain ${m.trustDomain}, Istio ${m.istio.version} via ${m.istio.installer}${m.istio.revision ? `, revision ${m.istio.revision}` : ''})`);
  out.push(m.multiNetwork ? `Networks: ${m.networks.join(', ')} (multi-network: east-west gateways carry cross-network traffic)` : `Network: ${m.networks[0] || '(one flat network)'}`);
  out.push('');
  out.push('Clusters');
  out.push(
    ...table([
      ['NAME', 'ROLE', 'NETWORK', 'CONTROL PLANE', 'GATEWAY', 'API SERVER'],
      ...plan.clusters.map((c) => [
        c.name,
        c.role + (c.externalIstiod ? ' (external istiod)' : ''),
        c.network || '-',
        c.primary,
        c.eastWestGateway ? `${c.eastWestGateway.address ?? 'from LoadBalancer'}${c.eastWestGateway.exposesIstiod ? ' +istiod' : ''}${c.eastWestGateway.exposesServices ? ' +services' : ''}` : '-',
        c.apiServer ?? '(kubeconfig)',
      ]),
    ]).map((l) => `  ${l}`),
  );
  out.push('');
  out.push('Remote secrets (row: primary holding the secret; column: cluster it watches)');
  const names = plan.clusters.map((c) => c.name);
  const primaries = plan.clusters.filter((c) => c.role === 'primary');
  out.push(
    ...table([
      ['', ...names],
      ...primaries.map((p) => [p.name, ...names.map((n) => (n === p.name ? '·' : plan.remoteSecrets.some((s) => s.primary === p.name && s.watched === n) ? 'yes' : 'NO'))]),
    ]).map((l) => `  ${l}`),
  );
  if (plan.routes.length > 0) {
    out.push('');
    out.push('Flat-network routes (rendered as routes.sh per cluster, run by the operator)');
    for (const r of plan.routes) out.push(`  on ${r.on}: ip route add ${r.destination} via ${r.via ?? `<node address of ${r.owner}>`}`);
  }
  out.push('');
  out.push(`Steps (${plan.steps.length}; each starts when the steps it needs are done)`);
  plan.steps.forEach((s, i) => {
    const needs = s.needs.length ? `  ← ${s.needs.join(', ')}` : '';
    out.push(`  ${String(i + 1).padStart(3)}. ${s.id}${s.manual ? ' (manual)' : ''}: ${s.description}${needs}`);
  });
  return out.join('\n') + '\n';
}
