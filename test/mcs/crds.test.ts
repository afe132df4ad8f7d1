// The vendored MCS CRDs are mcs-api v0.5.0's files unchanged, and serve the version meshfed
// reads, writes and tells istiod to read.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ISTIOD_MCS_ENV, MCS_API_VERSION, MCS_CRD_NAMES, MCS_CRD_SHA256, MCS_GROUP, SERVICE_EXPORT, SERVICE_IMPORT, serviceExportCrdYaml, serviceImportCrdYaml } from '../../src/mcs/index.js';
import { OBJECTS } from '../../src/plan/index.js';
import { mcsCrds } from '../../src/render/index.js';

const sha = (s: string) => createHash('sha256').update(s).digest('hex');
type Crd = { metadata: { name: string }; spec: { group: string; names: { kind: string; plural: string }; versions: { name: string; served: boolean; storage: boolean; subresources?: { status?: unknown } }[] } };

describe('the vendored MCS CRDs (sigs.k8s.io/mcs-api v0.5.0)', () => {
  it('are the texts whose digests the vendoring script recorded', () => {
    expect(sha(serviceExportCrdYaml)).toBe(MCS_CRD_SHA256.serviceExport);
    expect(sha(serviceImportCrdYaml)).toBe(MCS_CRD_SHA256.serviceImport);
  });

  it('equal the module\'s files byte for byte where the Go module cache holds it', () => {
    const dir = join(process.env['GOMODCACHE'] ?? join(homedir(), 'go', 'pkg', 'mod'), 'sigs.k8s.io', 'mcs-api@v0.5.0', 'config', 'crd');
    // CI's clean machine may not have downloaded the module; the digests above still hold.
    if (!existsSync(dir)) return;
    expect(readFileSync(join(dir, 'multicluster.x-k8s.io_serviceexports.yaml'), 'utf8')).toBe(serviceExportCrdYaml);
    expect(readFileSync(join(dir, 'multicluster.x-k8s.io_serviceimports.yaml'), 'utf8')).toBe(serviceImportCrdYaml);
  });

  it('serve v1alpha1 (what Istio 1.31 reads by default, and meshfed uses) and v1beta1 (stored), both with a status subresource', () => {
    const crds = mcsCrds() as unknown as Crd[];
    expect(crds.map((c) => c.metadata.name)).toEqual([...MCS_CRD_NAMES]);
    expect(crds.map((c) => c.spec.names.kind)).toEqual([SERVICE_EXPORT.kind, SERVICE_IMPORT.kind]);
    for (const c of crds) {
      expect(c.spec.group).toBe(MCS_GROUP);
      const v = Object.fromEntries(c.spec.versions.map((x) => [x.name, x]));
      expect(v[MCS_API_VERSION]).toMatchObject({ served: true, storage: false, subresources: { status: {} } });
      expect(v['v1beta1']).toMatchObject({ served: true, storage: true, subresources: { status: {} } });
    }
    expect(ISTIOD_MCS_ENV.MCS_API_VERSION).toBe(MCS_API_VERSION);
    expect(OBJECTS.mcsCrds.map((r) => r.name)).toEqual([...MCS_CRD_NAMES]);
  });
});
