import { defineCheck, finding } from '../check.js';

/** MF4050: every cluster a primary must watch is synced, in istiod's own view where it can be asked, else meshfed's discovery engine's. */
export const membersSynced = defineCheck({
  code: 'MF4050',
  title: 'member clusters synced',
  run(input, c) {
    if (c.role !== 'primary') return [];
    const view = input.views.get(c.name);
    if (!view) return [];
    const whose = view.source === 'istiod' ? `istiod's /debug/clusterz${view.pod ? ` (pod ${view.pod})` : ''}` : `meshfed's discovery engine (istiod could not be asked: ${view.why ?? 'unknown'})`;
    const out = [];
    for (const id of [c.name, ...c.watches]) {
      const e = view.clusters.find((x) => x.id === id);
      if (e?.syncStatus === 'synced') continue;
      out.push(
        finding(this, c.name, 'error', `${whose}: cluster ${id} ${e ? e.syncStatus : 'not a member'}${e?.error ? ` (${e.error})` : ''}`, {
          cause: e ? `${c.name}'s control plane does not have ${id}'s services and endpoints: ${id}'s API server does not answer it, or refuses the remote secret's credentials (see MF4033-MF4035)` : `no remote secret of ${c.name} registers ${id}`,
          fix: input.applyCommand,
        }),
      );
    }
    if (out.length === 0) out.push(finding(this, c.name, 'ok', `${whose}: ${[c.name, ...c.watches].join(', ')} synced`));
    return out;
  },
});
