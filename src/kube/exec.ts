/**
 * `kubectl exec` and `kubectl logs` as functions: client-node's Exec (a WebSocket to the API
 * server's pods/exec, which the API server hands to the node's kubelet) and pods/log. The
 * same calls work against a real cluster and the lab (where kwok plays the kubelet).
 */
import { Writable } from 'node:stream';
import { Exec, type V1Status } from '@kubernetes/client-node';
import type { KubeClients } from './client.js';
import { KubeError, toKubeError } from './errors.js';

export interface ExecResult {
  /** The command's exit code (0 when it succeeded). */
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface ExecOptions {
  /** Ends the call (and closes the connection) after this long; default 60 s. */
  timeoutMs?: number;
}

function collector(): { stream: Writable; text: () => string } {
  const chunks: Buffer[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      chunks.push(Buffer.from(chunk));
      done();
    },
  });
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}

/**
 * The exit code a status reports, or undefined when the status is not about the command's
 * exit. A kubelet sends reason NonZeroExitCode with the code as a cause; kwok wraps the exit
 * in an internal error ("... exit status N"), so that form is read too.
 */
export function exitCodeOf(status: V1Status): number | undefined {
  if (status.status === 'Success') return 0;
  if (status.reason === 'NonZeroExitCode') {
    const cause = status.details?.causes?.find((c) => c.reason === 'ExitCode');
    const code = Number(cause?.message);
    return Number.isInteger(code) ? code : undefined;
  }
  const wrapped = /: exit status (\d+)\s*$/.exec(status.message ?? '');
  return wrapped ? Number(wrapped[1]) : undefined;
}

/**
 * Runs `argv` in a container of a pod, as `kubectl exec pod -c container -- argv` does, and
 * returns its exit code and output. A command that ran and failed is a result (exitCode ≠ 0);
 * a command that could not run at all (no such pod or container, a node that cannot exec) is
 * a KubeError carrying what the API server or kubelet said.
 */
export async function execInPod(clients: KubeClients, namespace: string, pod: string, container: string, argv: string[], opts: ExecOptions = {}): Promise<ExecResult> {
  const where = { cluster: clients.context, resource: `pods/${namespace}/${pod}/exec` };
  const out = collector();
  const err = collector();
  let status: V1Status | undefined;
  let socket: Awaited<ReturnType<Exec['exec']>>;
  try {
    socket = await new Exec(clients.config).exec(namespace, pod, container, argv, out.stream, err.stream, null, false, (s) => {
      status = s;
    });
  } catch (e) {
    throw toKubeError(e, where);
  }
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const closed = await new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => {
      socket.close();
      resolve(false);
    }, timeoutMs);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
  if (!closed) throw new KubeError({ reason: 'timeout', message: `${where.cluster}: ${where.resource}: \`${argv.join(' ')}\` did not finish within ${Math.round(timeoutMs / 1000)} s`, hint: 'the command may wait for input or run for ever; give it a bound', ...where });
  const exitCode = status ? exitCodeOf(status) : undefined;
  if (exitCode !== undefined) return { exitCode, stdout: out.text(), stderr: err.text() };
  const said = status?.message ?? 'the connection closed without an exit status';
  throw new KubeError({ reason: 'unknown', message: `${where.cluster}: ${where.resource}: \`${argv.join(' ')}\` could not run: ${said}`, hint: "the pod's node could not run the command in that container (a pod whose node only simulates it, as kwok's, runs nothing); see the message", ...where });
}

/** The log of a container, as `kubectl logs pod -c container` prints it. */
export async function readPodLog(clients: KubeClients, namespace: string, pod: string, container: string): Promise<string> {
  try {
    return await clients.core.readNamespacedPodLog({ name: pod, namespace, container });
  } catch (e) {
    throw toKubeError(e, { cluster: clients.context, resource: `pods/${namespace}/${pod}/log` });
  }
}
