import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { KubeConfig } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { DISCOVERY_ERROR_CODES, diffMemberClusters, readRemoteSecrets, type RemoteSecretsResult } from '../../src/discovery/index.js';
import { SECRET_TOKEN, kubeconfig, remoteSecret } from './helpers.js';
import { hostileKubeconfigs, type HostileTarget } from './hostileKubeconfigs.js';

const LOCAL = 'cluster01';
const read = (secrets: Parameters<typeof readRemoteSecrets>[0], previous?: RemoteSecretsResult) =>
  readRemoteSecrets(secrets, { localClusterId: LOCAL, ...(previous ? { previous: previous.clusters } : {}) });
const ids = (r: RemoteSecretsResult) => r.clusters.map((c) => [c.clusterId, `${c.secret.namespace}/${c.secret.name}`, c.server]);

describe('remote secrets', () => {
  it('reads every data key of one secret as a cluster ID with its kubeconfig', () => {
    const r = read([remoteSecret('istio-remote-secret-multi', { cluster03: kubeconfig('cluster03', 'https://10.0.0.3:6443'), cluster02: kubeconfig('cluster02', 'https://10.0.0.2:6443') })]);
    expect(ids(r)).toEqual([
      ['cluster02', 'istio-system/istio-remote-secret-multi', 'https://10.0.0.2:6443'],
      ['cluster03', 'istio-system/istio-remote-secret-multi', 'https://10.0.0.3:6443'],
    ]);
    expect(r.clusters[0]?.kubeconfig()).toBe(kubeconfig('cluster02', 'https://10.0.0.2:6443'));
    expect(r.ignored).toEqual([]);
    expect(r.errors).toEqual([]);
  });

  it('never shows the kubeconfig in JSON, inspect or spread', () => {
    const r = read([remoteSecret('s', { cluster02: kubeconfig('cluster02', 'https://10.0.0.2:6443') })]);
    const shown = [JSON.stringify(r), inspect(r, { depth: 10 }), JSON.stringify({ ...r.clusters[0] })];
    for (const s of shown) expect(s).not.toContain(SECRET_TOKEN);
    expect(JSON.parse(JSON.stringify(r.clusters))).toEqual([{ clusterId: 'cluster02', secret: { namespace: 'istio-system', name: 's' }, server: 'https://10.0.0.2:6443' }]);
  });

  it("ignores the key naming the local cluster, with the reason, and keeps the secret's others", () => {
    const r = read([remoteSecret('s', { [LOCAL]: kubeconfig(LOCAL, 'https://10.0.0.1:6443'), cluster02: kubeconfig('cluster02', 'https://10.0.0.2:6443') })]);
    expect(ids(r).map((x) => x[0])).toEqual(['cluster02']);
    expect(r.ignored).toEqual([expect.objectContaining({ clusterId: LOCAL, reason: 'localCluster', secret: { namespace: 'istio-system', name: 's' } })]);
    expect(r.ignored[0]?.message).toContain('would overwrite the config cluster');
  });

  it('lets the first secret (by name, as a fresh istiod) keep a cluster ID that a second one repeats', () => {
    const a = remoteSecret('a-secret', { cluster02: kubeconfig('cluster02', 'https://a.example:6443') });
    const b = remoteSecret('b-secret', { cluster02: kubeconfig('cluster02', 'https://b.example:6443') });
    for (const order of [[a, b], [b, a]]) {
      const r = read(order);
      expect(ids(r)).toEqual([['cluster02', 'istio-system/a-secret', 'https://a.example:6443']]);
      expect(r.ignored).toEqual([expect.objectContaining({ clusterId: 'cluster02', reason: 'duplicate', secret: { namespace: 'istio-system', name: 'b-secret' }, registeredBy: { namespace: 'istio-system', name: 'a-secret' } })]);
    }
  });

  it('keeps the registered owner of an ID when a secret sorting earlier repeats it later (running istiod)', () => {
    const first = read([remoteSecret('z-secret', { cluster02: kubeconfig('cluster02', 'https://z.example:6443') })]);
    const later = read([remoteSecret('a-secret', { cluster02: kubeconfig('cluster02', 'https://a.example:6443') }), remoteSecret('z-secret', { cluster02: kubeconfig('cluster02', 'https://z.example:6443') })], first);
    expect(ids(later)).toEqual([['cluster02', 'istio-system/z-secret', 'https://z.example:6443']]);
    expect(later.ignored.map((i) => [i.secret.name, i.reason])).toEqual([['a-secret', 'duplicate']]);
  });

  it('does not let a broken kubeconfig hold an ID against a valid one in another secret', () => {
    const r = read([remoteSecret('a-secret', { cluster02: 'not: [valid' }), remoteSecret('b-secret', { cluster02: kubeconfig('cluster02', 'https://b.example:6443') })]);
    expect(ids(r)).toEqual([['cluster02', 'istio-system/b-secret', 'https://b.example:6443']]);
    expect(r.errors.map((e) => [e.secret.name, e.reason])).toEqual([['a-secret', 'notYaml']]);
  });

  it('ignores secrets without the label, with another value, or in another namespace', () => {
    const good = kubeconfig('cluster02', 'https://10.0.0.2:6443');
    const r = read([
      remoteSecret('unlabelled', { cluster02: good }, { labels: {} }),
      remoteSecret('false', { cluster03: good }, { labels: { 'istio/multiCluster': 'false' } }),
      remoteSecret('elsewhere', { cluster04: good }, { namespace: 'default' }),
      { ...remoteSecret('configmap', { cluster05: good }), kind: 'ConfigMap' },
      remoteSecret('selected', { cluster06: kubeconfig('cluster06', 'https://10.0.0.6:6443') }),
    ]);
    expect(ids(r).map((x) => x[0])).toEqual(['cluster06']);
    expect(r.ignored).toEqual([]);
    expect(r.errors).toEqual([]);
    // A custom system namespace is the one that counts then.
    const custom = readRemoteSecrets([remoteSecret('elsewhere', { cluster04: good }, { namespace: 'istio-x' })], { localClusterId: LOCAL, systemNamespace: 'istio-x' });
    expect(custom.clusters.map((c) => c.clusterId)).toEqual(['cluster04']);
  });
});

describe('bad kubeconfigs', () => {
  const tokenLine = `token: ${SECRET_TOKEN}`;
  const cases: [string, string, keyof typeof DISCOVERY_ERROR_CODES, string, boolean?][] = [
    ['not base64', `!!${SECRET_TOKEN}!!`, 'notBase64', 'is not base64', true],
    ['empty', '', 'emptyKubeconfig', 'kubeconfig is empty'],
    // The YAML error sits on the token's line: the yaml package would quote that line.
    ['not YAML', `users:\n- name: u\n  user:\n    ${tokenLine}\n   bad: [indent\n`, 'notYaml', 'kubeconfig cannot be loaded: YAML error at line 5, column 1'],
    ['not a mapping', `- ${SECRET_TOKEN}\n`, 'notYaml', 'not a mapping'],
    ['no current context', kubeconfig('cluster02', 'https://x:6443').replace(/current-context: .*\n/, ''), 'invalidKubeconfig', 'no current-context'],
    ['unknown current context', kubeconfig('cluster02', 'https://x:6443').replace('current-context: cluster02', 'current-context: other'), 'invalidKubeconfig', 'context was not found for specified context: other'],
    ['context naming a missing cluster', kubeconfig('cluster02', 'https://x:6443').replace('cluster: cluster02', 'cluster: gone'), 'invalidKubeconfig', 'cluster "gone" was not found'],
    ['cluster without server', kubeconfig('cluster02', 'https://x:6443').replace('server: https://x:6443', 'server: ""'), 'invalidKubeconfig', 'no server found for cluster "cluster02"'],
    ['a kubeconfig that is not valid YAML twice', kubeconfig('cluster02', 'https://x:6443').replace('kind: Config', 'kind: Config\nkind: Config'), 'kubeconfigAmbiguous', 'a key appears twice'],
    ['a plain http server (the token would travel in clear)', kubeconfig('cluster02', 'http://x:6443'), 'invalidKubeconfig', 'is not an https:// URL'],
    ['CA data that is not base64', kubeconfig('cluster02', 'https://x:6443').replace('Q0EK', 'not base64!'), 'invalidKubeconfig', 'certificate-authority-data is not base64'],
  ];

  it.each(cases)('%s: a typed error naming secret and cluster, without the token', (_, value, cause, text, raw) => {
    const r = read([remoteSecret('istio-remote-secret-cluster02', { cluster02: value }, raw ? { raw: true } : {})]);
    expect(r.clusters).toEqual([]);
    expect(r.errors).toHaveLength(1);
    const err = r.errors[0]!;
    expect(err).toMatchObject({ reason: cause, code: DISCOVERY_ERROR_CODES[cause], clusterId: 'cluster02', secret: { namespace: 'istio-system', name: 'istio-remote-secret-cluster02' } });
    expect(err.message).toContain(text);
    expect(err.message).toContain('cluster02');
    expect(err.message).toContain('istio-system/istio-remote-secret-cluster02');
    expect(err.hint.length).toBeGreaterThan(10);
    expect(err.message).not.toContain(SECRET_TOKEN);
    const json = JSON.stringify(r);
    expect(json).not.toContain(SECRET_TOKEN);
    expect(JSON.parse(json).errors[0]).toMatchObject({ code: DISCOVERY_ERROR_CODES[cause], cause, clusterId: 'cluster02' });
    expect(inspect(r, { depth: 10 })).not.toContain(SECRET_TOKEN);
  });

  const target: HostileTarget = { server: 'https://127.0.0.1:6443', caData: 'Q0EK', marker: '/tmp/meshfed-marker-never', localFile: '/etc/hostname' };
  it.each(hostileKubeconfigs(target).map((h) => [h.name, h] as const))('refused by the allow-list: %s, with its code and field', (_, h) => {
    const r = read([remoteSecret('istio-remote-secret-evil', { evil: h.kubeconfig })]);
    expect(r.clusters).toEqual([]);
    expect(r.errors.map((e) => e.toJSON())).toEqual([expect.objectContaining({ code: h.code, clusterId: 'evil', secret: { namespace: 'istio-system', name: 'istio-remote-secret-evil' }, ...(h.field ? { field: h.field } : {}) })]);
    expect(r.errors[0]!.message).toContain('cluster evil of secret istio-system/istio-remote-secret-evil');
    if (h.field) expect(r.errors[0]!.message).toContain(h.field);
    expect(r.errors[0]!.message).not.toContain('hunter2');
  });

  it("the issue's five variants are real: client-node reading the text itself runs the command or sends the file (why clients are built from the checked object)", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'meshfed-hostile-unit-'));
    try {
      const t: HostileTarget = { ...target, marker: join(dir, 'marker'), localFile: join(dir, 'local') };
      await writeFile(t.localFile, 'LOCAL-FILE');
      const sent: string[] = [];
      const marker = (i: number) => join(dir, `marker-${i}`);
      for (const i of [0, 1, 2, 3, 4]) {
        const h = hostileKubeconfigs({ ...t, marker: marker(i) })[i]!;
        const kc = new KubeConfig();
        kc.loadFromString(h.kubeconfig);
        const opts: { headers?: Record<string, string> } = {};
        await kc.applyToHTTPSOptions(opts).catch(() => undefined);
        sent.push(opts.headers?.['Authorization'] ?? '');
      }
      await new Promise((r) => setTimeout(r, 300));
      // Three run `touch` (oidc+config.exec, duplicate users, merge key); two read the local file.
      expect([0, 1, 2, 3, 4].map((i) => existsSync(marker(i)))).toEqual([true, true, true, false, false]);
      expect(sent.slice(3)).toEqual(['Bearer LOCAL-FILE', 'Bearer LOCAL-FILE']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('accepts exactly what istioctl create-remote-secret writes, and client certificate data, and keeps only the current context', () => {
    const withCert = kubeconfig('cluster02', 'https://x:6443').replace(/( *)token: .*/, '$1client-certificate-data: Q0VSVAo=\n$1client-key-data: S0VZCg==').replace(/( *)certificate-authority-data: Q0EK/, '$1certificate-authority-data: Q0EK\n$1tls-server-name: api.internal');
    const r = read([remoteSecret('s', { cluster02: withCert, cluster03: kubeconfig('cluster03', 'https://y:6443') })]);
    expect(r.errors).toEqual([]);
    expect(r.clusters.map((c) => c.clientConfig())).toEqual([
      { context: 'cluster02', cluster: { name: 'cluster02', server: 'https://x:6443', caData: 'Q0EK', tlsServerName: 'api.internal' }, user: { name: 'cluster02', certData: 'Q0VSVAo=', keyData: 'S0VZCg==' } },
      { context: 'cluster03', cluster: { name: 'cluster03', server: 'https://y:6443', caData: 'Q0EK' }, user: { name: 'cluster03', token: SECRET_TOKEN } },
    ]);
  });

  it('keeps the running cluster when its secret is updated with a broken kubeconfig (istiod never swaps)', () => {
    const before = read([remoteSecret('s', { cluster02: kubeconfig('cluster02', 'https://old:6443') })]);
    const after = read([remoteSecret('s', { cluster02: 'kind: Config\n' })], before);
    expect(ids(after)).toEqual([['cluster02', 'istio-system/s', 'https://old:6443']]);
    expect(after.errors[0]?.message).toContain('keeping the previous kubeconfig');
    expect(diffMemberClusters(before.clusters, after.clusters)).toEqual({ added: [], changed: [], removed: [] });
  });
});

describe('diffMemberClusters', () => {
  it('adds, restarts (new token, new server, other secret) and removes by cluster ID', () => {
    const before = read([
      remoteSecret('s1', { cluster02: kubeconfig('cluster02', 'https://10.0.0.2:6443'), cluster03: kubeconfig('cluster03', 'https://10.0.0.3:6443') }),
      remoteSecret('s2', { cluster04: kubeconfig('cluster04', 'https://10.0.0.4:6443'), cluster05: kubeconfig('cluster05', 'https://10.0.0.5:6443') }),
      remoteSecret('s3', { cluster06: kubeconfig('cluster06', 'https://10.0.0.6:6443') }),
    ]);
    const after = read(
      [
        remoteSecret('s1', { cluster02: kubeconfig('cluster02', 'https://10.0.0.2:6443', 'rotated-token'), cluster03: kubeconfig('cluster03', 'https://10.9.9.3:6443') }),
        remoteSecret('s2', { cluster04: kubeconfig('cluster04', 'https://10.0.0.4:6443') }),
        remoteSecret('s4', { cluster06: kubeconfig('cluster06', 'https://10.0.0.6:6443'), cluster07: kubeconfig('cluster07', 'https://10.0.0.7:6443') }),
      ],
      before,
    );
    const d = diffMemberClusters(before.clusters, after.clusters);
    expect(d.added.map((c) => c.clusterId)).toEqual(['cluster07']);
    expect(d.removed.map((c) => c.clusterId)).toEqual(['cluster05']);
    expect(d.changed.map((c) => [c.after.clusterId, c.before.server, c.after.server, c.after.secret.name])).toEqual([
      ['cluster02', 'https://10.0.0.2:6443', 'https://10.0.0.2:6443', 's1'],
      ['cluster03', 'https://10.0.0.3:6443', 'https://10.9.9.3:6443', 's1'],
      ['cluster06', 'https://10.0.0.6:6443', 'https://10.0.0.6:6443', 's4'],
    ]);
    expect(d.changed[0]?.after.kubeconfig()).toContain('rotated-token');
    expect(diffMemberClusters(after.clusters, after.clusters)).toEqual({ added: [], changed: [], removed: [] });
  });
});
