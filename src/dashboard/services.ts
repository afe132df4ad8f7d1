import type { Endpoint, NetworkView, ServiceSummary, TopologyView } from './api.js';
import { h, link, replace } from './dom.js';

/** Rows per page: with 3,000 services the table renders one page, search runs over all. */
export const PAGE_SIZE = 100;

const serviceHref = (hostname: string) => `/services/${encodeURIComponent(hostname)}`;

function perNetwork(s: ServiceSummary, networkOf: Map<string, string>): Map<string, { endpoints: number; ready: number }> {
  const out = new Map<string, { endpoints: number; ready: number }>();
  for (const c of s.clusters) {
    const n = networkOf.get(c.cluster) ?? '?';
    const acc = out.get(n) ?? { endpoints: 0, ready: 0 };
    out.set(n, { endpoints: acc.endpoints + c.endpoints, ready: acc.ready + c.ready });
  }
  return out;
}

const counts = (ready: number, total: number) => h('span', { class: ready < total ? 'counts not-ready' : 'counts' }, `${ready}/${total} ready`);

export interface TableState {
  query: string;
  page: number;
}

/** The services table: a search over every hostname, one page of rows rendered. */
export function servicesTable(all: ServiceSummary[], topology: TopologyView | undefined, state: TableState, onChange: (s: TableState) => void): HTMLElement {
  const networkOf = new Map((topology?.clusters ?? []).map((c) => [c.name, c.network]));
  const search = h('input', { type: 'search', id: 'service-search', placeholder: 'Search hostname, namespace or cluster  ( / )', 'aria-label': 'Search services', value: state.query, autocomplete: 'off' });
  const body = h('tbody');
  const summary = h('p', { class: 'summary', 'aria-live': 'polite' });
  const pager = h('nav', { class: 'pager', 'aria-label': 'Pages of services' });
  const render = () => {
    const q = state.query.trim().toLowerCase();
    const matches = q === '' ? all : all.filter((s) => s.hostname.toLowerCase().includes(q) || s.clusters.some((c) => c.cluster.toLowerCase().includes(q)));
    const pages = Math.max(1, Math.ceil(matches.length / PAGE_SIZE));
    state.page = Math.min(Math.max(1, state.page), pages);
    const rows = matches.slice((state.page - 1) * PAGE_SIZE, state.page * PAGE_SIZE);
    replace(
      body,
      ...rows.map((s) => {
        const total = s.clusters.reduce((n, c) => n + c.endpoints, 0);
        const ready = s.clusters.reduce((n, c) => n + c.ready, 0);
        return h(
          'tr',
          { 'data-hostname': s.hostname },
          h('th', { scope: 'row' }, link(serviceHref(s.hostname), s.hostname)),
          h('td', {}, ...s.clusters.map((c) => h('div', { class: 'per-cluster', 'data-cluster': c.cluster, 'data-endpoints': c.endpoints, 'data-ready': c.ready }, `${c.cluster}: ${c.endpoints} `, counts(c.ready, c.endpoints)))),
          h('td', {}, ...[...perNetwork(s, networkOf)].map(([n, v]) => h('div', { class: 'per-network', 'data-network': n }, `${n}: ${v.endpoints} `, counts(v.ready, v.endpoints)))),
          h('td', { class: 'num' }, counts(ready, total)),
        );
      }),
    );
    summary.textContent = `${matches.length} of ${all.length} services${pages > 1 ? `, page ${state.page} of ${pages}` : ''}`;
    const go = (p: number, label: string, disabled: boolean) => {
      const b = h('button', { type: 'button', disabled }, label);
      b.addEventListener('click', () => {
        state.page = p;
        onChange(state);
        render();
      });
      return b;
    };
    replace(pager, go(1, '« First', state.page === 1), go(state.page - 1, '‹ Previous', state.page === 1), go(state.page + 1, 'Next ›', state.page === pages), go(pages, 'Last »', state.page === pages));
  };
  search.addEventListener('input', () => {
    state.query = search.value;
    state.page = 1;
    onChange(state);
    render();
  });
  render();
  return h(
    'section',
    { class: 'services' },
    h('h1', {}, 'Services'),
    search,
    summary,
    h('table', { id: 'services-table' }, h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Hostname'), h('th', { scope: 'col' }, 'Endpoints per cluster'), h('th', { scope: 'col' }, 'Per network'), h('th', { scope: 'col' }, 'All'))), body),
    pager,
  );
}

function endpointsTable(eps: Endpoint[]): HTMLElement {
  if (eps.length === 0) return h('p', {}, 'No endpoints.');
  return h(
    'table',
    { id: 'endpoints-table' },
    h('thead', {}, h('tr', {}, ...['Cluster', 'Network', 'Address', 'Pod', 'Ready', 'Health', 'mTLS'].map((c) => h('th', { scope: 'col' }, c)))),
    h('tbody', {}, ...eps.map((e) => h('tr', { 'data-cluster': e.cluster }, h('td', {}, link(`/clusters/${encodeURIComponent(e.cluster)}`, e.cluster)), h('td', {}, e.network || '(none)'), h('td', {}, h('code', {}, e.address)), h('td', {}, e.pod ? `${e.pod.namespace}/${e.pod.name}` : ''), h('td', {}, e.ready ? 'yes' : 'no'), h('td', {}, e.health), h('td', {}, e.tlsMode)))),
  );
}

/** What a proxy in the chosen network is told: its own pods directly, other networks through their gateway, with weights. */
export function networkViewPanel(v: NetworkView): HTMLElement {
  return h(
    'div',
    { class: 'network-view', 'data-network': v.network },
    h('p', {}, v.multiNetwork ? `Multi-network: weights scaled by ${v.scaleFactor}.` : 'One network: every endpoint directly.'),
    ...v.ports.map((p) =>
      h(
        'table',
        { class: 'view-port', 'data-port': p.name },
        h('caption', {}, `port ${p.name} (${p.port})`),
        h('thead', {}, h('tr', {}, ...['Via', 'Address', 'Port', 'Weight', 'Cluster', 'Network', 'Behind it'].map((c) => h('th', { scope: 'col' }, c)))),
        h('tbody', {}, ...p.endpoints.map((e) => h('tr', { 'data-via': e.via, 'data-address': e.address, 'data-weight': e.weight }, h('td', {}, e.via === 'gateway' ? 'east-west gateway' : 'pod'), h('td', {}, h('code', {}, e.address)), h('td', {}, e.port), h('td', { class: 'num' }, e.weight), h('td', {}, e.cluster), h('td', {}, e.network), h('td', {}, e.endpoints !== undefined ? `${e.endpoints} endpoints` : '')))),
      ),
    ),
    v.dropped.length === 0 ? '' : h('div', {}, h('h3', {}, 'Left out'), h('ul', {}, ...v.dropped.map((d) => h('li', {}, `${d.cluster} ${d.address} (${d.network}): ${d.reason}`)))),
  );
}

export function servicePage(s: ServiceSummary, eps: Endpoint[], networks: string[], chosen: string | undefined, onNetwork: (n: string) => void): HTMLElement {
  const select = h('select', { id: 'network-select', 'aria-label': 'Network whose proxies you want to see this service as' }, h('option', { value: '' }, '— choose a network —'), ...networks.map((n) => h('option', { value: n, selected: n === chosen }, n)));
  select.addEventListener('change', () => onNetwork(select.value));
  return h(
    'section',
    { class: 'service', 'data-hostname': s.hostname },
    h('p', {}, link('/services', '← all services')),
    h('h1', {}, s.hostname),
    h('p', {}, `Namespace ${s.namespace}, ports ${s.ports.map((p) => `${p.name} ${p.port}/${p.protocol}`).join(', ') || 'none'}.`),
    h('h2', {}, 'In clusters'),
    h('ul', {}, ...s.clusters.map((c) => h('li', { 'data-cluster': c.cluster }, link(`/clusters/${encodeURIComponent(c.cluster)}`, c.cluster), ` VIP ${c.clusterIPs.join(', ') || 'none'}: ${c.endpoints} endpoints, ${c.ready} ready`))),
    h('h2', {}, 'Endpoints'),
    endpointsTable(eps),
    h('h2', {}, 'As a proxy in one network sees it (split horizon)'),
    h('label', { for: 'network-select' }, 'Network: '),
    select,
    h('div', { id: 'network-view', 'aria-live': 'polite' }),
  );
}
