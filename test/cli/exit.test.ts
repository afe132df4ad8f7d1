/**
 * One error model at the CLI: a failure's category (from its code in the catalogue) decides the
 * exit code, never a string comparison; --verbose shows the original error (ES2022 cause).
 */
import { cpSync, existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { summarizeOutcomes } from '../../src/cli/commands/apply.js';
import { EXIT_OF_CATEGORY, formatError } from '../../src/cli/exit.js';
import { runDag, type StepOutcome } from '../../src/apply/index.js';
import { MeshfedError } from '../../src/errors/index.js';
import { toKubeError } from '../../src/kube/index.js';
import { planMesh } from '../../src/plan/index.js';
import { validateMeshFile } from '../../src/topology/index.js';
import { runCli } from './run.js';

describe('exit codes by category', () => {
  it('maps every category to its documented exit code', () => {
    expect(EXIT_OF_CATEGORY).toEqual({ usage: 64, invalidMesh: 65, unreachable: 69, failed: 1, internal: 1 });
  });

  it('apply: 69 when every failed step failed on an unreachable cluster (MF7001), 2 otherwise', async () => {
    const v = await validateMeshFile('examples/primary-remote/mesh.yaml');
    const plan = planMesh(v.mesh!);
    const first = plan.steps[0]!;
    const refused = toKubeError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }), { cluster: first.cluster, resource: 'namespaces/istio-system' });
    const denied = toKubeError(Object.assign(new Error('forbidden'), { code: 403 }), { cluster: first.cluster, resource: 'namespaces/istio-system' });
    const outcomesFailing = async (e: Error): Promise<Map<string, StepOutcome>> =>
      runDag(plan.steps, { concurrency: 1, run: async (s) => { if (s.id === first.id) throw e; return { changed: false, detail: 'ok' }; } });
    const unreachable = await outcomesFailing(refused);
    expect(unreachable.get(first.id)).toMatchObject({ status: 'failed', code: 'MF7001', cause: 'unreachable', category: 'unreachable' });
    expect(summarizeOutcomes(plan, unreachable, 'Apply', 1).exit).toBe(69);
    const forbidden = await outcomesFailing(denied);
    expect(forbidden.get(first.id)).toMatchObject({ code: 'MF7003', cause: 'forbidden', category: 'failed' });
    expect(summarizeOutcomes(plan, forbidden, 'Apply', 1).exit).toBe(2);
  });

  it('prints code, message and hint; --verbose adds the errors it explains', () => {
    const e = new MeshfedError({ code: 'MF8002', message: 'gave up waiting', hint: 'raise --timeout', cause: new Error('socket hang up') });
    expect(formatError(e, false)).toBe('error MF8002: gave up waiting\n  hint: raise --timeout\n');
    expect(formatError(e, true)).toBe('error MF8002: gave up waiting\n  hint: raise --timeout\n  cause: socket hang up\n');
  });

  it('a layer error reaching the boundary: certs --rotate of a cluster the mesh lacks is MF5009, a usage error (64), before any key is made', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'meshfed-exit-'));
    cpSync('examples/mix/mesh.yaml', join(dir, 'mesh.yaml'));
    const r = await runCli('certs', '-f', join(dir, 'mesh.yaml'), '--rotate', 'cluster99');
    expect(r.code, r.stderr).toBe(64);
    expect(r.stderr).toMatch(/^error MF5009: cannot rotate "cluster99": it is not one of the mesh's clusters\n  hint: Rotate one of: /);
    expect(existsSync(join(dir, 'certs', 'root-key.pem'))).toBe(false);
  });
});
