#!/usr/bin/env node
// The CLI runs from dist/ (compiled by `npm run build`, which `npm ci` runs through `prepare`).
// A missing build or missing dependencies are a set-up step, not a bug: say which, no stack.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const entry = new URL('../dist/cli/main.js', import.meta.url);

function setupError(message, hint) {
  process.stderr.write(`error: ${message}\n  hint: ${hint}\n`);
  process.exitCode = 1;
}

if (!existsSync(entry)) {
  setupError(`meshfed is not built: ${fileURLToPath(entry)} is missing`, `run \`npm run build\` in ${root} (\`npm ci\` builds it too)`);
} else {
  try {
    const { main } = await import(entry.href);
    const code = await main(process.argv.slice(2));
    process.exitCode = code;
    // The command is done: a socket some server holds open (a request it never answers)
    // must not keep the process alive. Unref'd, so a clean exit is not delayed by it.
    setTimeout(() => process.exit(code), 1_000).unref();
  } catch (e) {
    if (e && e.code === 'ERR_MODULE_NOT_FOUND') setupError(`meshfed's code or a dependency is missing (${e.message.split('\n')[0]})`, `run \`npm ci\` in ${root}, which installs the dependencies and builds dist/`);
    else throw e;
  }
}
