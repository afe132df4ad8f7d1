/**
 * Credentials never leave in text: the patterns, and the places every message passes through
 * (MeshfedError and so KubeError from whatever a library threw, a watcher's foreign errors,
 * the CLI's --verbose cause chain, a cluster's server URL as discover and the API show it).
 */
import { describe, expect, it } from 'vitest';
import { formatError } from '../../src/cli/exit.js';
import { Supervisor, clusterErrorOf } from '../../src/discovery/index.js';
import { MeshfedError, redactSecrets, redactUrl } from '../../src/errors/index.js';
import { toKubeError, type KubeClients } from '../../src/kube/index.js';
import { FakeApi } from '../discovery/fakeApi.js';

const JWT = 'eyJhbGciOiJSUzI1NiIsImtpZCI6IjEifQ.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQifQ.c2lnbmF0dXJlLXZhbHVl';

describe('redactSecrets', () => {
  it.each([
    ['an Authorization header', 'request failed: {"Authorization":"Bearer abc123.def-456"}', 'abc123.def-456'],
    ['basic auth', 'headers: authorization: Basic YWRtaW46aHVudGVyMg==', 'YWRtaW46aHVudGVyMg=='],
    ['user:password in a URL', 'connect ECONNREFUSED https://admin:hunter2@10.0.0.1:6443/api', 'hunter2'],
    ['a token in a URL', 'GET https://ghp_abcdef@example.com/x failed', 'ghp_abcdef'],
    ['a kubeconfig line', 'YAML error near "    token: s3cr3t-value"', 's3cr3t-value'],
    ['a query parameter', 'GET /x?access_token=qwerty12345&x=1', 'qwerty12345'],
    ['a bare JWT', `the server said ${JWT} was rejected`, JWT],
    ['a PEM private key', 'bad key: -----BEGIN EC PRIVATE KEY-----\nMHcCAQEEI\n-----END EC PRIVATE KEY-----', 'MHcCAQEEI'],
  ])('%s', (_, text, secret) => {
    const out = redactSecrets(text);
    expect(out).not.toContain(secret);
    expect(out).toContain('<redacted');
  });

  it('leaves ordinary messages alone', () => {
    for (const text of ['cluster02: /api/v1/pods: ECONNREFUSED', 'users[west].user.token-file reads a local file', 'send Authorization: Bearer <the token>', 'https://10.0.0.2:6443']) expect(redactSecrets(text)).toBe(text);
  });

  it('redactUrl drops user and password and keeps the rest', () => {
    expect(redactUrl('https://admin:hunter2@10.0.0.1:6443')).toBe('https://<redacted>@10.0.0.1:6443');
    expect(redactUrl('https://10.0.0.1:6443')).toBe('https://10.0.0.1:6443');
  });
});

describe('where text leaves meshfed', () => {
  it('a KubeError made from a library error that quotes the bearer token holds no token, nor does the --verbose cause line', () => {
    const thrown = new Error(`request to https://admin:pw@10.0.0.1:6443/api failed, headers {"authorization":"Bearer ${JWT}"}`);
    const err = toKubeError(thrown, { cluster: 'c1', resource: '/api' });
    expect(err.message).not.toContain(JWT);
    expect(err.message).not.toContain(':pw@');
    const printed = formatError(new MeshfedError({ code: 'MF7099', message: 'failed', hint: 'retry', cause: thrown }), true);
    expect(printed).toContain('cause:');
    expect(printed).not.toContain(JWT);
    expect(printed).not.toContain(':pw@');
  });

  it("a watcher's foreign error and a cluster's server URL, as discover and the API show them", async () => {
    expect(clusterErrorOf(new Error(`boom: Bearer ${JWT}`)).message).not.toContain(JWT);
    const clients = { context: 'c1', server: 'https://admin:hunter2@10.0.0.1:6443' } as unknown as KubeClients;
    const s = new Supervisor({ members: { from: 'mesh', clusters: [{ clusterId: 'c1', clients }] }, sourceFor: () => new FakeApi('c1'), debounceMs: 0 }).start();
    try {
      expect(JSON.stringify(s.clusters())).not.toContain('hunter2');
      expect(s.clusters()[0]?.server).toBe('https://<redacted>@10.0.0.1:6443');
    } finally {
      await s.stop();
    }
  });
});
