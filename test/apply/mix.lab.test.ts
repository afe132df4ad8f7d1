/**
 * The larger mix (examples/mix: 2 primaries, 4 remotes, 3 networks) on a six-cluster lab:
 * apply brings every cluster to the plan, re-apply changes nothing, destroy restores them.
 * Loopback addresses 127.0.7.x belong to this file.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planMesh } from '../../src/plan/index.js';
import { startLabMesh, type LabMesh } from './labMesh.js';
import { expectApplyRoundTrip } from './live.js';

const IPS = ['127.0.7.1', '127.0.7.2', '127.0.7.3', '127.0.7.4', '127.0.7.5', '127.0.7.6'];
// east-2 has no pool in the example (a cloud load balancer would serve it); west-1 pins
// 192.168.20.5, which the lab's load balancer gives only from a pool holding it.
const POOLS = { 'east-2': '192.168.11.0/28', 'west-1': '192.168.20.0/28' };

let t: LabMesh;

beforeAll(async () => {
  t = await startLabMesh('apply-mix', 'examples/mix/mesh.yaml', IPS, { pools: POOLS });
});

afterAll(async () => {
  await t?.down();
});

describe('examples/mix on a six-cluster lab', () => {
  it('apply makes all six clusters what the plan says; re-apply changes nothing; destroy restores them', async () => {
    const plan = planMesh(t.mesh);
    await expectApplyRoundTrip(t.meshPath, plan, t.clients, t.root, () => {
      // Two primaries, each watching the five other clusters.
      expect(plan.remoteSecrets).toHaveLength(10);
    });
  });
});
