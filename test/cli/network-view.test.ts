/**
 * `discover --network N` and the API's `?network=N` (and `?cluster=C`) show what a sidecar in a
 * network is told from one function (discovery's splitHorizonView): the same
 * registry gives the same view through both, for every network of seed 000's layout.
 */
import { describe, expect, it } from 'vitest';
import { discoveryReport } from '../../src/cli/commands/discover.js';
import { buildRegistry, networkView } from '../../src/discovery/index.js';
import { endpointsView } from '../../src/serve/views.js';
import { cluster01, cluster02 } from '../discovery/fixtures.js';

const HOST = 'helloworld.sample.svc.cluster.local';

describe('one network view for the CLI and the API', () => {
  const registry = buildRegistry([cluster01(), cluster02()]);

  it.each(['network1', 'network2', ''])('network %j', (network) => {
    const cli = discoveryReport([], registry, { errors: [], ignored: [] }, network).view!.find((v) => v.hostname === HOST);
    const api = endpointsView(registry, HOST, { network });
    expect(api.ok).toBe(true);
    expect(cli).toEqual(api.ok && api.body);
    // Both are meshfed's split-horizon defaults: the unready v1 pod is left out, with its reason.
    expect(cli).toEqual(networkView(registry, registry.services.find((s) => s.hostname === HOST)!, network));
    expect(cli?.dropped).toContainEqual({ cluster: 'cluster01', network: 'network1', address: '10.10.0.6', reason: 'unhealthy' });
  });

  it('?cluster=C is the view of its network', () => {
    const api = endpointsView(registry, HOST, { cluster: 'cluster02' });
    const cli = discoveryReport([], registry, { errors: [], ignored: [] }, 'network2').view!.find((v) => v.hostname === HOST);
    expect(api.ok && api.body).toEqual({ ...cli, cluster: 'cluster02' });
  });
});
