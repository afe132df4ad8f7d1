import type { ChecksView, ServiceSummary, TopologyView, TrustSummary } from './api.js';
import { h, link, stateBadge } from './dom.js';

const expiry = (c: { notAfter: string; daysLeft: number; status: string }) => h('span', { class: `expiry expiry-${c.status}` }, `${c.notAfter.slice(0, 10)} (${c.daysLeft} days, ${c.status})`);

export function trustPanel(t: TrustSummary): HTMLElement {
  const r = t.root;
  return h(
    'section',
    { class: 'trust' },
    h('h1', {}, 'Trust'),
    h('p', {}, 'From the trust folder ', h('code', {}, t.rootDir), '; certificates only (keys are never read for this page).'),
    h('h2', {}, 'Root CA'),
    r.present
      ? h('dl', { id: 'root' }, h('dt', {}, 'Subject'), h('dd', {}, r.subject), h('dt', {}, 'SHA-256 fingerprint'), h('dd', {}, h('code', { id: 'root-fingerprint' }, r.fingerprintSha256)), h('dt', {}, 'Expires'), h('dd', {}, expiry(r)))
      : h('p', { class: 'problem' }, r.problem),
    h('h2', {}, 'Intermediates, one per cluster'),
    h(
      'table',
      { id: 'intermediates' },
      h('thead', {}, h('tr', {}, ...['Cluster', 'Subject', 'Issuer', 'Expires', 'Chains to the root'].map((c) => h('th', { scope: 'col' }, c)))),
      h(
        'tbody',
        {},
        ...t.intermediates.map((i) =>
          i.present
            ? h('tr', { 'data-cluster': i.cluster, 'data-chains': i.chainsToRoot }, h('th', { scope: 'row' }, link(`/clusters/${encodeURIComponent(i.cluster)}`, i.cluster)), h('td', {}, i.subject), h('td', {}, i.issuer), h('td', {}, expiry(i)), h('td', { class: i.chainsToRoot ? 'ok' : 'problem' }, i.chainsToRoot ? 'yes' : `no: ${i.problem ?? ''}`))
            : h('tr', { 'data-cluster': i.cluster, 'data-chains': false }, h('th', { scope: 'row' }, i.cluster), h('td', { colspan: 4, class: 'problem' }, i.problem)),
        ),
      ),
    ),
  );
}

const MARK = { ok: '✓', warning: '⚠', error: '✗' } as const;

export function checksPanel(c: ChecksView): HTMLElement {
  const d = c.doctor;
  const v = c.verify;
  return h(
    'section',
    { class: 'checks' },
    h('h1', {}, 'Checks'),
    h('h2', {}, 'doctor'),
    d.state === 'none'
      ? h('p', { class: 'none', id: 'doctor-none' }, d.message)
      : h(
          'div',
          { id: 'doctor' },
          h('p', { class: 'summary' }, `Run at ${d.at}: ${d.report.summary.ok} ok, ${d.report.summary.warnings} warnings, ${d.report.summary.errors} errors${d.report.summary.unreachable.length ? `; unreachable: ${d.report.summary.unreachable.join(', ')}` : ''}.`),
          ...d.report.clusters.map((cl) =>
            h(
              'div',
              { class: 'doctor-cluster', 'data-cluster': cl.cluster },
              h('h3', {}, link(`/clusters/${encodeURIComponent(cl.cluster)}`, cl.cluster), cl.reachable ? '' : ' (unreachable)'),
              h(
                'ul',
                {},
                ...cl.findings.map((f) =>
                  h('li', { class: `finding ${f.severity}`, 'data-code': f.code, 'data-severity': f.severity }, `${MARK[f.severity]} ${f.check} [${f.code}]: ${f.evidence}`, f.severity !== 'ok' && f.cause ? h('div', { class: 'cause' }, `cause: ${f.cause}`) : '', f.severity !== 'ok' && f.fix ? h('div', { class: 'fix' }, `fix: ${f.fix}`) : ''),
                ),
              ),
            ),
          ),
        ),
    h('h2', {}, 'verify'),
    v.state === 'none'
      ? h('p', { class: 'none', id: 'verify-none' }, v.message)
      : h(
          'div',
          { id: 'verify-run' },
          h('p', { class: 'summary' }, `Run at ${v.at}: ${v.report.verdict}.`),
          h(
            'ul',
            { id: 'verify' },
            ...v.report.sources.map((s) =>
              h(
                'li',
                { class: s.verdict, 'data-cluster': s.cluster, 'data-verdict': s.verdict },
                `${s.cluster}: ${s.verdict}, ${s.requests} requests; answered by ${s.answeredBy.map((a) => `${a.cluster}${a.version ? ` ${a.version}` : ''} ×${a.count}`).join(', ') || 'none'}`,
                ...(s.reasons ?? []).map((r) => h('div', { class: 'cause' }, r)),
                ...(s.notes ?? []).map((n) => h('div', { class: 'note' }, n)),
              ),
            ),
          ),
        ),
  );
}

export function clusterPage(t: TopologyView, name: string, services: ServiceSummary[] | undefined): HTMLElement {
  const c = t.clusters.find((x) => x.name === name);
  if (!c) return h('section', {}, h('h1', {}, `No cluster ${name}`), h('p', {}, link('/', 'Back to the topology')));
  const gws = t.gateways.filter((g) => g.cluster === name);
  const here = (services ?? []).filter((s) => s.clusters.some((x) => x.cluster === name));
  const clusterLinks = (names: string[]) => (names.length === 0 ? 'none' : h('span', {}, ...names.flatMap((n, i) => [i ? ', ' : '', link(`/clusters/${encodeURIComponent(n)}`, n)])));
  return h(
    'section',
    { class: 'cluster', 'data-cluster': name },
    h('p', {}, link('/', '← topology')),
    h('h1', {}, name, ' ', stateBadge(c.state)),
    h(
      'dl',
      {},
      h('dt', {}, 'Role'),
      h('dd', {}, c.role === 'primary' ? 'primary (runs istiod)' : h('span', {}, 'remote of ', link(`/clusters/${encodeURIComponent(c.primary)}`, c.primary))),
      h('dt', {}, 'Network'),
      h('dd', {}, c.network || '(none)'),
      h('dt', {}, 'API server'),
      h('dd', {}, h('code', {}, c.apiServer ?? 'not given')),
      h('dt', {}, 'Sync state'),
      h('dd', { id: 'cluster-state' }, c.state, c.lastError ? ` — ${c.lastError.code}: ${c.lastError.message}` : ''),
      h('dt', {}, 'East-west gateway'),
      h('dd', {}, gws.length === 0 ? 'none' : h('span', {}, ...gws.map((g) => h('code', {}, `${g.address ?? 'no address yet'}${g.port ? `:${g.port}` : ''} (${g.source})`)))),
      h('dt', {}, 'Watches (holds remote secrets of)'),
      h('dd', {}, clusterLinks(c.watches)),
      h('dt', {}, 'Watched by'),
      h('dd', {}, clusterLinks(c.watchedBy)),
    ),
    h('h2', {}, `Services in ${name}`),
    services === undefined ? h('p', {}, 'Loading…') : h('p', {}, `${here.length} services. `, link(`/services?q=${encodeURIComponent(name)}`, 'Show them in the table')),
  );
}
