import type { MeshFile } from '../../src/topology/index.js';

export interface TestCluster {
  name: string;
  context?: string;
  apiServer?: string;
  podCIDRs?: string[];
  serviceCIDRs?: string[];
  loadBalancerPool?: string;
}

/** A normalized lab mesh, as validateMeshFile would return it. */
export function labMesh(name: string, clusters: TestCluster[], nodes = 2): MeshFile {
  return {
    apiVersion: 'meshfed.io/v1alpha1',
    kind: 'Mesh',
    metadata: { name },
    spec: {
      istio: { version: '1.31.0', installer: 'istioctl' },
      trust: { trustDomain: 'cluster.local', rootDir: './certs', keyAlgorithm: 'ecdsa-p256', rootValidityDays: 3650, intermediateValidityDays: 3650 },
      lab: { nodes },
      clusters: clusters.map((c, i) => ({
        name: c.name,
        context: c.context ?? c.name,
        controlPlane: 'self',
        podCIDRs: c.podCIDRs ?? [`10.${10 * (i + 1)}.0.0/16`],
        serviceCIDRs: c.serviceCIDRs ?? [`10.${10 * (i + 1) + 1}.0.0/16`],
        ...(c.apiServer ? { apiServer: c.apiServer } : {}),
        ...(c.loadBalancerPool ? { loadBalancerPool: c.loadBalancerPool } : {}),
      })),
    },
  };
}

/** The mesh file text for a two-cluster lab on the given loopback addresses. */
export function labMeshYaml(name: string, ips: [string, string], opts: { contexts?: [string, string] } = {}): string {
  const [a, b] = ips;
  const [ca, cb] = opts.contexts ?? ['lab-east', 'lab-west'];
  return `# a lab mesh written by a test
apiVersion: meshfed.io/v1alpha1
kind: Mesh
metadata:
  name: ${name}
spec:
  lab:
    nodes: 2
  clusters:
  - name: east
    context: ${ca}
    apiServer: https://${a}:6443
    network: net-east
    podCIDRs: [10.10.0.0/16]
    serviceCIDRs: [10.11.0.0/16]
    loadBalancerPool: 172.18.11.0/24
  - name: west
    context: ${cb}
    apiServer: https://${b}:6443
    network: net-west
    podCIDRs: [10.20.0.0/16]
    serviceCIDRs: [10.21.0.0/16]
    loadBalancerPool: 172.18.12.0/24
`;
}
