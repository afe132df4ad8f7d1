import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { KEY_ALGORITHMS, MAX_VALIDITY_DAYS, TRUST_DEFAULTS } from '../trust/algorithms.js';
import { MESH_FILE_LIMITS } from './limits.js';

/**
 * The one definition of the mesh file's shape. TypeBox builds plain JSON Schema objects, so the
 * same values are the schema ajv checks and `meshfed schema` prints (schema.ts), the source of
 * the TypeScript types (types.ts) and of the defaults the normalizer fills (normalize.ts).
 */

export const API_VERSION = 'meshfed.io/v1alpha1';

/**
 * The Istio version a mesh file without `istio.version` gets: the one the lab builds. Not written
 * into the schema as a `default`, as it never was: `meshfed schema` stays what it printed.
 */
export const DEFAULT_ISTIO_VERSION = '1.31.0';

/**
 * Marks an optional object that the normalizer fills when it is absent (its fields all have
 * defaults). A symbol, so JSON.stringify and ajv never see it and the schema stays plain.
 */
export const FILLED_WHEN_ABSENT: unique symbol = Symbol('meshfed.filledWhenAbsent');

// JSON Schema's `enum` / `const`, as the schema always wrote them: TypeBox's literal unions would
// print as anyOf and make ajv report a wrong value as several errors instead of MF2004.
const oneOf = <T extends string>(values: readonly T[], options: { default?: T; description?: string } = {}) =>
  Type.Unsafe<T>({ enum: [...values], ...options });
const constant = <T extends string>(value: T) => Type.Unsafe<T>({ const: value });
const passThrough = (description: string) => Type.Unsafe<Record<string, unknown>>({ type: 'object', description });
const filledWhenAbsent = <T extends TSchema>(schema: T): T => Object.assign(schema, { [FILLED_WHEN_ABSENT]: true });
const closed = { additionalProperties: false } as const;

const cidrList = (what: string) =>
  Type.Array(Type.String({ description: 'CIDR, e.g. 10.10.0.0/16' }), {
    minItems: 1,
    description: `${what} ranges (CIDR). Clusters of one flat network need disjoint ranges.`,
  });

const validityDays = (days: number) => Type.Integer({ minimum: 1, maximum: MAX_VALIDITY_DAYS, default: days });

export const ClusterSchema = Type.Object(
  {
    name: Type.String({ description: 'Cluster ID (DNS-1123 label); becomes multiCluster.clusterName.' }),
    context: Type.Optional(Type.String({ description: 'kubeconfig context; defaults to the cluster name.' })),
    apiServer: Type.Optional(
      Type.String({ description: 'API server URL that the other control planes use (never 127.0.0.1/localhost outside the lab).' }),
    ),
    network: Type.Optional(Type.String({ description: 'Network name; clusters on one network reach each other pod to pod.' })),
    controlPlane: Type.Optional(
      Type.String({ default: 'self', description: '`self` for a primary, or the name of the primary that runs this remote\'s control plane.' }),
    ),
    podCIDRs: Type.Optional(cidrList('Pod address')),
    serviceCIDRs: Type.Optional(cidrList('Service address')),
    loadBalancerPool: Type.Optional(
      Type.String({ description: 'CIDR of addresses for LoadBalancer Services where no cloud load balancer exists (MetalLB pool).' }),
    ),
    eastWestGatewayAddress: Type.Optional(Type.String({ description: 'Pinned address of the east-west gateway.' })),
    nodeAddress: Type.Optional(
      Type.String({ description: 'Node address other clusters of a flat network route this cluster\'s CIDRs through.' }),
    ),
  },
  closed,
);

export const IstioSchema = filledWhenAbsent(
  Type.Object(
    {
      version: Type.Optional(Type.String({ description: 'Istio release, e.g. 1.30.3.' })),
      installer: Type.Optional(oneOf(['istioctl', 'helm'] as const, { default: 'istioctl' })),
      revision: Type.Optional(Type.String({ description: 'Control plane revision (DNS-1123 label).' })),
      meshConfig: Type.Optional(passThrough('Passed through to meshConfig.')),
      values: Type.Optional(passThrough('Passed through to the install values; meshfed settings win.')),
    },
    closed,
  ),
);

export const TrustSchema = filledWhenAbsent(
  Type.Object(
    {
      trustDomain: Type.Optional(Type.String({ default: 'cluster.local' })),
      rootDir: Type.Optional(Type.String({ default: './certs', description: 'Relative to the mesh file.' })),
      keyAlgorithm: Type.Optional(oneOf(KEY_ALGORITHMS, { default: TRUST_DEFAULTS.keyAlgorithm })),
      rootValidityDays: Type.Optional(validityDays(TRUST_DEFAULTS.rootValidityDays)),
      intermediateValidityDays: Type.Optional(validityDays(TRUST_DEFAULTS.intermediateValidityDays)),
    },
    closed,
  ),
);

export const LabSchema = Type.Object(
  { nodes: Type.Optional(Type.Integer({ minimum: 1, maximum: 10, default: 2 })) },
  { ...closed, description: 'This mesh runs in meshfed\'s lab (real control planes on this machine\'s loopback).' },
);

export const SERVICE_DISCOVERY_MODES = ['istio', 'mcs'] as const;

export const ServicesSchema = Type.Object(
  {
    discovery: Type.Optional(
      oneOf<(typeof SERVICE_DISCOVERY_MODES)[number]>(SERVICE_DISCOVERY_MODES, {
        default: 'istio',
        description:
          '`istio`: every service is mesh-wide (Istio\'s default). `mcs`: only services with a ServiceExport cross clusters, as `<svc>.<ns>.svc.clusterset.local` (Kubernetes Multi-Cluster Services); meshfed installs the MCS CRDs and is the MCS controller.',
      }),
    ),
    clusterLocal: Type.Optional(
      Type.Array(Type.String({ description: 'A hostname, or `*.` and a domain, e.g. `*.kube-system.svc.cluster.local`.' }), {
        description: 'Hosts that stay in their own cluster (rendered into meshConfig.serviceSettings with clusterLocal: true).',
      }),
    ),
    dnsProxy: Type.Optional(
      Type.Boolean({
        default: false,
        description: 'Istio\'s DNS proxying in every sidecar (ISTIO_META_DNS_CAPTURE; addresses for ServiceEntries come from istiod\'s auto-allocation, on by default since ISTIO_META_DNS_AUTO_ALLOCATE was deprecated): names of services in other clusters resolve without a local Service.',
      }),
    ),
  },
  { ...closed, description: 'Which services span the mesh, and how their names resolve (seed 001: global services and global DNS).' },
);

export const MeshFileSchema = Type.Object(
  {
    apiVersion: constant(API_VERSION),
    kind: constant('Mesh'),
    metadata: Type.Object({ name: Type.String({ description: 'Mesh name; becomes global.meshID.' }) }, closed),
    spec: Type.Object(
      {
        istio: Type.Optional(IstioSchema),
        trust: Type.Optional(TrustSchema),
        lab: Type.Optional(LabSchema),
        services: Type.Optional(ServicesSchema),
        clusters: Type.Array(ClusterSchema, { minItems: 1, maxItems: MESH_FILE_LIMITS.clusters }),
      },
      closed,
    ),
  },
  {
    ...closed,
    $schema: 'http://json-schema.org/draft-07/schema#',
    $id: 'https://meshfed.io/schema/v1alpha1/mesh.json',
    title: 'meshfed Mesh',
    description: 'One multi-cluster Istio mesh: its clusters, networks, control planes and trust.',
  },
);

/** The mesh file as the user may write it: fields with a default may be left out. */
export type MeshFileInput = Static<typeof MeshFileSchema>;
