// ClusterPlan.resources names the objects render builds: the objects of every rendered manifest
// that kubectl (and apply) applies as they are are listed in the plan, owned by a step of that
// cluster, and every object the plan lists for such a step is rendered.
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { objectKey, planMesh, type ObjectRef, type StepKind } from '../../src/plan/index.js';
import { renderMesh } from '../../src/render/index.js';
import { validateMeshFile } from '../../src/topology/index.js';
import { GOLDEN_EXAMPLES } from './helpers.js';

// Steps whose objects meshfed renders and applies itself; the others are made by istioctl/helm.
const RENDERED_KINDS: StepKind[] = ['namespace', 'cacerts', 'mcs-crds', 'expose-istiod', 'expose-services', 'remote-reader'];
const FAKE_CA = { caCert: 'c', caKey: 'k', rootCert: 'r', certChain: 'ch' };

describe('ClusterPlan.resources and the rendered manifests', () => {
  for (const [name, meshFile] of Object.entries(GOLDEN_EXAMPLES)) {
    it(name, async () => {
      const v = await validateMeshFile(meshFile);
      expect(v.ok).toBe(true);
      const plan = planMesh(v.mesh!);
      const cacerts = Object.fromEntries(plan.clusters.map((c) => [c.name, FAKE_CA]));
      const { files } = renderMesh(plan, { cacerts });
      for (const c of plan.clusters) {
        const rendered: string[] = [];
        for (const f of files.filter((x) => x.path.startsWith(`${c.name}/`) && x.path.endsWith('.yaml') && !x.path.endsWith('.values.yaml'))) {
          for (const doc of parseAllDocuments(f.content)) {
            const o = doc.toJS() as { apiVersion: string; kind: string; metadata: { name: string; namespace?: string } };
            if (o.kind === 'IstioOperator') continue;
            rendered.push(objectKey({ apiVersion: o.apiVersion, kind: o.kind, name: o.metadata.name, ...(o.metadata.namespace ? { namespace: o.metadata.namespace } : {}) }));
          }
        }
        const stepKind = new Map(plan.steps.filter((s) => s.cluster === c.name).map((s) => [s.id, s.kind]));
        for (const r of c.resources) expect(stepKind.has(r.step), `${c.name}: ${objectKey(r)} is owned by ${r.step}, a step of ${c.name}`).toBe(true);
        const planned = c.resources.filter((r) => RENDERED_KINDS.includes(stepKind.get(r.step)!)).map((r: ObjectRef) => objectKey(r));
        expect(rendered.sort(), `${c.name}: rendered objects = the plan's resources of the steps that apply them`).toEqual(planned.sort());
      }
    });
  }
});
