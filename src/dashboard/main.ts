import './style.css';
import { api, type ChangeEvent, type ServiceSummary, type TopologyView } from './api.js';
import { h, link, replace } from './dom.js';
import { checksPanel, clusterPage, trustPanel } from './panels.js';
import { networkViewPanel, servicePage, servicesTable, type TableState } from './services.js';
import { topologyPanel, type TopologyPanel } from './topology.js';

/** The page's live state: what the API said last, refreshed on each `change` event of the SSE stream. */
const live: { topology?: TopologyView; services?: ServiceSummary[]; states: ChangeEvent['clusters']; panel?: TopologyPanel } = { states: [] };
const main = document.getElementById('main')!;
const status = document.getElementById('live-status')!;

type View = { name: 'topology' } | { name: 'cluster'; cluster: string } | { name: 'services'; query: string; page: number } | { name: 'service'; hostname: string; network?: string } | { name: 'trust' } | { name: 'checks' } | { name: 'unknown' };

function parse(loc: Location | URL): View {
  const path = loc.pathname.replace(/\/+$/, '') || '/';
  const q = new URLSearchParams(loc.search);
  let m: RegExpExecArray | null;
  if (path === '/' || path === '/topology') return { name: 'topology' };
  if ((m = /^\/clusters\/([^/]+)$/.exec(path))) return { name: 'cluster', cluster: decodeURIComponent(m[1]!) };
  if (path === '/services') return { name: 'services', query: q.get('q') ?? '', page: Number(q.get('page') ?? '1') || 1 };
  if ((m = /^\/services\/([^/]+)$/.exec(path))) return { name: 'service', hostname: decodeURIComponent(m[1]!), ...(q.get('network') ? { network: q.get('network')! } : {}) };
  if (path === '/trust') return { name: 'trust' };
  if (path === '/checks') return { name: 'checks' };
  return { name: 'unknown' };
}

let view: View = parse(location);

export function navigate(href: string, replaceState = false): void {
  if (replaceState) history.replaceState(null, '', href);
  else history.pushState(null, '', href);
  view = parse(location);
  void render(true);
}

function markCurrentNav(): void {
  const section = view.name === 'cluster' ? 'topology' : view.name === 'service' ? 'services' : view.name;
  for (const a of document.querySelectorAll<HTMLAnchorElement>('header nav a')) {
    if (a.dataset['section'] === section) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
}

const problem = (e: unknown) => h('p', { class: 'problem', role: 'alert' }, e instanceof Error ? e.message : String(e));

/** Where the keyboard was, so a live redraw can put it back on the element that replaced it. */
function focusKey(): { id?: string; href?: string } | undefined {
  const a = document.activeElement;
  if (!(a instanceof HTMLElement) || !main.contains(a)) return undefined;
  if (a.id) return { id: a.id };
  const href = a.getAttribute('href');
  return href ? { href } : undefined;
}

function restoreFocus(key: { id?: string; href?: string } | undefined): void {
  if (!key) return;
  const el = key.id ? document.getElementById(key.id) : [...main.querySelectorAll<HTMLElement>('a[href]')].find((a) => a.getAttribute('href') === key.href);
  if (!el || el === document.activeElement) return;
  el.focus({ preventScroll: true });
  if (el instanceof HTMLInputElement) el.setSelectionRange(el.value.length, el.value.length);
}

/** Draws the current view; `fresh` moves focus to the new heading, as a page load would. */
async function render(fresh: boolean): Promise<void> {
  markCurrentNav();
  const v = view;
  const focused = fresh ? undefined : focusKey();
  try {
    if (v.name === 'topology') {
      live.topology = await api.topology();
      live.panel?.cy.destroy();
      const t = live.topology;
      live.panel = topologyPanel(t, (href) => navigate(href), (panel) =>
        replace(main, h('h1', {}, `Mesh ${t.mesh.name}`), h('p', {}, `Trust domain ${t.mesh.trustDomain}; ${t.clusters.length} clusters on ${t.networks.length} networks. Colour: sync state (green synced, amber syncing, red timeout or closed). Hexagons are primaries, diamonds east-west gateways; solid arrows control planes, dashed arrows remote secrets.`), panel),
      );
      (globalThis as { meshfedDashboard?: unknown }).meshfedDashboard = { cy: live.panel.cy };
    } else {
      live.panel?.cy.destroy();
      live.panel = undefined;
    }
    if (v.name === 'cluster') {
      live.topology = await api.topology();
      replace(main, clusterPage(live.topology, v.cluster, live.services));
      if (!live.services) {
        live.services = await api.services();
        if (view === v) replace(main, clusterPage(live.topology, v.cluster, live.services));
      }
    } else if (v.name === 'services') {
      const [services, topology] = await Promise.all([api.services(), live.topology ? Promise.resolve(live.topology) : api.topology().catch(() => undefined)]);
      live.services = services;
      if (topology) live.topology = topology;
      if (view !== v) return;
      const state: TableState = { query: v.query, page: v.page };
      replace(main, servicesTable(services, live.topology, state, (s) => {
        const u = new URL(location.href);
        if (s.query) u.searchParams.set('q', s.query);
        else u.searchParams.delete('q');
        if (s.page > 1) u.searchParams.set('page', String(s.page));
        else u.searchParams.delete('page');
        history.replaceState(null, '', u);
        view = parse(location);
      }));
      performance.mark('services-table-rendered');
    } else if (v.name === 'service') {
      const [services, eps, topology] = await Promise.all([api.services(), api.endpoints(v.hostname), live.topology ? Promise.resolve(live.topology) : api.topology().catch(() => undefined)]);
      live.services = services;
      if (topology) live.topology = topology;
      if (view !== v) return;
      const s = services.find((x) => x.hostname === v.hostname);
      if (!s) return replace(main, h('h1', {}, `No service ${v.hostname}`), link('/services', 'All services'));
      const networks = live.topology?.networks.map((n) => n.name) ?? [...new Set(eps.endpoints.map((e) => e.network))];
      replace(main, servicePage(s, eps.endpoints, networks, v.network, (n) => navigate(`/services/${encodeURIComponent(v.hostname)}${n ? `?network=${encodeURIComponent(n)}` : ''}`, true)));
      if (v.network) replace(document.getElementById('network-view')!, networkViewPanel(await api.networkView(v.hostname, v.network)));
    } else if (v.name === 'trust') {
      replace(main, trustPanel(await api.trust()));
    } else if (v.name === 'checks') {
      replace(main, checksPanel(await api.checks()));
    } else if (v.name === 'unknown') {
      replace(main, h('h1', {}, 'Not found'), link('/', 'Back to the topology'));
    }
  } catch (e) {
    if (view === v) replace(main, problem(e));
  }
  restoreFocus(focused);
  if (fresh) {
    const heading = main.querySelector('h1');
    if (heading) {
      heading.setAttribute('tabindex', '-1');
      heading.focus({ preventScroll: true });
    }
    document.title = `${heading?.textContent ?? 'meshfed'} · meshfed`;
  }
  document.body.dataset['view'] = v.name;
  document.body.dataset['rendered'] = String(Number(document.body.dataset['rendered'] ?? 0) + 1);
}

// Same-origin links are routed here: no reload, the URL stays a deep link.
document.addEventListener('click', (e) => {
  const a = (e.target as Element | null)?.closest?.('a[data-link], header nav a');
  if (!(a instanceof HTMLAnchorElement) || e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  e.preventDefault();
  navigate(a.getAttribute('href')!);
});
window.addEventListener('popstate', () => {
  view = parse(location);
  void render(true);
});
// "/" focuses the search, as on most sites with one.
document.addEventListener('keydown', (e) => {
  if (e.key !== '/' || (e.target instanceof HTMLElement && (e.target.tagName === 'INPUT' || e.target.tagName === 'SELECT' || e.target.tagName === 'TEXTAREA'))) return;
  e.preventDefault();
  if (view.name !== 'services') navigate('/services');
  requestAnimationFrame(() => document.getElementById('service-search')?.focus());
});

/** Refreshes after changes: one request at a time, and one more if changes came meanwhile. */
let refreshing = false;
let again = false;
async function refresh(): Promise<void> {
  if (refreshing) return void (again = true);
  refreshing = true;
  try {
    do {
      again = false;
      if (view.name === 'topology' && live.panel) {
        // A gateway that got its address redraws the graph; a state change only recolours it.
        const t = await api.topology();
        if (JSON.stringify(t.gateways) !== JSON.stringify(live.topology?.gateways)) await render(false);
        else live.panel.setStates(live.states);
      }
      else if (view.name !== 'trust' && view.name !== 'checks' && view.name !== 'unknown') await render(false);
    } while (again);
  } finally {
    refreshing = false;
  }
}

function connect(): void {
  const es = new EventSource('/api/v1/events');
  es.addEventListener('open', () => {
    status.textContent = 'live';
    status.dataset['live'] = 'true';
  });
  es.addEventListener('error', () => {
    status.textContent = 'reconnecting…';
    status.dataset['live'] = 'false';
  });
  es.addEventListener('change', (e) => {
    const ev = JSON.parse((e as MessageEvent<string>).data) as ChangeEvent;
    live.states = ev.clusters;
    status.textContent = `live · ${ev.services} services, ${ev.endpoints} endpoints`;
    document.body.dataset['seq'] = String(ev.seq);
    void refresh();
  });
}

void render(true);
connect();
