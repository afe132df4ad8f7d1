/**
 * What a client printed, as answers and errors. Two clients: on real clusters seed 000's
 * `curl helloworld.<ns>:5000/hello` ("Hello version: v1, instance: helloworld-v1-…"), one
 * connection per request; in the lab, Istio's echo client over proxyless gRPC
 * (`[i body] ServiceVersion=v1`, `Hostname=<pod>`, pkg/test/echo/fields.go). Pure.
 */

export interface RawAnswer {
  version: string;
  pod: string;
  /** The echo server's own `Cluster=`, where it says (curl's HelloWorld does not). */
  cluster?: string;
}

export interface ParsedOutput {
  answers: RawAnswer[];
  errors: string[];
  /** The lab's gRPC client log: every endpoint address it names (`ip:5000`, a gateway's `ip:15443`). */
  given?: string[];
  /** The lab's gRPC client log: connections that failed, by address (a TLS error among them). */
  connectionErrors?: { address: string; error: string }[];
}

/** The port and path of seed 000's HelloWorld. */
export const HELLOWORLD_PORT = 5000;

/**
 * The shell loop run in the sleep container: a fresh curl (so a fresh connection) per
 * request; a failed request prints one `curl: <reason>` line instead of an answer.
 */
export function curlLoop(namespace: string, requests: number, timeoutS = 5): string[] {
  const url = `helloworld.${namespace}:${HELLOWORLD_PORT}/hello`;
  return ['sh', '-c', `i=0; while [ $i -lt ${requests} ]; do i=$((i+1)); out=$(curl -sS -m ${timeoutS} ${url} 2>&1) && echo "$out" || echo "curl: $out"; done`];
}

export function parseCurlOutput(stdout: string): ParsedOutput {
  const answers: RawAnswer[] = [];
  const errors: string[] = [];
  for (const line of stdout.split('\n').map((l) => l.trim()).filter(Boolean)) {
    const m = /^Hello version: (\S+), instance: (\S+)$/.exec(line);
    if (m) answers.push({ version: m[1]!, pod: m[2]! });
    else errors.push(errorText(line.replace(/^curl: /, '')));
  }
  return { answers, errors };
}

/** The echo client's argv for `requests` calls through xDS, paced so round robin sees every endpoint. */
export function echoClientArgs(namespace: string, requests: number, timeoutS = 3): string[] {
  return ['echo-client', '--count', String(requests), '--qps', '10', '--timeout', `${timeoutS}s`, `xds:///helloworld.${namespace}.svc.cluster.local:${HELLOWORLD_PORT}`];
}

/**
 * The same call with grpc-go's own log on stderr (info, verbosity 2, as Istio's tests read it):
 * it names every address the client was given (a pod's `ip:5000`, or another network's
 * gateway `ip:15443`) and every connection that failed and why (`addrConn.createTransport
 * failed to connect to {Addr: "…"} … Err: …`), which a request that another endpoint answered
 * would hide. `env` is looked up on the pod's PATH like any program.
 */
export function loggedEchoClientArgs(namespace: string, requests: number, timeoutS = 3): string[] {
  return ['env', 'GRPC_GO_LOG_SEVERITY_LEVEL=info', 'GRPC_GO_LOG_VERBOSITY_LEVEL=2', ...echoClientArgs(namespace, requests, timeoutS)];
}

/** A line grpc-go's logger wrote (`2026/12/02 04:00:00 WARNING: [core] …`), not the echo client. */
const GRPC_LOG_LINE = /^\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d(?:\.\d+)? (?:INFO|WARNING|ERROR|FATAL):/;

/** What grpc-go's log says about the endpoints: the addresses it names, the connections that failed. */
export function parseGrpcLog(stderr: string): { given: string[]; connectionErrors: { address: string; error: string }[] } {
  // Entries span lines (resolver states and xDS resources are printed as JSON): read addresses anywhere.
  const given = new Set([...stderr.matchAll(/\b(\d{1,3}(?:\.\d{1,3}){3}:(?:5000|15443))\b/g)].map((m) => m[1]!));
  const connectionErrors: { address: string; error: string }[] = [];
  for (const line of stderr.split('\n').filter((l) => GRPC_LOG_LINE.test(l))) {
    const failed = /createTransport failed to connect to \{Addr: \\?"(\d{1,3}(?:\.\d{1,3}){3}:\d+).*?Err: (.+)$/.exec(line);
    if (failed) connectionErrors.push({ address: failed[1]!, error: errorText(failed[2]!.replace(/^connection error: desc = /, '').replace(/^"|"$/g, '')) });
  }
  return { given: [...given].sort(), connectionErrors };
}

/**
 * The echo client prints every answer only when all succeed; otherwise it ends with one
 * `Error ...` and prints none, so a failed batch counts `requests` errors of that text.
 */
/** The answers the echo client printed: one per `[i body]` block with a version and a pod. */
export function echoAnswers(stdout: string): RawAnswer[] {
  const byRequest = new Map<string, Partial<RawAnswer>>();
  for (const m of stdout.matchAll(/^\[(\d+) body\] (ServiceVersion|Hostname|Cluster)=(\S+)$/gm)) {
    const r = byRequest.get(m[1]!) ?? {};
    if (m[2] === 'ServiceVersion') r.version = m[3]!;
    else if (m[2] === 'Hostname') r.pod = m[3]!;
    else r.cluster = m[3]!;
    byRequest.set(m[1]!, r);
  }
  return [...byRequest.values()].filter((r): r is RawAnswer => !!r.version && !!r.pod);
}

export function parseEchoOutput(stdout: string, stderr: string, exitCode: number, requests: number): ParsedOutput {
  const answers = echoAnswers(stdout);
  const log = parseGrpcLog(stderr);
  if (exitCode === 0 && answers.length > 0) return { answers, errors: [], ...log };
  // The echo client's own words, not grpc-go's log lines around them.
  const own = stderr.split('\n').filter((l) => !GRPC_LOG_LINE.test(l)).join('\n');
  const reason = /Error (.+)/.exec(`${own}\n${stdout}`)?.[1] ?? (own.trim().split('\n').pop() || `exit code ${exitCode}`);
  return { answers: [], errors: Array.from({ length: requests }, () => errorText(reason)), ...log };
}

/** Errors are tallied by text: keep the reason, drop what differs per request (ids, ports, times). */
export function errorText(raw: string): string {
  return raw
    .replace(/\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/g, '<id>')
    .replace(/:\d{4,5}\b/g, ':<port>')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 200);
}

/** Words in an error that point at the certificates (mTLS) rather than the network. */
export const TLS_ERROR = /certificate|x509|tls|handshake|authentication handshake failed/i;
