import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

/** The dashboard's files, as `npm run build` bundles them (esbuild) into dist/dashboard/. */
export const DASHBOARD_FILES = {
  'index.html': 'text/html; charset=utf-8',
  'app.js': 'text/javascript; charset=utf-8',
  'app.css': 'text/css; charset=utf-8',
} as const;

export type DashboardFile = keyof typeof DASHBOARD_FILES;

export interface DashboardAssets {
  /** Undefined when the page was not built; the API still serves. */
  files?: Record<DashboardFile, Buffer>;
  dir: string;
}

/** From src/serve/ and dist/serve/ alike, two folders up is the package. */
export const DEFAULT_DASHBOARD_DIR = fileURLToPath(new URL('../../dist/dashboard/', import.meta.url));

/** Reads the built page once, at start; a missing file leaves the page unbuilt (answered MF9512). */
export async function loadDashboard(dir: string = DEFAULT_DASHBOARD_DIR): Promise<DashboardAssets> {
  try {
    const names = Object.keys(DASHBOARD_FILES) as DashboardFile[];
    const bodies = await Promise.all(names.map((n) => readFile(`${dir}/${n}`)));
    return { dir, files: Object.fromEntries(names.map((n, i) => [n, bodies[i]!])) as Record<DashboardFile, Buffer> };
  } catch {
    return { dir };
  }
}

/** The one style element cytoscape inserts (its container's `position: relative`), allowed by its hash alone. */
const CYTOSCAPE_STYLE = '.__________cytoscape_container { position: relative; }';
const cytoscapeStyleHash = `'sha256-${createHash('sha256').update(CYTOSCAPE_STYLE).digest('base64')}'`;

/**
 * The page loads only its own script and style from this origin and talks only to this
 * origin's API: no inline script, no other host (nothing from a CDN could run even if linked).
 */
export const PAGE_SECURITY_HEADERS = {
  'content-security-policy': `default-src 'none'; script-src 'self'; style-src 'self' ${cytoscapeStyleHash}; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-cache',
};
