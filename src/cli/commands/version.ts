import { readFileSync } from 'node:fs';
import { LAB_VERSIONS } from '../../lab/index.js';
import { DEFAULT_ISTIO_VERSION } from '../../topology/index.js';
import type { Io } from '../io.js';

/** package.json is two folders up from both src/cli/commands (tsx) and dist/cli/commands. */
export function meshfedVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

/** What `meshfed version` reports: meshfed's own version and the versions the project pins. */
export function versionReport() {
  return { meshfed: meshfedVersion(), istio: DEFAULT_ISTIO_VERSION, kubernetes: LAB_VERSIONS.kubernetes };
}

export function versionCommand(opts: { output: string }, io: Io): void {
  const v = versionReport();
  if (opts.output === 'json') io.out(JSON.stringify(v, null, 2) + '\n');
  else io.out(`meshfed ${v.meshfed}\nistio ${v.istio} (default of a mesh file; the lab builds it)\nkubernetes ${v.kubernetes} (the lab runs it)\n`);
}
