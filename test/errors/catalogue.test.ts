/**
 * One catalogue of every code: the README's tables are generated from it and must match it,
 * every code the source raises is in it, each layer's code table is its part of it, and the
 * ranges say which layer a code belongs to.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { APPLY_ERROR_CODES } from '../../src/apply/index.js';
import { DISCOVERY_ERROR_CODES } from '../../src/discovery/index.js';
import { CHECKS } from '../../src/doctor/index.js';
import { categoryOf, ERROR_CATALOGUE, isErrorCode, MeshfedError, withCodeTables, type ErrorCode, type ErrorLayer } from '../../src/errors/index.js';
import { KUBE_ERROR_CODES } from '../../src/kube/index.js';
import { LAB_ERROR_CODES } from '../../src/lab/index.js';
import { PKI_ERROR_CODES } from '../../src/pki/index.js';
import { PlanCycleError } from '../../src/plan/index.js';
import { RENDER_ERROR_CODES } from '../../src/render/index.js';
import { SERVE_ERROR_CODES } from '../../src/serve/index.js';
import { DIAGNOSTIC_CODES } from '../../src/topology/index.js';

const CODES = Object.keys(ERROR_CATALOGUE) as ErrorCode[];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? sourceFiles(p) : p.endsWith('.ts') ? [p] : [];
  });
}

describe('the error catalogue', () => {
  it('the README code tables are the ones generated from it (npm run docs:codes rewrites them)', () => {
    const readme = readFileSync('README.md', 'utf8');
    expect(withCodeTables(readme)).toBe(readme);
    for (const code of CODES) expect(readme, code).toContain(`| ${code} |`);
  });

  it('holds every code the source names', () => {
    const named = new Set(sourceFiles('src').flatMap((f) => readFileSync(f, 'utf8').match(/\bMF\d{4}\b/g) ?? []));
    expect([...named].filter((c) => !isErrorCode(c)).sort()).toEqual([]);
  });

  it("each layer's code table is its part of the catalogue", () => {
    const part = (layer: ErrorLayer) => CODES.filter((c) => ERROR_CATALOGUE[c].layer === layer).sort();
    expect(Object.keys(DIAGNOSTIC_CODES).sort()).toEqual(part('topology'));
    expect(Object.keys(APPLY_ERROR_CODES).sort()).toEqual(part('apply'));
    expect(Object.keys(RENDER_ERROR_CODES).sort()).toEqual(part('render'));
    expect(Object.keys(SERVE_ERROR_CODES).sort()).toEqual(part('serve'));
    expect(Object.values(KUBE_ERROR_CODES).sort()).toEqual(part('kube'));
    expect(Object.values(DISCOVERY_ERROR_CODES).sort()).toEqual(part('discovery'));
    expect(Object.values(PKI_ERROR_CODES).sort()).toEqual(part('pki'));
    expect(Object.values(LAB_ERROR_CODES).sort()).toEqual(part('lab'));
    // Every doctor code is one check of the registry, and every check's code is doctor's.
    expect(CHECKS.map((c) => c.code).sort()).toEqual(part('doctor'));
    // Names keep the codes they had.
    expect([KUBE_ERROR_CODES.unreachable, KUBE_ERROR_CODES.unknown, DISCOVERY_ERROR_CODES.unresponsive, PKI_ERROR_CODES.io, LAB_ERROR_CODES.meshFileUpdate]).toEqual(['MF7001', 'MF7099', 'MF9009', 'MF5012', 'MF6013']);
    expect(DIAGNOSTIC_CODES.MF3042).toBe('duplicate kubeconfig context');
  });

  it('ranges match layers; the mesh file ranges hold only mesh-file rules (the plan cycle is MF0001)', () => {
    const range: Record<ErrorLayer, RegExp> = { plan: /^MF0/, topology: /^MF[123](?!8)/, render: /^MF38/, pki: /^MF5/, lab: /^MF6/, kube: /^MF7/, apply: /^MF8/, discovery: /^MF90/, serve: /^MF95(0|1)/, doctor: /^MF4/, dns: /^MF952/ };
    for (const c of CODES) expect(c, ERROR_CATALOGUE[c].layer).toMatch(range[ERROR_CATALOGUE[c].layer]);
    expect(new PlanCycleError(['a', 'b']).code).toBe('MF0001');
    expect(categoryOf('MF0001')).toBe('internal');
  });

  it('categories: mesh file codes are invalidMesh, an unreachable API server unreachable, an unknown code internal', () => {
    for (const c of CODES.filter((x) => ERROR_CATALOGUE[x].layer === 'topology')) expect(categoryOf(c), c).toBe('invalidMesh');
    expect(categoryOf('MF7001')).toBe('unreachable');
    expect(categoryOf('MF7002')).toBe('failed');
    expect(categoryOf('MF5009')).toBe('usage');
    expect(categoryOf('MF0000')).toBe('internal');
  });
});

describe('MeshfedError', () => {
  it('carries code, category from the catalogue, hint, cluster, resource and the original error as ES2022 cause', () => {
    const original = new Error('connect ECONNREFUSED');
    const e = new MeshfedError({ code: 'MF7001', message: 'c1: readyz: ECONNREFUSED', hint: 'start it', cluster: 'c1', resource: 'readyz', cause: original });
    expect(e).toBeInstanceOf(Error);
    expect(e).toMatchObject({ code: 'MF7001', category: 'unreachable', message: 'c1: readyz: ECONNREFUSED', hint: 'start it', cluster: 'c1', resource: 'readyz' });
    expect(e.cause).toBe(original);
    expect(new MeshfedError({ code: 'MF8002', message: 'm', hint: 'h' })).not.toHaveProperty('cause');
  });
});
