import { execFile } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { access, chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { LAB_ERROR_CODES, LabError } from './errors.js';

const execFileAsync = promisify(execFile);

export type LabClientName = 'admin' | 'controller-manager' | 'scheduler' | 'kwok';

/** Kubernetes reads user and groups from the client certificate's CN and O. */
const CLIENT_SUBJECTS: Record<LabClientName, string> = {
  // system:masters is the bootstrap superuser group: the lab's admin, not a mesh identity.
  admin: '/O=system:masters/CN=meshfed-lab-admin',
  'controller-manager': '/CN=system:kube-controller-manager',
  scheduler: '/CN=system:kube-scheduler',
  // kwok plays every kubelet and patches pod/node status everywhere; node RBAC does not fit it.
  kwok: '/O=system:masters/CN=meshfed-lab-kwok',
};

export const LAB_CLIENTS = Object.keys(CLIENT_SUBJECTS) as LabClientName[];

export interface CertPair {
  cert: string;
  key: string;
}

export interface ClusterPki {
  dir: string;
  ca: CertPair;
  serving: CertPair;
  /** kwok's kubelet server (exec, logs): the API server checks it against `ca` and the node's address. */
  kubelet: CertPair;
  /** Service account token signing key (private) and its public half. */
  serviceAccountKey: string;
  serviceAccountPub: string;
  clients: Record<LabClientName, CertPair>;
}

export interface PkiSubject {
  cluster: string;
  ip: string;
  kubernetesServiceIP: string;
}

export function pkiPaths(dir: string): ClusterPki {
  const pair = (n: string): CertPair => ({ cert: join(dir, `${n}.crt`), key: join(dir, `${n}.key`) });
  return {
    dir,
    ca: pair('ca'),
    serving: pair('apiserver'),
    kubelet: pair('kubelet'),
    serviceAccountKey: join(dir, 'sa.key'),
    serviceAccountPub: join(dir, 'sa.pub'),
    clients: Object.fromEntries(LAB_CLIENTS.map((c) => [c, pair(`client-${c}`)])) as Record<LabClientName, CertPair>,
  };
}

/** The openssl config: extensions per certificate kind, SANs of the serving certificate. */
export function opensslConfig(subject: PkiSubject): string {
  const sans = [
    `IP:${subject.ip}`,
    `IP:${subject.kubernetesServiceIP}`,
    'IP:127.0.0.1',
    'DNS:localhost',
    'DNS:kubernetes',
    'DNS:kubernetes.default',
    'DNS:kubernetes.default.svc',
    'DNS:kubernetes.default.svc.cluster.local',
  ];
  return [
    '[req]',
    'distinguished_name = dn',
    'prompt = no',
    '[dn]',
    'CN = meshfed-lab',
    '[ca]',
    'basicConstraints = critical,CA:TRUE',
    'keyUsage = critical,keyCertSign,cRLSign,digitalSignature',
    'subjectKeyIdentifier = hash',
    '[serving]',
    'basicConstraints = critical,CA:FALSE',
    'keyUsage = critical,digitalSignature,keyEncipherment',
    'extendedKeyUsage = serverAuth',
    `subjectAltName = ${sans.join(',')}`,
    '[client]',
    'basicConstraints = critical,CA:FALSE',
    'keyUsage = critical,digitalSignature,keyEncipherment',
    'extendedKeyUsage = clientAuth',
    '',
  ].join('\n');
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

async function openssl(args: string[], cluster: string): Promise<void> {
  try {
    await execFileAsync('openssl', args, { timeout: 30_000 });
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { stderr?: string };
    const missing = err.code === 'ENOENT';
    throw new LabError({ code: LAB_ERROR_CODES.opensslFailed, message: missing ? 'openssl is not installed' : `openssl failed making the lab certificates of ${cluster}: ${(err.stderr ?? err.message).split('\n').filter((l) => !/^-+$/.test(l.trim()))[0] ?? ''}`, hint: missing ? 'install it (apt-get install openssl)' : 'remove the lab state (meshfed lab down) and retry', cluster: cluster });
  }
}

/**
 * Makes one CA per cluster and the certificates its components need (EC P-256: fast to
 * generate), reusing them when they already name the same addresses so the kubeconfig of a
 * lab that is brought up again stays valid.
 */
export async function ensureClusterPki(dir: string, subject: PkiSubject): Promise<ClusterPki> {
  const paths = pkiPaths(dir);
  const stamp = join(dir, 'subject.json');
  const want = JSON.stringify(subject);
  const all = [paths.ca, paths.serving, paths.kubelet, ...Object.values(paths.clients)].flatMap((p) => [p.cert, p.key]);
  all.push(paths.serviceAccountKey, paths.serviceAccountPub);
  const current = await readFile(stamp, 'utf8').catch(() => '');
  if (current === want && (await Promise.all(all.map(exists))).every(Boolean)) return paths;

  await mkdir(dir, { recursive: true, mode: 0o700 });
  const cnf = join(dir, 'openssl.cnf');
  await writeFile(cnf, opensslConfig(subject));
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '3650', '-config', cnf];
  await openssl(['req', '-x509', ...ec, '-extensions', 'ca', '-keyout', paths.ca.key, '-out', paths.ca.cert, '-subj', `/CN=meshfed-lab-${subject.cluster}-ca`], subject.cluster);
  const signed = (ext: string, pair: CertPair, subj: string) =>
    openssl(['req', '-x509', ...ec, '-extensions', ext, '-CA', paths.ca.cert, '-CAkey', paths.ca.key, '-keyout', pair.key, '-out', pair.cert, '-subj', subj], subject.cluster);
  await Promise.all([
    signed('serving', paths.serving, '/CN=kube-apiserver'),
    // kwok binds its server on the same loopback address, which the serving SANs name.
    signed('serving', paths.kubelet, `/CN=system:node:${subject.cluster}-kwok`),
    ...LAB_CLIENTS.map((c) => signed('client', paths.clients[c], CLIENT_SUBJECTS[c])),
  ]);
  const sa = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  await writeFile(paths.serviceAccountKey, sa.privateKey, { mode: 0o600 });
  await writeFile(paths.serviceAccountPub, sa.publicKey);
  // openssl honours the umask; keys must be private whatever it is.
  await Promise.all([paths.ca.key, paths.serving.key, paths.kubelet.key, ...Object.values(paths.clients).map((p) => p.key), paths.serviceAccountKey].map((k) => chmod(k, 0o600)));
  await writeFile(stamp, want);
  return paths;
}
