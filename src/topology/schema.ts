import { API_VERSION } from './defaults.js';
import { MESH_FILE_LIMITS } from './limits.js';

// The longest validity certs accepts (notAfter stays inside X.509's GeneralizedTime range).
const MAX_VALIDITY_DAYS = 36_500;

const cidrList = (what: string) => ({
  type: 'array',
  minItems: 1,
  description: `${what} ranges (CIDR). Clusters of one flat network need disjoint ranges.`,
  items: { type: 'string', description: 'CIDR, e.g. 10.10.0.0/16' },
});

const cluster = {
  type: 'object',
  additionalProperties: false,
  required: ['name'],
  properties: {
    name: { type: 'string', description: 'Cluster ID (DNS-1123 label); becomes multiCluster.clusterName.' },
    context: { type: 'string', description: 'kubeconfig context; defaults to the cluster name.' },
    apiServer: {
      type: 'string',
      description: 'API server URL that the other control planes use (never 127.0.0.1/localhost outside the lab).',
    },
    network: { type: 'string', description: 'Network name; clusters on one network reach each other pod to pod.' },
    controlPlane: {
      type: 'string',
      default: 'self',
      description: '`self` for a primary, or the name of the primary that runs this remote\'s control plane.',
    },
    podCIDRs: cidrList('Pod address'),
    serviceCIDRs: cidrList('Service address'),
    loadBalancerPool: {
      type: 'string',
      description: 'CIDR of addresses for LoadBalancer Services where no cloud load balancer exists (MetalLB pool).',
    },
    eastWestGatewayAddress: { type: 'string', description: 'Pinned address of the east-west gateway.' },
    nodeAddress: {
      type: 'string',
      description: 'Node address other clusters of a flat network route this cluster\'s CIDRs through.',
    },
  },
} as const;

/** JSON Schema (draft-07) of the mesh file, published by `meshfed schema` for editors. */
export const meshSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  $id: 'https://meshfed.io/schema/v1alpha1/mesh.json',
  title: 'meshfed Mesh',
  description: 'One multi-cluster Istio mesh: its clusters, networks, control planes and trust.',
  type: 'object',
  additionalProperties: false,
  required: ['apiVersion', 'kind', 'metadata', 'spec'],
  properties: {
    apiVersion: { const: API_VERSION },
    kind: { const: 'Mesh' },
    metadata: {
      type: 'object',
      additionalProperties: false,
      required: ['name'],
      properties: { name: { type: 'string', description: 'Mesh name; becomes global.meshID.' } },
    },
    spec: {
      type: 'object',
      additionalProperties: false,
      required: ['clusters'],
      properties: {
        istio: {
          type: 'object',
          additionalProperties: false,
          properties: {
            version: { type: 'string', description: 'Istio release, e.g. 1.30.3.' },
            installer: { enum: ['istioctl', 'helm'], default: 'istioctl' },
            revision: { type: 'string', description: 'Control plane revision (DNS-1123 label).' },
            meshConfig: { type: 'object', description: 'Passed through to meshConfig.' },
            values: { type: 'object', description: 'Passed through to the install values; meshfed settings win.' },
          },
        },
        trust: {
          type: 'object',
          additionalProperties: false,
          properties: {
            trustDomain: { type: 'string', default: 'cluster.local' },
            rootDir: { type: 'string', default: './certs', description: 'Relative to the mesh file.' },
            keyAlgorithm: { enum: ['rsa-4096', 'rsa-2048', 'ecdsa-p256'], default: 'rsa-4096' },
            rootValidityDays: { type: 'integer', minimum: 1, maximum: MAX_VALIDITY_DAYS, default: 3650 },
            intermediateValidityDays: { type: 'integer', minimum: 1, maximum: MAX_VALIDITY_DAYS, default: 3650 },
          },
        },
        lab: {
          type: 'object',
          additionalProperties: false,
          description: 'This mesh runs in meshfed\'s lab (real control planes on this machine\'s loopback).',
          properties: { nodes: { type: 'integer', minimum: 1, maximum: 10, default: 2 } },
        },
        clusters: { type: 'array', minItems: 1, maxItems: MESH_FILE_LIMITS.clusters, items: cluster },
      },
    },
  },
} as const;
