// `meshfed dns` refuses, before watching anything, what it cannot serve: a mesh that is not in
// mcs discovery mode, an unknown --cluster, a bad --port (usage errors, exit 64, coded).
import { describe, expect, it } from 'vitest';
import { runCli } from '../cli/run.js';

describe('meshfed dns: usage errors', () => {
  it('a mesh without services.discovery: mcs is MF9520 (with the DNS-proxying alternative in the hint)', async () => {
    const r = await runCli('dns', '-f', 'examples/multi-primary/mesh.yaml', '--port', '0');
    expect(r.code).toBe(64);
    expect(r.stderr).toContain('MF9520');
    expect(r.stderr).toContain('dnsProxy');
  });

  it('--cluster naming no cluster of the mesh is MF9521, listing the clusters', async () => {
    const r = await runCli('dns', '-f', 'examples/global-services/mesh.yaml', '--port', '0', '--cluster', 'nope');
    expect(r.code).toBe(64);
    expect(r.stderr).toContain('MF9521');
    expect(r.stderr).toContain('cluster01, cluster02');
  });

  it('--port out of range is a usage error naming the flag', async () => {
    const r = await runCli('dns', '-f', 'examples/global-services/mesh.yaml', '--port', '70000');
    expect(r.code).toBe(64);
    expect(r.stderr).toContain('--port');
  });
});
