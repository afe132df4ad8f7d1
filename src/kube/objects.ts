import { PatchStrategy, setHeaderOptions, type KubernetesObject } from '@kubernetes/client-node';
import type { KubeClients } from './client.js';
import { toKubeError } from './errors.js';
import { rawRequest } from './request.js';

export const FIELD_MANAGER = 'meshfed';

/** A Kubernetes object as sent and received: the fields every kind has, the rest unknown. */
export interface KubeObject extends KubernetesObject {
  apiVersion: string;
  kind: string;
  metadata: NonNullable<KubernetesObject['metadata']> & { name: string };
  [field: string]: unknown;
}

export interface ObjectRef {
  apiVersion: string;
  kind: string;
  name: string;
  namespace?: string;
}

function describe(ref: { kind: string; name?: string; namespace?: string | undefined }): string {
  return [ref.kind.toLowerCase(), ref.namespace, ref.name].filter(Boolean).join('/');
}

/**
 * Server-side apply: the server merges our fields and records `meshfed` as their manager.
 * With `dryRun` the server validates and answers with the result but stores nothing.
 */
export async function applyObject(
  clients: KubeClients,
  object: KubeObject,
  opts: { fieldManager?: string; force?: boolean; dryRun?: boolean } = {},
): Promise<KubeObject> {
  try {
    const result = await clients.objects.patch(
      object,
      undefined,
      opts.dryRun ? 'All' : undefined,
      opts.fieldManager ?? FIELD_MANAGER,
      opts.force ?? true,
      PatchStrategy.ServerSideApply,
    );
    return result as KubeObject;
  } catch (e) {
    throw toKubeError(e, { cluster: clients.context, resource: describe({ ...object.metadata, kind: object.kind }) });
  }
}

/** Reads one object; `undefined` when it does not exist. */
export async function getObject(clients: KubeClients, ref: ObjectRef): Promise<KubeObject | undefined> {
  try {
    const header = { apiVersion: ref.apiVersion, kind: ref.kind, metadata: { name: ref.name, ...(ref.namespace ? { namespace: ref.namespace } : {}) } };
    return (await clients.objects.read(header)) as KubeObject;
  } catch (e) {
    const err = toKubeError(e, { cluster: clients.context, resource: describe(ref) });
    if (err.reason === 'notFound') return undefined;
    throw err;
  }
}

export async function listObjects(
  clients: KubeClients,
  apiVersion: string,
  kind: string,
  opts: { namespace?: string; labelSelector?: string } = {},
): Promise<KubeObject[]> {
  try {
    const list = await clients.objects.list(apiVersion, kind, opts.namespace, undefined, undefined, undefined, undefined, opts.labelSelector);
    return list.items as KubeObject[];
  } catch (e) {
    throw toKubeError(e, { cluster: clients.context, resource: describe({ kind, namespace: opts.namespace }) });
  }
}

export async function deleteObject(clients: KubeClients, ref: ObjectRef): Promise<boolean> {
  try {
    await clients.objects.delete({ apiVersion: ref.apiVersion, kind: ref.kind, metadata: { name: ref.name, ...(ref.namespace ? { namespace: ref.namespace } : {}) } });
    return true;
  } catch (e) {
    const err = toKubeError(e, { cluster: clients.context, resource: describe(ref) });
    if (err.reason === 'notFound') return false;
    throw err;
  }
}

/**
 * Server-side apply of an object's status subresource (`<path>/status`), field manager meshfed:
 * for a controller's own status, e.g. the MCS controller's ServiceImport clusters and
 * ServiceExport conditions. `path` is the object's path.
 */
export async function applyStatus(clients: KubeClients, path: string, object: KubeObject, opts: { fieldManager?: string } = {}): Promise<void> {
  const query = `?fieldManager=${encodeURIComponent(opts.fieldManager ?? FIELD_MANAGER)}&force=true`;
  await rawRequest(clients, 'PATCH', `${path}/status${query}`, object, { contentType: 'application/apply-patch+yaml' });
}

export type StatusRef = { kind: 'Service'; name: string; namespace: string } | { kind: 'Node'; name: string };

/**
 * Merge-patches the status subresource. Status belongs to controllers, so this is for the
 * lab's stand-ins for them (kubelet for Nodes, the load balancer for Services).
 */
export async function patchStatus(clients: KubeClients, ref: StatusRef, status: Record<string, unknown>): Promise<void> {
  const options = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
  const body = { status };
  try {
    if (ref.kind === 'Service') {
      await clients.core.patchNamespacedServiceStatus({ name: ref.name, namespace: ref.namespace, body, fieldManager: FIELD_MANAGER }, options);
    } else {
      await clients.core.patchNodeStatus({ name: ref.name, body, fieldManager: FIELD_MANAGER }, options);
    }
  } catch (e) {
    throw toKubeError(e, { cluster: clients.context, resource: `${describe(ref)}/status` });
  }
}

