// `meshfed render` as a user runs it (through the CLI's main() with captured output): deterministic
// output, secrets only on request and 0600, pruning of clusters that left the mesh, seed 000's node
// routes as a runnable script, and a placeholder (with a note) for an address known only after apply.
import { spawnSync } from 'node:child_process';
import { chmod, copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { FIXTURES, GOLDEN_EXAMPLES, SEED_MODELS, getPath, meshfed, parseYamlDoc, readTree, removeTempDirs, renderWithCli, tempDir, type Obj } from './helpers.js';
import { seedRoutes, seedSections, seedText } from './seed.js';

afterAll(removeTempDirs);

const BUNDLE = { 'ca-cert.pem': 'ca-cert.pem', 'ca-key.pem': 'ca-key.pem', 'root-cert.pem': 'root-cert.pem', 'cert-chain.pem': 'cert-chain.pem' };

/** A copy of a mesh file in a fresh folder, so its trust folder (./certs) is created there and not in the repo. */
async function meshCopy(source: string, edit?: (mesh: Obj) => void): Promise<{ dir: string; meshFile: string }> {
  const dir = await tempDir('mesh');
  const meshFile = join(dir, 'mesh.yaml');
  if (edit) {
    const mesh = parse(await readFile(source, 'utf8')) as Obj;
    edit(mesh);
    await writeFile(meshFile, stringify(mesh, { lineWidth: 0 }));
  } else await copyFile(source, meshFile);
  return { dir, meshFile };
}

describe('determinism', () => {
  it.each(Object.keys(GOLDEN_EXAMPLES))('%s: two renders into two folders are byte-identical, modes included', async (name) => {
    const a = await readTree((await renderWithCli(GOLDEN_EXAMPLES[name]!)).dir);
    const b = await readTree((await renderWithCli(GOLDEN_EXAMPLES[name]!)).dir);
    expect([...a.keys()]).toEqual([...b.keys()]);
    for (const [path, f] of a) expect(b.get(path), path).toStrictEqual(f);
  });

  it('rendering again into the same folder changes nothing', async () => {
    const first = await renderWithCli(GOLDEN_EXAMPLES['mix']!);
    const before = await readTree(first.dir);
    await renderWithCli(GOLDEN_EXAMPLES['mix']!, { out: first.dir });
    expect(await readTree(first.dir)).toStrictEqual(before);
  });

  it('file modes: scripts 0755, everything else 0644 without --include-secrets', async () => {
    const tree = await readTree((await renderWithCli(GOLDEN_EXAMPLES['primary-remote']!)).dir);
    for (const [path, f] of tree) expect(f.mode.toString(8), path).toBe(path.endsWith('.sh') ? '755' : '644');
  });
});

describe('cacerts: key material only with --include-secrets', () => {
  it('meshfed certs, then render --include-secrets writes 10-cacerts.yaml (0600) with the four files of the trust folder', async () => {
    const { dir, meshFile } = await meshCopy(join(FIXTURES, 'rsa-2048/mesh.yaml'));
    const certs = await meshfed('certs', '-f', meshFile);
    expect(certs.code, certs.stderr).toBe(0);
    const out = join(dir, 'out');
    const run = await renderWithCli(meshFile, { out, args: ['--include-secrets'] });
    const tree = await readTree(out);
    for (const cluster of ['cluster01', 'cluster02']) {
      const path = `${cluster}/10-cacerts.yaml`;
      const f = tree.get(path);
      expect(f, path).toBeDefined();
      expect(f!.mode.toString(8), `${path} holds a private key`).toBe('600');
      expect(tree.has(`${cluster}/10-cacerts.txt`)).toBe(false);
      const secret = parseYamlDoc(f!.content, path);
      expect(secret['kind']).toBe('Secret');
      expect(getPath(secret, ['metadata'])).toStrictEqual({ name: 'cacerts', namespace: 'istio-system' });
      const data = secret['data'] as Record<string, string>;
      expect(Object.keys(data).sort()).toEqual(Object.keys(BUNDLE).sort());
      for (const [key, file] of Object.entries(BUNDLE)) {
        const onDisk = await readFile(join(dir, 'certs', cluster, file));
        expect(Buffer.from(data[key]!, 'base64').equals(onDisk), `${path} data.${key} = base64 of certs/${cluster}/${file}`).toBe(true);
      }
      expect(Buffer.from(data['ca-key.pem']!, 'base64').toString()).toContain('PRIVATE KEY');
    }
    // The root key never leaves the trust folder.
    const rootKey = (await readFile(join(dir, 'certs', 'root-key.pem'), 'utf8')).trim();
    for (const [path, f] of tree) expect(f.content.includes(rootKey) || f.content.includes(Buffer.from(rootKey).toString('base64')), path).toBe(false);
    expect(run.stderr).toContain('cluster01/10-cacerts.yaml (0600, holds a key)');
  });

  it('without the flag: 10-cacerts.txt and no PRIVATE KEY anywhere in the output', async () => {
    const { dir, meshFile } = await meshCopy(join(FIXTURES, 'rsa-2048/mesh.yaml'));
    expect((await meshfed('certs', '-f', meshFile)).code).toBe(0);
    const out = join(dir, 'out');
    // A previous render with secrets must not leave a key behind either.
    await renderWithCli(meshFile, { out, args: ['--include-secrets'] });
    await renderWithCli(meshFile, { out });
    const tree = await readTree(out);
    for (const cluster of ['cluster01', 'cluster02']) {
      expect(tree.has(`${cluster}/10-cacerts.yaml`)).toBe(false);
      const txt = tree.get(`${cluster}/10-cacerts.txt`);
      expect(txt?.mode.toString(8)).toBe('644');
      expect(txt?.content).toContain('--include-secrets');
    }
    const grep = spawnSync('grep', ['-rl', 'PRIVATE KEY', out], { encoding: 'utf8' });
    expect(grep.status, `files with PRIVATE KEY: ${grep.stdout}`).toBe(1);
    for (const [path, f] of tree) expect(f.content, path).not.toMatch(/PRIVATE KEY|LS0tLS1CRUdJTi/);
  });
});

describe('pruning', () => {
  it('removing a cluster and rendering again into the same folder removes its folder and files it no longer needs', async () => {
    const { dir, meshFile } = await meshCopy(GOLDEN_EXAMPLES['primary-remote']!);
    const out = join(dir, 'out');
    await renderWithCli(meshFile, { out });
    await mkdir(join(out, 'notes'));
    await writeFile(join(out, 'notes', 'README.md'), 'not meshfed\n');
    const before = await readTree(out);
    expect(before.has('cluster02/20-istio.yaml')).toBe(true);
    expect(before.has('cluster01/30-eastwest-gateway.yaml')).toBe(true);

    const mesh = parse(await readFile(meshFile, 'utf8')) as { spec: { clusters: { name: string }[] } };
    mesh.spec.clusters = mesh.spec.clusters.filter((c) => c.name !== 'cluster02');
    await writeFile(meshFile, stringify(mesh, { lineWidth: 0 }));
    await renderWithCli(meshFile, { out });
    const after = await readTree(out);
    expect([...after.keys()].filter((p) => p.startsWith('cluster02/'))).toEqual([]);
    // cluster01 lost its only remote: no gateway, no expose-istiod, no EXTERNAL_ISTIOD, no routes.
    expect([...after.keys()].filter((p) => p.startsWith('cluster01/'))).toEqual(['cluster01/00-namespace.yaml', 'cluster01/10-cacerts.txt', 'cluster01/20-istio.yaml']);
    expect(after.get('cluster01/20-istio.yaml')!.content).not.toContain('EXTERNAL_ISTIOD');
    // Folders meshfed did not write stay.
    expect(after.get('notes/README.md')?.content).toBe('not meshfed\n');
  });
});

describe("seed 000's routes between flat networks", () => {
  const FAKE_IP = [
    '#!/bin/sh',
    '# Stands in for iproute2: records `ip route add`, answers `ip route show` from the record.',
    'if [ "$1 $2" = "route show" ]; then grep -F -- "route add $3 " "$FAKE_IP_LOG" 2>/dev/null || true; exit 0; fi',
    'if [ "$1 $2" = "route add" ]; then echo "$*" >> "$FAKE_IP_LOG"; exit 0; fi',
    'echo "fake ip: unexpected: $*" >&2; exit 2',
    '',
  ].join('\n');

  async function runRoutes(script: string, env: Record<string, string> = {}): Promise<{ status: number | null; routes: string[]; stderr: string }> {
    const bin = await tempDir('bin');
    await writeFile(join(bin, 'ip'), FAKE_IP);
    await chmod(join(bin, 'ip'), 0o755);
    const log = join(bin, 'routes.log');
    await writeFile(log, '');
    const run = () => spawnSync('sh', [script], { encoding: 'utf8', env: { PATH: `${bin}:/usr/bin:/bin`, FAKE_IP_LOG: log, ...env } });
    const first = run();
    if (first.status !== 0) return { status: first.status, routes: [], stderr: first.stderr };
    const again = run(); // safe to run again: nothing is added twice
    expect(again.status, again.stderr).toBe(0);
    const routes = (await readFile(log, 'utf8')).split('\n').filter(Boolean);
    return { status: 0, routes, stderr: first.stderr };
  }

  const flat = SEED_MODELS.filter((m) => !m.endsWith('multi-network'));

  it.each(flat)("%s: 90-routes.sh adds exactly the seed's routes, through the node addresses of mesh.yaml", async (model) => {
    const section = seedSections(seedText())[model];
    const seed = seedRoutes(section);
    expect(seed).toHaveLength(4);
    const mesh = parse(await readFile(GOLDEN_EXAMPLES[model]!, 'utf8')) as { spec: { clusters: { name: string; nodeAddress: string }[] } };
    const nodeAddress = (c: string) => mesh.spec.clusters.find((x) => x.name === c)!.nodeAddress;
    expect([nodeAddress('cluster01'), nodeAddress('cluster02')]).toEqual(['172.18.0.2', '172.18.0.3']);

    const { dir } = await renderWithCli(GOLDEN_EXAMPLES[model]!);
    for (const cluster of ['cluster01', 'cluster02']) {
      const script = join(dir, cluster, '90-routes.sh');
      const syntax = spawnSync('sh', ['-n', script], { encoding: 'utf8' });
      expect(syntax.status, `sh -n ${cluster}/90-routes.sh: ${syntax.stderr}`).toBe(0);
      const { status, routes, stderr } = await runRoutes(script);
      expect(status, stderr).toBe(0);
      const want = seed.filter((r) => r.on === cluster).map((r) => `route add ${r.destination} via ${nodeAddress(r.via)}`);
      expect(routes.sort()).toEqual(want.sort());
    }
    const c1 = await readFile(join(dir, 'cluster01/90-routes.sh'), 'utf8');
    const c2 = await readFile(join(dir, 'cluster02/90-routes.sh'), 'utf8');
    expect(c1).toMatch(/^add_route 10\.20\.0\.0\/16 172\.18\.0\.3\b/m);
    expect(c1).toMatch(/^add_route 10\.21\.0\.0\/16 172\.18\.0\.3\b/m);
    expect(c2).toMatch(/^add_route 10\.10\.0\.0\/16 172\.18\.0\.2\b/m);
    expect(c2).toMatch(/^add_route 10\.11\.0\.0\/16 172\.18\.0\.2\b/m);
  });

  it('multi-network models route through gateways: no routes script', async () => {
    for (const model of SEED_MODELS.filter((m) => m.endsWith('multi-network'))) {
      const tree = await readTree((await renderWithCli(GOLDEN_EXAMPLES[model]!)).dir);
      expect([...tree.keys()].filter((p) => p.endsWith('90-routes.sh')), model).toEqual([]);
    }
  });

  it('every routes script of the mix passes sh -n', async () => {
    const { dir } = await renderWithCli(GOLDEN_EXAMPLES['mix']!);
    const scripts = [...(await readTree(dir)).keys()].filter((p) => p.endsWith('90-routes.sh'));
    expect(scripts).toHaveLength(6);
    for (const s of scripts) expect(spawnSync('sh', ['-n', join(dir, s)]).status, s).toBe(0);
  });

  it('a peer without nodeAddress: the script stops with a message until NODE_ADDRESS_<PEER> is set', async () => {
    const { dir } = await renderWithCli(join(FIXTURES, 'no-gateway-address/mesh.yaml'));
    const script = join(dir, 'east-2/90-routes.sh');
    expect(spawnSync('sh', ['-n', script]).status).toBe(0);
    const unset = await runRoutes(script);
    expect(unset.status).not.toBe(0);
    expect(unset.stderr).toContain('NODE_ADDRESS_EAST_1');
    const set = await runRoutes(script, { NODE_ADDRESS_EAST_1: '10.1.0.10' });
    expect(set.status, set.stderr).toBe(0);
    expect(set.routes.sort()).toEqual(['route add 10.100.0.0/16 via 10.1.0.10', 'route add 10.101.0.0/16 via 10.1.0.10']);
  });
});

describe('gateway address known only after apply', () => {
  it('a remote whose primary has no pool or address gets ${EASTWEST_ADDRESS_<PRIMARY>} and render prints a note', async () => {
    const run = await renderWithCli(join(FIXTURES, 'no-gateway-address/mesh.yaml'));
    const remote = parseYamlDoc(await readFile(join(run.dir, 'east-2/20-istio.yaml'), 'utf8'));
    expect(getPath(remote, ['spec', 'values', 'global', 'remotePilotAddress'])).toBe('${EASTWEST_ADDRESS_EAST_1}');
    const gateway = parseYamlDoc(await readFile(join(run.dir, 'east-1/30-eastwest-gateway.yaml'), 'utf8'));
    expect(getPath(gateway, ['spec', 'components', 'ingressGateways', 0, 'k8s', 'serviceAnnotations'])).toBeUndefined();
    const notes = run.stderr.split('\n').filter((l) => l.startsWith('note: '));
    expect(notes).toHaveLength(1);
    expect(notes[0]).toContain('east-2/20-');
    expect(notes[0]).toContain('remotePilotAddress is a placeholder');
    expect(notes[0]).toContain('east-1');
  });

  it('the same with Helm: the istiod values carry the placeholder and the note is printed', async () => {
    const { meshFile } = await meshCopy(join(FIXTURES, 'no-gateway-address/mesh.yaml'), (m) => {
      ((m['spec'] as Obj)['istio'] as Obj)['installer'] = 'helm';
    });
    const run = await renderWithCli(meshFile);
    const values = parseYamlDoc(await readFile(join(run.dir, 'east-2/21-helm-istiod.values.yaml'), 'utf8'));
    expect(getPath(values, ['global', 'remotePilotAddress'])).toBe('${EASTWEST_ADDRESS_EAST_1}');
    expect(run.stderr).toMatch(/^note: east-2\/20-\*: remotePilotAddress is a placeholder/m);
  });

  it('with planned addresses there is no placeholder and no note', async () => {
    for (const name of Object.keys(GOLDEN_EXAMPLES)) {
      const run = await renderWithCli(GOLDEN_EXAMPLES[name]!);
      expect(run.stderr, name).not.toContain('note: ');
      for (const [path, f] of await readTree(run.dir)) expect(f.content, `${name}/${path}`).not.toContain('EASTWEST_ADDRESS_');
    }
  });
});
