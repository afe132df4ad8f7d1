import type { Static } from '@sinclair/typebox';
import { ClusterSchema, DEFAULT_ISTIO_VERSION, FILLED_WHEN_ABSENT, MeshFileSchema } from './model.js';
import type { ClusterSpec, MeshFile } from './types.js';

/** The parts of a JSON Schema node that filling defaults reads. */
interface SchemaNode {
  type?: unknown;
  properties?: Record<string, SchemaNode>;
  items?: SchemaNode;
  default?: unknown;
  [FILLED_WHEN_ABSENT]?: boolean;
}

type Raw = Record<string, unknown>;
const isRecord = (v: unknown): v is Raw => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * `value` with every default the schema names filled in, objects keyed in the schema's order
 * and holding only the fields it knows (a schema-valid file has no others).
 */
function fill(schema: SchemaNode, value: unknown): unknown {
  if (schema.type === 'object' && schema.properties) {
    const given = isRecord(value) ? value : {};
    const out: Raw = {};
    for (const [key, field] of Object.entries(schema.properties)) {
      const v = given[key] ?? (field.default !== undefined ? structuredClone(field.default) : field[FILLED_WHEN_ABSENT] ? {} : undefined);
      if (v !== undefined) out[key] = fill(field, v);
    }
    return out;
  }
  if (schema.items && Array.isArray(value)) return value.map((item) => fill(schema.items!, item));
  return value;
}

/**
 * Fills the defaults of a schema-valid mesh file; the result is what every other layer reads.
 * The schema's `default`s are filled from the schema itself; the rest cannot be written as a
 * JSON Schema literal (a cluster's context is its name) or never were (the Istio version).
 */
export function normalizeMesh(value: unknown): MeshFile {
  const { spec, ...mesh } = fill(MeshFileSchema as SchemaNode, value) as MeshFile;
  spec.istio.version ??= DEFAULT_ISTIO_VERSION;
  // Keys in the order this layer always produced them: plans and rendered files list them so.
  const clusters = (spec.clusters as Static<typeof ClusterSchema>[]).map(
    ({ name, context, controlPlane, podCIDRs, serviceCIDRs, ...rest }): ClusterSpec => ({
      name,
      context: context ?? name,
      controlPlane: controlPlane!, // the schema's default
      podCIDRs: podCIDRs ?? [],
      serviceCIDRs: serviceCIDRs ?? [],
      ...rest,
    }),
  );
  return { ...mesh, spec: { istio: spec.istio, trust: spec.trust, clusters, ...(spec.lab ? { lab: spec.lab } : {}), ...(spec.services ? { services: spec.services } : {}) } };
}
