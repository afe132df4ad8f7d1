/**
 * Where a lab pod's files live: `<state dir>/pods/<cluster>/<namespace>/<pod>/`, holding its
 * root folder (`root/`: the volumes its processes see, podSpec.ts) and one log per container.
 * Under the state dir, so `lab down` removes them. Pure.
 *
 * kwok serves `kubectl logs` from the log file its Logs object names (kwokDebug.ts) and reads
 * it with the kubelet's own reader (k8s.io/cri-client pkg/logs ReadLogs), which takes only the
 * CRI log format (`<RFC3339Nano> <stdout|stderr> <F|P> <text>`) or Docker's JSON lines, and
 * fails on the first line of anything else ("unsupported log format"). So whatever writes a
 * lab pod's output there writes `criLogLine`s (podLog.ts does).
 */
import { join } from 'node:path';

export type LogStream = 'stdout' | 'stderr';

// Pod, namespace and container names are DNS-1123 names, so never a path separator or "..";
// checked anyway, since the result is a path under the lab's state dir.
const SAFE_NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

function checked(what: string, name: string): string {
  if (!SAFE_NAME.test(name) || name.includes('..')) throw new Error(`not a Kubernetes ${what} name: ${JSON.stringify(name)}`);
  return name;
}

export function podDir(stateDir: string, cluster: string, namespace: string, pod: string): string {
  return join(stateDir, 'pods', checked('cluster', cluster), checked('namespace', namespace), checked('pod', pod));
}

export function podRootDir(stateDir: string, cluster: string, namespace: string, pod: string): string {
  return join(podDir(stateDir, cluster, namespace, pod), 'root');
}

/** The output of one container's process, in CRI log format (`criLogLine`): what `kubectl logs` shows. */
export function podLogPath(stateDir: string, cluster: string, namespace: string, pod: string, container: string): string {
  return join(podDir(stateDir, cluster, namespace, pod), `${checked('container', container)}.log`);
}

/**
 * One line of output in CRI log format, as the kubelet's runtimes write it: time, stream,
 * `F` (a full line), the text. A text holding newlines becomes one record per line.
 */
export function criLogLine(stream: LogStream, text: string, at: Date): string {
  const time = at.toISOString();
  return text
    .replace(/\n$/, '')
    .split('\n')
    .map((line) => `${time} ${stream} F ${line}\n`)
    .join('');
}
