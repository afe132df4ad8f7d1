/**
 * The mesh file of a lab test whose clusters are numbered, as text (the form users write and
 * meshfed parses): cluster N is `cluster0N`, context `lab-cluster0N`, API server
 * `127.0.<octet>.N`, pods `10.N0.0.0/16` and services `10.N1.0.0/16`, so each test file differs
 * only in what it is about (its name, its loopback range, networks, control planes, revision).
 */
export interface NumberedMeshCluster {
  /** Default `network1`. */
  network?: string;
  /** `self` (a primary, the default) or the name of this remote's primary. */
  controlPlane?: string;
}

export interface NumberedMeshOptions {
  name: string;
  /** The third octet of the file's own loopback range (127.0.<octet>.N). */
  octet: number;
  clusters: NumberedMeshCluster[];
  revision?: string;
}

export function numberedMeshYaml(o: NumberedMeshOptions): string {
  if (o.clusters.length > 9) throw new Error('numberedMeshYaml names clusters cluster01..cluster09');
  const clusters = o.clusters.map(
    (c, idx) => `    - name: cluster0${idx + 1}
      context: lab-cluster0${idx + 1}
      apiServer: https://127.0.${o.octet}.${idx + 1}:6443
      network: ${c.network ?? 'network1'}
      controlPlane: ${c.controlPlane ?? 'self'}
      podCIDRs: [10.${idx + 1}0.0.0/16]
      serviceCIDRs: [10.${idx + 1}1.0.0/16]`,
  );
  return `apiVersion: meshfed.io/v1alpha1
kind: Mesh
metadata:
  name: ${o.name}
spec:
  istio:
    version: "1.31.0"
    installer: istioctl${o.revision ? `\n    revision: ${o.revision}` : ''}
  trust:
    trustDomain: cluster.local
    rootDir: ./certs
    keyAlgorithm: ecdsa-p256
  lab:
    nodes: 1
  clusters:
${clusters.join('\n')}
`;
}
