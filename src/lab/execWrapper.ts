/**
 * Writes the folder kwok runs `kubectl exec` commands from (see kwokDebug.ts): one wrapper
 * script, and for every program name on the host's PATH a link to it, so that whatever
 * program a command names, kwok finds the wrapper, which runs the real one inside the pod's
 * network namespace. A name not on the host's PATH is not found at all ("executable file not
 * found in $PATH"), rather than run anywhere.
 */
import { accessSync, constants, mkdirSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';
import { HOST_PATH_ENV, execWrapperScript } from './kwokDebug.js';

export interface ExecWrapperDir {
  /** The only folder on kwok's PATH. */
  bin: string;
  /** Env for kwok: PATH of that folder, and the host's PATH for the wrapper to use. */
  env: Record<string, string>;
}

function isExecutableFile(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false;
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Program names on `hostPath`, first occurrence wins, as a shell would find them. */
export function programNames(hostPath: string): string[] {
  const names = new Set<string>();
  for (const dir of hostPath.split(delimiter)) {
    if (!dir || !isAbsolute(dir)) continue;
    let entries: string[];
    try {
      entries = readdirSync(dir);
    } catch {
      continue;
    }
    for (const e of entries) if (!names.has(e) && isExecutableFile(join(dir, e))) names.add(e);
  }
  return [...names].sort();
}

/** (Re)writes `<dir>/wrapper.sh` and `<dir>/bin/<name>` → ../wrapper.sh for every program name. */
export function writeExecWrapperDir(dir: string, prefix: string, hostPath: string): ExecWrapperDir {
  const bin = join(dir, 'bin');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(bin, { recursive: true, mode: 0o700 });
  const wrapper = join(dir, 'wrapper.sh');
  writeFileSync(wrapper, execWrapperScript(prefix), { mode: 0o700 });
  for (const name of programNames(hostPath)) symlinkSync('../wrapper.sh', join(bin, name));
  return { bin, env: { PATH: bin, [HOST_PATH_ENV]: hostPath } };
}
