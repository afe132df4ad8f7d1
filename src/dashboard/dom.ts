/** Builds elements from data with textContent only: names that come from clusters are never parsed as HTML. */
type Attrs = Record<string, string | number | boolean | undefined>;
type Child = Node | string | number | undefined | null | false;

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children) if (c !== undefined && c !== null && c !== false) el.append(typeof c === 'number' ? String(c) : c);
  return el;
}

/** An in-page link: a real href (deep link, middle-click, keyboard) that the router handles without a reload. */
export const link = (href: string, text: string, attrs: Attrs = {}) => h('a', { href, 'data-link': true, ...attrs }, text);

export const stateBadge = (state: string) => h('span', { class: `badge state-${state}`, 'data-state': state }, state);

export function replace(target: Element, ...children: Child[]): void {
  target.replaceChildren(...children.filter((c): c is Node | string => c !== undefined && c !== null && c !== false).map((c) => (typeof c === 'number' ? String(c) : c)));
}
