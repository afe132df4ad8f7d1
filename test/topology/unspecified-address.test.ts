import { describe, expect, it } from 'vitest';
import { validateMeshText } from '../../src/topology/index.js';

const mesh = (apiServer: string) => `apiVersion: meshfed.io/v1alpha1
kind: Mesh
metadata: {name: m}
spec:
  clusters:
  - name: a
    apiServer: ${apiServer}
`;

describe('MF3020 covers addresses no other control plane can dial', () => {
  it.each(['https://0.0.0.0:6443', 'https://[::]:6443', 'https://[::1]:6443', 'https://api.localhost:6443'])('%s is an error at 7:16', (url) => {
    const v = validateMeshText(mesh(url), 'm.yaml');
    expect(v.diagnostics.map((d) => [d.code, d.severity, d.line, d.column])).toEqual([['MF3020', 'error', 7, 16]]);
  });

  it('a routable address is fine', () => {
    expect(validateMeshText(mesh('https://10.0.0.1:6443'), 'm.yaml').diagnostics).toEqual([]);
  });
});
