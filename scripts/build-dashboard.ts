/**
 * Bundles the dashboard (src/dashboard) with esbuild into dist/dashboard/: app.js (the page's
 * script with cytoscape and its fcose layout), app.css and index.html. Run by `npm run build`
 * (and so by `npm ci`'s prepare): the page needs nothing from the internet. Tests that must not
 * depend on a previous build call buildDashboard with a folder of their own.
 */
import { copyFile, mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));

export async function buildDashboard(out = `${root}dist/dashboard`): Promise<string> {
  await mkdir(out, { recursive: true });
  await build({
    entryPoints: { app: `${root}src/dashboard/main.ts` },
    bundle: true,
    minify: true,
    format: 'esm',
    target: ['chrome120', 'firefox120', 'safari17'],
    outdir: out,
    legalComments: 'linked',
    logLevel: 'warning',
  });
  await copyFile(`${root}src/dashboard/index.html`, `${out}/index.html`);
  return out;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await buildDashboard();
