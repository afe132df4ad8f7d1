import cytoscape, { type Core, type ElementDefinition, type StylesheetJson } from 'cytoscape';
import fcose from 'cytoscape-fcose';
import type { TopologyView } from './api.js';
import { h, link, replace, stateBadge } from './dom.js';

cytoscape.use(fcose);

/** Colours come from the page's CSS variables, so the graph follows light and dark mode. */
const css = (name: string) => getComputedStyle(document.documentElement).getPropertyValue(name).trim();

function style(): StylesheetJson {
  return [
    { selector: 'node', style: { label: 'data(label)', color: css('--fg'), 'font-size': 13, 'text-wrap': 'wrap', 'text-valign': 'bottom', 'text-margin-y': 6, 'background-color': css('--unknown'), 'border-width': 2, 'border-color': css('--fg-muted') } },
    { selector: 'node.network', style: { shape: 'round-rectangle', 'background-color': css('--bg-subtle'), 'background-opacity': 1, 'border-color': css('--border'), 'text-valign': 'top', 'text-margin-y': -6, 'font-weight': 'bold', padding: '24px' } },
    { selector: 'node.cluster', style: { shape: 'ellipse', width: 46, height: 46 } },
    { selector: 'node.cluster.primary', style: { shape: 'hexagon', width: 54, height: 54 } },
    { selector: 'node.state-synced', style: { 'background-color': css('--synced') } },
    { selector: 'node.state-syncing', style: { 'background-color': css('--syncing') } },
    { selector: 'node.state-timeout, node.state-closed', style: { 'background-color': css('--failed') } },
    { selector: 'node.gateway', style: { shape: 'diamond', width: 30, height: 30, 'background-color': css('--gateway'), 'font-size': 11 } },
    { selector: 'edge', style: { width: 2, 'curve-style': 'bezier', 'target-arrow-shape': 'triangle', 'line-color': css('--fg-muted'), 'target-arrow-color': css('--fg-muted'), 'font-size': 10, color: css('--fg-muted'), 'text-rotation': 'autorotate', 'text-background-color': css('--bg'), 'text-background-opacity': 1 } },
    { selector: 'edge.control', style: { width: 3, 'line-color': css('--accent'), 'target-arrow-color': css('--accent'), label: 'control plane' } },
    { selector: 'edge.secret', style: { 'line-style': 'dashed', label: 'watches' } },
    { selector: 'edge.gateway-link', style: { 'target-arrow-shape': 'none', width: 1 } },
    { selector: ':selected', style: { 'border-color': css('--accent'), 'border-width': 4 } },
  ];
}

function elements(t: TopologyView): ElementDefinition[] {
  const els: ElementDefinition[] = [];
  for (const n of t.networks) els.push({ data: { id: `network:${n.name}`, label: n.name || '(no network)' }, classes: 'network' });
  for (const c of t.clusters) els.push({ data: { id: `cluster:${c.name}`, parent: `network:${c.network}`, label: `${c.name}\n${c.role}` }, classes: `cluster ${c.role} state-${c.state}` });
  for (const g of t.gateways) {
    const id = `gateway:${g.cluster}:${g.address ?? 'pending'}`;
    els.push({ data: { id, parent: `network:${g.network}`, label: `east-west gateway\n${g.address ?? 'no address yet'}` }, classes: 'gateway' });
    els.push({ data: { id: `${id}:link`, source: `cluster:${g.cluster}`, target: id }, classes: 'gateway-link' });
  }
  for (const e of t.controlPlane) els.push({ data: { id: `control:${e.primary}:${e.remote}`, source: `cluster:${e.primary}`, target: `cluster:${e.remote}` }, classes: 'control' });
  for (const s of t.remoteSecrets) els.push({ data: { id: `secret:${s.primary}:${s.watched}`, source: `cluster:${s.primary}`, target: `cluster:${s.watched}`, secret: s.secret }, classes: 'secret' });
  return els;
}

/** The same facts as text, for keyboards, screen readers and search: the graph is a picture of this list. */
function describe(t: TopologyView): HTMLElement {
  const gatewaysOf = (network: string) => t.gateways.filter((g) => g.network === network);
  return h(
    'div',
    { class: 'topology-text' },
    h('h2', {}, 'Networks'),
    h(
      'ul',
      { class: 'networks' },
      ...t.networks.map((n) =>
        h(
          'li',
          { 'data-network': n.name },
          h('strong', {}, n.name || '(no network)'),
          h('ul', {}, ...n.clusters.map((name) => {
            const c = t.clusters.find((x) => x.name === name)!;
            return h('li', { class: 'cluster-item', 'data-cluster': name, 'data-state': c.state }, link(`/clusters/${encodeURIComponent(name)}`, name), ` ${c.role} `, stateBadge(c.state));
          })),
          ...gatewaysOf(n.name).map((g) => h('div', { class: 'gateway-item', 'data-gateway': g.cluster }, `east-west gateway of ${g.cluster}: `, h('code', {}, g.address ?? 'no address yet'), g.port ? `:${g.port}` : '', g.source === 'plan' ? ' (planned, not seen live)' : '')),
        ),
      ),
    ),
    h('h2', {}, 'Control planes'),
    t.controlPlane.length === 0 ? h('p', {}, 'Every cluster runs its own control plane (multi-primary).') : h('ul', { class: 'control-edges' }, ...t.controlPlane.map((e) => h('li', { 'data-edge': `${e.primary}->${e.remote}` }, `${e.primary} → ${e.remote}`))),
    h('h2', {}, 'Remote secrets (who watches whom)'),
    t.remoteSecrets.length === 0 ? h('p', {}, 'No remote secrets: one cluster.') : h('ul', { class: 'secret-edges' }, ...t.remoteSecrets.map((s) => h('li', { 'data-edge': `${s.primary}->${s.watched}` }, `${s.primary} watches ${s.watched} through `, h('code', {}, s.secret)))),
  );
}

export interface TopologyPanel {
  element: HTMLElement;
  /** Recolours clusters by sync state without redrawing the layout. */
  setStates(states: { clusterId: string; state: string }[]): void;
  cy: Core;
}

/** `attach` puts the panel into the page first: cytoscape measures its container when it starts. */
export function topologyPanel(t: TopologyView, navigate: (href: string) => void, attach: (element: HTMLElement) => void): TopologyPanel {
  const graph = h('div', { id: 'graph', role: 'img', 'aria-label': `Topology of mesh ${t.mesh.name}: ${t.clusters.length} clusters on ${t.networks.length} networks; the list beside it says the same in text` });
  const text = describe(t);
  const element = h('section', { class: 'topology' }, graph, text);
  attach(element);
  const cy = cytoscape({ container: graph, elements: elements(t), style: style(), autoungrabify: true });
  const layout = () => cy.layout({ name: 'fcose', animate: false, randomize: false, nodeSeparation: 90, idealEdgeLength: () => 140, padding: 30 } as cytoscape.LayoutOptions).run();
  layout();
  cy.on('tap', 'node.cluster', (e) => navigate(`/clusters/${encodeURIComponent(String(e.target.id()).slice('cluster:'.length))}`));
  matchMedia('(prefers-color-scheme: dark)').addEventListener('change', () => cy.style(style()));
  return {
    element,
    cy,
    setStates(states) {
      for (const s of states) {
        const node = cy.getElementById(`cluster:${s.clusterId}`);
        node.removeClass('state-syncing state-synced state-timeout state-closed state-unknown').addClass(`state-${s.state}`);
        const item = text.querySelector<HTMLElement>(`li.cluster-item[data-cluster="${CSS.escape(s.clusterId)}"]`);
        if (item) {
          item.dataset['state'] = s.state;
          const badge = item.querySelector('.badge');
          if (badge) replace(item, ...[...item.childNodes].map((n) => (n === badge ? stateBadge(s.state) : n)));
        }
      }
    },
  };
}
