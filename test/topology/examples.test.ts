import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateMeshFile } from '../../src/topology/index.js';
import { EXAMPLES_DIR } from './helpers.js';

const examples = readdirSync(EXAMPLES_DIR, { withFileTypes: true })
  .filter((e) => e.isDirectory())
  .map((e) => e.name)
  .sort();

describe('examples/*/mesh.yaml', () => {
  it('includes the four seed models, the mix and the lab', () => {
    expect(examples).toEqual(expect.arrayContaining(['primary-remote', 'multi-primary', 'primary-remote-multi-network', 'multi-primary-multi-network', 'mix', 'lab']));
  });

  for (const name of examples) {
    it(`${name} validates with no errors and no warnings`, async () => {
      const v = await validateMeshFile(join(EXAMPLES_DIR, name, 'mesh.yaml'));
      expect(v.diagnostics).toEqual([]);
      expect(v.ok).toBe(true);
      expect(v.mesh).toBeDefined();
    });
  }
});
