// Seed 000's cluster01.yaml / cluster02.yaml, extracted from the seed text itself, against the
// 20-istio.yaml meshfed renders for the same model: every setting of the seed must be there with
// the same value, and nothing else may be added.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GOLDEN_EXAMPLES, SEED_MODELS, getPath, isObj, leaves, parseYamlDoc, removeTempDirs, renderWithCli, type Obj, type SeedModel } from './helpers.js';
import { seedInstalls, seedSections, seedText, substitute, type SeedInstall } from './seed.js';

afterAll(removeTempDirs);

/** `--set a.b.c=v` applied to an IstioOperator the way istioctl does (under spec). */
function applySets(file: Obj, sets: Record<string, string>): Obj {
  const out = structuredClone(file);
  for (const [path, raw] of Object.entries(sets)) {
    const value: unknown = raw === 'true' ? true : raw === 'false' ? false : raw;
    const keys = ['spec', ...path.split('.')];
    let cur: Obj = out;
    for (const k of keys.slice(0, -1)) {
      if (!isObj(cur[k])) cur[k] = {};
      cur = cur[k] as Obj;
    }
    cur[keys[keys.length - 1]!] = value;
  }
  return out;
}

const isPrimaryRemote = (m: SeedModel) => m.startsWith('primary-remote');

interface ModelData {
  seed: Record<string, SeedInstall>;
  ours: Record<string, Obj>;
  mesh: Obj;
  plannedAddress: string | undefined;
  seedObservedAddress: string | undefined;
}

const data = {} as Record<SeedModel, ModelData>;

beforeAll(async () => {
  const sections = seedSections(seedText());
  for (const model of SEED_MODELS) {
    const { dir } = await renderWithCli(GOLDEN_EXAMPLES[model]!);
    const plan = JSON.parse(await readFile(join(dir, 'plan.json'), 'utf8')) as { clusters: { name: string; eastWestGateway?: { address?: string } }[] };
    const ours: Record<string, Obj> = {};
    for (const c of ['cluster01', 'cluster02']) ours[c] = parseYamlDoc(await readFile(join(dir, c, '20-istio.yaml'), 'utf8'), `${model}/${c}/20-istio.yaml`);
    // What `kubectl get svc istio-eastwestgateway` printed for cluster01 in the seed (MetalLB's pick).
    const observed = /--context=?"?kind-cluster01"? get svc istio-eastwestgateway[\s\S]*?\nistio-eastwestgateway\s+LoadBalancer\s+\S+\s+(\S+)/.exec(sections[model]);
    data[model] = {
      seed: seedInstalls(sections[model]),
      ours,
      mesh: parseYamlDoc(await readFile(GOLDEN_EXAMPLES[model]!, 'utf8')),
      plannedAddress: plan.clusters.find((c) => c.name === 'cluster01')?.eastWestGateway?.address,
      seedObservedAddress: observed?.[1],
    };
  }
});

describe.each(SEED_MODELS)('seed 000 model %s: install files carry the seed settings', (model) => {
  it('the seed section has exactly one cluster01.yaml and one cluster02.yaml', () => {
    expect(Object.keys(data[model].seed).sort()).toEqual(['cluster01', 'cluster02']);
  });

  it('the remote address is the planned east-west gateway address of cluster01 (first host of 172.18.11.0/24)', () => {
    const d = data[model];
    if (!isPrimaryRemote(model)) {
      expect(JSON.stringify(d.seed['cluster02']!.file)).not.toContain('${DISCOVERY_ADDRESS}');
      return;
    }
    expect(getPath(d.mesh, ['spec', 'clusters', 0, 'loadBalancerPool'])).toBe('172.18.11.0/24');
    expect(d.plannedAddress).toBe('172.18.11.1');
    // The seed's own MetalLB handed cluster01's gateway the same address.
    expect(d.seedObservedAddress).toBe('172.18.11.1');
    expect(getPath(d.seed['cluster02']!.file, ['spec', 'values', 'global', 'remotePilotAddress'])).toBe('${DISCOVERY_ADDRESS}');
  });

  for (const cluster of ['cluster01', 'cluster02']) {
    it(`${cluster}: every setting of the seed's ${cluster}.yaml is in 20-istio.yaml with the same value`, () => {
      const d = data[model];
      const seedFile = substitute(d.seed[cluster]!.file, { DISCOVERY_ADDRESS: d.plannedAddress ?? '(no planned address)' });
      const seedLeaves = leaves(seedFile);
      // Guard against a vacuous comparison: the extraction must have found the seed's settings.
      const paths = seedLeaves.map(([p]) => p.join('.'));
      for (const p of ['apiVersion', 'kind', 'spec.meshConfig.accessLogFile', 'spec.meshConfig.accessLogEncoding', 'spec.meshConfig.accessLogFormat', 'spec.values.global.meshID', 'spec.values.global.multiCluster.clusterName', 'spec.values.global.network', 'spec.values.global.logAsJson'])
        expect(paths, `seed 000 ${model} ${cluster}.yaml`).toContain(p);
      if (cluster === 'cluster02' && isPrimaryRemote(model))
        for (const p of ['spec.profile', 'spec.values.istiodRemote.injectionPath', 'spec.values.global.configCluster', 'spec.values.global.remotePilotAddress']) expect(paths).toContain(p);

      const wrong = seedLeaves
        .map(([path, want]) => ({ path: path.join('.'), want, got: getPath(d.ours[cluster], path) }))
        .filter((x) => JSON.stringify(x.got) !== JSON.stringify(x.want));
      expect(wrong, `settings of seed 000 ${model} ${cluster}.yaml missing or different in meshfed's ${cluster}/20-istio.yaml`).toEqual([]);
    });

    it(`${cluster}: the seed's --set flags are in the file, and the file adds nothing else but ISTIO_MULTIROOT_MESH on a primary`, () => {
      const d = data[model];
      const s = d.seed[cluster]!;
      const primaryOfRemotes = cluster === 'cluster01' && isPrimaryRemote(model);
      // The seed passes EXTERNAL_ISTIOD on the command line for primary-remote primaries only ...
      expect(s.sets).toEqual(primaryOfRemotes ? { 'values.pilot.env.EXTERNAL_ISTIOD': 'true' } : {});
      // ... and meshfed writes it into the file instead, with the same value, in the same place.
      expect(getPath(d.ours[cluster], ['spec', 'values', 'pilot', 'env', 'EXTERNAL_ISTIOD'])).toBe(primaryOfRemotes ? true : undefined);
      // meshfed's one addition: a primary's istiod may take a root bundle change (root rotation)
      const primary = cluster === 'cluster01' || !isPrimaryRemote(model);
      const expected = applySets(substitute(s.file, { DISCOVERY_ADDRESS: d.plannedAddress ?? '(no planned address)' }) as Obj, { ...s.sets, ...(primary ? { 'values.pilot.env.ISTIO_MULTIROOT_MESH': 'true' } : {}) });
      expect(d.ours[cluster]).toStrictEqual(expected);
    });
  }

  it("meshConfig and logAsJson come from the mesh file's overlays", () => {
    const d = data[model];
    for (const cluster of ['cluster01', 'cluster02']) {
      expect(getPath(d.ours[cluster], ['spec', 'meshConfig'])).toStrictEqual(getPath(d.mesh, ['spec', 'istio', 'meshConfig']));
      expect(getPath(d.ours[cluster], ['spec', 'values', 'global', 'logAsJson'])).toBe(getPath(d.mesh, ['spec', 'istio', 'values', 'global', 'logAsJson']));
    }
    expect(getPath(d.mesh, ['spec', 'istio', 'meshConfig', 'accessLogFile'])).toBe('/dev/stdout');
  });

  it('roles: profile remote, configCluster and the injection path only on the remote of a primary-remote model', () => {
    const d = data[model];
    const c2 = d.ours['cluster02']!;
    const net = model.endsWith('multi-network') ? 'network2' : 'network1';
    expect(getPath(d.ours['cluster01'], ['spec', 'profile'])).toBeUndefined();
    expect(getPath(c2, ['spec', 'profile'])).toBe(isPrimaryRemote(model) ? 'remote' : undefined);
    expect(getPath(c2, ['spec', 'values', 'global', 'configCluster'])).toBe(isPrimaryRemote(model) ? true : undefined);
    expect(getPath(c2, ['spec', 'values', 'istiodRemote', 'injectionPath'])).toBe(isPrimaryRemote(model) ? `/inject/cluster/cluster02/net/${net}` : undefined);
    expect(getPath(c2, ['spec', 'values', 'global', 'remotePilotAddress'])).toBe(isPrimaryRemote(model) ? '172.18.11.1' : undefined);
    for (const [c, n] of [['cluster01', 'network1'], ['cluster02', net]] as const) {
      expect(getPath(d.ours[c], ['spec', 'values', 'global', 'meshID'])).toBe('mesh1');
      expect(getPath(d.ours[c], ['spec', 'values', 'global', 'multiCluster', 'clusterName'])).toBe(c);
      expect(getPath(d.ours[c], ['spec', 'values', 'global', 'network'])).toBe(n);
    }
  });
});
