import type { Plan } from './types.js';

/** Beyond this many clusters the secret matrix becomes one line per primary. */
const MATRIX_MAX_CLUSTERS = 16;
/** Beyond this many routes or steps the summary counts them instead of listing each. */
const LIST_MAX = 1000;

function table(rows: string[][]): string[] {
  // A loop, not Math.max(...column): a spread of thousands of rows overflows the stack.
  const widths = rows[0]!.map((_, i) => rows.reduce((w, r) => Math.max(w, (r[i] ?? '').length), 0));
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
  const names = plan.clusters.map((c) => c.name);
  const primaries = plan.clusters.filter((c) => c.role === 'primary');
  const held = new Set(plan.remoteSecrets.map((s) => `${s.primary}\u0000${s.watched}`));
  const holds = (p: string, n: string) => held.has(`${p}\u0000${n}`);
  if (names.length <= MATRIX_MAX_CLUSTERS) {
    out.push('Remote secrets (row: primary holding the secret; column: cluster it watches)');
    out.push(
      ...table([
        ['', ...names],
        ...primaries.map((p) => [p.name, ...names.map((n) => (n === p.name ? '·' : holds(p.name, n) ? 'yes' : 'NO'))]),
      ]).map((l) => `  ${l}`),
    );
  } else {
    // A matrix of this many columns is unreadable: one line per primary, naming what is missing.
    out.push(`Remote secrets (${plan.remoteSecrets.length}; per primary, the clusters it watches)`);
    for (const p of primaries) {
      const missing = names.filter((n) => n !== p.name && !holds(p.name, n));
      const watched = names.length - 1 - missing.length;
      out.push(`  ${p.name}: watches ${watched} of the ${names.length - 1} other clusters${missing.length ? `; NOT ${missing.slice(0, 10).join(', ')}${missing.length > 10 ? ` and ${missing.length - 10} more` : ''}` : ''}`);
    }
  }
  if (plan.routes.length > 0) {
    out.push('');
    out.push('Flat-network routes (rendered as routes.sh per cluster, run by the operator)');
    if (plan.routes.length <= LIST_MAX) {
      for (const r of plan.routes) out.push(`  on ${r.on}: ip route add ${r.destination} via ${r.via ?? `<node address of ${r.owner}>`}`);
    } else {
      out.push(`  ${plan.routes.length} routes on ${new Set(plan.routes.map((r) => r.on)).size} clusters: see each cluster's 90-routes.sh, or meshfed plan -o json`);
    }
  }
  out.push('');
  out.push(`Steps (${plan.steps.length}; each starts when the steps it needs are done)`);
  if (plan.steps.length <= LIST_MAX) {
    plan.steps.forEach((s, i) => {
      const needs = s.needs.length ? `  ← ${s.needs.join(', ')}` : '';
      out.push(`  ${String(i + 1).padStart(3)}. ${s.id}${s.manual ? ' (manual)' : ''}: ${s.description}${needs}`);
    });
  } else {
    // Hundreds of thousands of lines are for tools, not people: counts by kind, in apply order.
    const byKind = new Map<string, number>();
    for (const s of plan.steps) byKind.set(s.kind, (byKind.get(s.kind) ?? 0) + 1);
    for (const [kind, n] of byKind) out.push(`  ${kind}: ${n}`);
    out.push('  the full list, with what each step needs: meshfed plan -o json');
  }
  return out.join('\n') + '\n';
}
