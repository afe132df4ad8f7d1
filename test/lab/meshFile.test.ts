import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { fillApiServersText } from '../../src/lab/meshFile.js';

const text = `# my mesh (comments must survive)
apiVersion: meshfed.io/v1alpha1
kind: Mesh
metadata: { name: m1 }   # the mesh
spec:
  lab: { nodes: 2 }
  clusters:
  # the first cluster
  - name: a   # cluster a
    podCIDRs: [10.10.0.0/16]
    serviceCIDRs: ["10.11.0.0/16"]
  - name: b
    apiServer: https://127.0.0.9:6443
    podCIDRs:
      - 10.20.0.0/16
    serviceCIDRs: [10.21.0.0/16]
`;

describe('fillApiServersText', () => {
  it('adds apiServer under the name line and changes nothing else', () => {
    const out = fillApiServersText(text, [{ index: 0, apiServer: 'https://127.0.1.1:6443' }]);
    const expected = text.replace('  - name: a   # cluster a\n', '  - name: a   # cluster a\n    apiServer: https://127.0.1.1:6443\n');
    expect(out).toBe(expected);
    expect(parse(out).spec.clusters[0].apiServer).toBe('https://127.0.1.1:6443');
  });

  it('never overwrites an address the file already has', () => {
    expect(fillApiServersText(text, [{ index: 1, apiServer: 'https://127.0.1.2:6443' }])).toBe(text);
  });

  it('handles clusters written in flow style', () => {
    const flow = 'spec:\n  clusters:\n  - { name: a, podCIDRs: [10.0.0.0/16] }  # flow\n  - name: b\n';
    const out = fillApiServersText(flow, [
      { index: 0, apiServer: 'https://127.0.1.1:6443' },
      { index: 1, apiServer: 'https://127.0.1.2:6443' },
    ]);
    const parsed = parse(out) as { spec: { clusters: { apiServer: string }[] } };
    expect(parsed.spec.clusters.map((c) => c.apiServer)).toEqual(['https://127.0.1.1:6443', 'https://127.0.1.2:6443']);
    expect(out).toContain('# flow');
  });
});
