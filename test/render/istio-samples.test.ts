// Istio's own samples, read at test time from the pinned Istio module in the Go module cache,
// field for field against what meshfed renders. The only differences allowed are the two meshfed
// adds on purpose: the gateway's pinned address annotation and metadata.namespace on the expose
// manifests; each is removed here and asserted on its own.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GOLDEN_EXAMPLES, istioModuleDir, parseYamlDoc, parseYamlDocs, removeTempDirs, renderWithCli, takePath, type Obj } from './helpers.js';

afterAll(removeTempDirs);

const LB_ANNOTATION = 'metallb.universe.tf/loadBalancerIPs';
const SERVICE_ANNOTATIONS = ['spec', 'components', 'ingressGateways', 0, 'k8s', 'serviceAnnotations'];

let samplesDir: string | undefined;
/** Istio's samples/multicluster; when the module is absent every test fails with how to get it. */
function samples(): string {
  samplesDir ??= join(istioModuleDir(), 'samples/multicluster');
  return samplesDir;
}
const rendered: Record<string, string> = {};
const plans: Record<string, { mesh: { istio: { revision?: string } }; clusters: { name: string; eastWestGateway?: { network: string; address?: string } }[] }> = {};

beforeAll(async () => {
  for (const [name, meshFile] of Object.entries(GOLDEN_EXAMPLES)) {
    rendered[name] = (await renderWithCli(meshFile)).dir;
    plans[name] = JSON.parse(await readFile(join(rendered[name], 'plan.json'), 'utf8')) as (typeof plans)[string];
  }
});

/** The real `bash samples/multicluster/gen-eastwest-gateway.sh <args>`, parsed. */
function genEastWestGateway(...args: string[]): Obj {
  const r = spawnSync('bash', [join(samples(), 'gen-eastwest-gateway.sh'), ...args], { encoding: 'utf8', timeout: 30_000 });
  expect(r.status, `gen-eastwest-gateway.sh ${args.join(' ')}\n${r.stderr}${r.stdout}`).toBe(0);
  return parseYamlDoc(r.stdout, `gen-eastwest-gateway.sh ${args.join(' ')}`);
}

async function ours(example: string, path: string): Promise<string> {
  return readFile(join(rendered[example]!, path), 'utf8');
}

/** Our gateway IOP with the pinned address taken out (and returned) for the comparison. */
async function ourGateway(example: string, cluster: string): Promise<{ iop: Obj; annotations: unknown }> {
  const iop = parseYamlDoc(await ours(example, `${cluster}/30-eastwest-gateway.yaml`), `${example}/${cluster}/30-eastwest-gateway.yaml`);
  const annotations = takePath(iop, SERVICE_ANNOTATIONS);
  return { iop, annotations };
}

describe("east-west gateway = Istio's gen-eastwest-gateway.sh", () => {
  it('Istio\'s samples are read from the pinned module in the Go module cache', () => {
    // Throws "… run `bash scripts/build-lab.sh istio`" when the module is absent: a failure, never a skip.
    expect(samples()).toMatch(/istio\.io\/istio@v0\.0\.0-\d{14}-[0-9a-f]{12}\/samples\/multicluster$/);
  });

  it.each([
    ['--network network1', 'primary-remote-multi-network', 'cluster01', ['--network', 'network1'], '172.18.11.1'],
    ['--network network2', 'primary-remote-multi-network', 'cluster02', ['--network', 'network2'], '172.18.12.1'],
    ['--network network1 --revision rev1', 'primary-remote-multi-network-revision', 'cluster01', ['--network', 'network1', '--revision', 'rev1'], '172.18.11.1'],
    ['--network network2 --revision rev1', 'primary-remote-multi-network-revision', 'cluster02', ['--network', 'network2', '--revision', 'rev1'], '172.18.12.1'],
  ] as const)('%s (%s/%s)', async (_, example, cluster, args, address) => {
    const { iop, annotations } = await ourGateway(example, cluster);
    expect(annotations).toStrictEqual({ [LB_ANNOTATION]: address });
    const gw = plans[example]!.clusters.find((c) => c.name === cluster)!.eastWestGateway!;
    expect(gw.address, 'the annotation pins the planned address').toBe(address);
    expect(iop).toStrictEqual(genEastWestGateway(...args));
  });

  it('every east-west gateway of every istioctl example matches the script for its network and revision', async () => {
    let compared = 0;
    for (const [example, plan] of Object.entries(plans)) {
      if (example.endsWith('-helm')) continue;
      for (const c of plan.clusters) {
        if (!c.eastWestGateway) continue;
        const { iop, annotations } = await ourGateway(example, c.name);
        expect(annotations, `${example}/${c.name}`).toStrictEqual(c.eastWestGateway.address ? { [LB_ANNOTATION]: c.eastWestGateway.address } : undefined);
        const rev = plan.mesh.istio.revision;
        const args = ['--network', c.eastWestGateway.network, ...(rev ? ['--revision', rev] : [])];
        expect(iop, `${example}/${c.name}/30-eastwest-gateway.yaml vs gen-eastwest-gateway.sh ${args.join(' ')}`).toStrictEqual(genEastWestGateway(...args));
        compared++;
      }
    }
    // primary-remote 1, prmn 2, mpmn 2, mix 6, revision 2, global-services 2
    expect(compared).toBe(15);
  });
});

/** Our expose manifest, parsed, with metadata.namespace taken out after checking it is istio-system. */
async function ourExpose(example: string, path: string): Promise<unknown[]> {
  const docs = parseYamlDocs(await ours(example, path), `${example}/${path}`) as Obj[];
  for (const d of docs) expect(takePath(d, ['metadata', 'namespace']), `${example}/${path} ${String(d['kind'])}`).toBe('istio-system');
  return docs;
}

function sample(file: string, revision?: string): unknown[] {
  let text = readFileSync(join(samples(), file), 'utf8');
  if (revision !== undefined) {
    expect(text).toContain('{{.Revision}}');
    text = text.split('{{.Revision}}').join(revision);
  }
  return parseYamlDocs(text, file);
}

describe("expose manifests = Istio's samples/multicluster", () => {
  it.each([
    ['primary-remote', 'cluster01'],
    ['primary-remote-multi-network', 'cluster01'],
    ['primary-remote-multi-network-helm', 'cluster01'],
    ['mix', 'east-1'],
    ['mix', 'west-1'],
  ])('expose-istiod.yaml = %s/%s/40-expose-istiod.yaml', async (example, cluster) => {
    expect(await ourExpose(example, `${cluster}/40-expose-istiod.yaml`)).toStrictEqual(sample('expose-istiod.yaml'));
  });

  it('expose-istiod-rev.yaml.tmpl with {{.Revision}} = rev1 = primary-remote-multi-network-revision/cluster01/40-expose-istiod.yaml', async () => {
    expect(await ourExpose('primary-remote-multi-network-revision', 'cluster01/40-expose-istiod.yaml')).toStrictEqual(sample('expose-istiod-rev.yaml.tmpl', 'rev1'));
  });

  it.each([
    ['primary-remote-multi-network', 'cluster01'],
    ['primary-remote-multi-network-revision', 'cluster01'],
    ['primary-remote-multi-network-helm', 'cluster01'],
    ['multi-primary-multi-network', 'cluster01'],
    ['multi-primary-multi-network', 'cluster02'],
    ['mix', 'east-1'],
    ['mix', 'west-1'],
  ])('expose-services.yaml = %s/%s/41-expose-services.yaml', async (example, cluster) => {
    expect(await ourExpose(example, `${cluster}/41-expose-services.yaml`)).toStrictEqual(sample('expose-services.yaml'));
  });

  it('expose files appear exactly where Istio\'s docs apply them', async () => {
    const where = (file: string) =>
      Object.entries(plans).flatMap(([example, p]) => p.clusters.filter((c) => existsSync(join(rendered[example]!, c.name, file))).map((c) => `${example}/${c.name}`));
    expect(where('40-expose-istiod.yaml').sort()).toEqual(
      ['primary-remote/cluster01', 'primary-remote-multi-network/cluster01', 'primary-remote-multi-network-helm/cluster01', 'primary-remote-multi-network-revision/cluster01', 'mix/east-1', 'mix/west-1'].sort(),
    );
    // Multi-network only; on primaries (a remote's gateway takes its config from its primary).
    expect(where('41-expose-services.yaml').sort()).toEqual(
      [
        'primary-remote-multi-network/cluster01',
        'primary-remote-multi-network-helm/cluster01',
        'primary-remote-multi-network-revision/cluster01',
        'multi-primary-multi-network/cluster01',
        'multi-primary-multi-network/cluster02',
        'global-services/cluster01',
        'global-services/cluster02',
        'mix/east-1',
        'mix/west-1',
      ].sort(),
    );
  });
});
