import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { planMesh } from '../../src/plan/index.js';
import { checkPlanInvariants } from './invariants.js';
import { ROOT, loadExample } from './helpers.js';

// Gateway addresses of the examples, read off the files by hand: pinned, or first host of the pool.
const GATEWAY: Record<string, Record<string, string>> = {
  'primary-remote': { cluster01: '172.18.11.1' },
  'multi-primary': {},
  'primary-remote-multi-network': { cluster01: '172.18.11.1', cluster02: '172.18.12.1' },
  'multi-primary-multi-network': { cluster01: '172.18.11.1', cluster02: '172.18.12.1' },
  mix: { 'east-1': '192.168.10.1', 'west-1': '192.168.20.5', 'west-2': '192.168.21.1', 'edge-1': '192.168.30.1', 'edge-2': '192.168.31.1' },
  lab: { cluster01: '172.18.11.1', cluster02: '172.18.12.1' },
  'global-services': { cluster01: '172.18.11.1', cluster02: '172.18.12.1' },
};

describe('the plan of every example keeps the invariants', () => {
  const names = readdirSync(join(ROOT, 'examples')).sort();
  it('knows the gateway addresses of every example', () => {
    expect(Object.keys(GATEWAY).sort()).toEqual(names);
  });
  for (const name of names) {
    it(name, async () => {
      const mesh = await loadExample(name);
      checkPlanInvariants(mesh, planMesh(mesh), (c) => GATEWAY[name]?.[c]);
    });
  }
});
