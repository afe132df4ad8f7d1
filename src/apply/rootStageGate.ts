/**
 * What must hold before apply ships a root rotation stage (src/pki/rootRotation.ts) to a
 * cluster, checked on the workloads of every cluster of the mesh, since a workload anywhere
 * may call one here:
 *
 *   reissue   every workload trusts the new root (its trust file holds it): from now on
 *             this cluster's istiod issues certificates that chain to the new root only.
 *   drop-old  no workload certificate chains to the old root: from now on this cluster
 *             trusts the new root only.
 *
 * A workload whose certificate cannot be read (an Envoy sidecar) is named, not guessed at.
 */
import { getObject, type KubeClients } from '../kube/index.js';
import { certificateBlocksOf, chainsToRoot, readMeshTrust, type IntermediateBundle } from '../pki/index.js';
import { OBJECTS, type ClusterPlan } from '../plan/index.js';
import type { ApplyContext } from './context.js';
import { ApplyError } from './errors.js';
import { workloadCerts, type WorkloadCert } from './workloadCerts.js';

const decoded = (o: unknown, key: string): string => Buffer.from(((o as { data?: Record<string, string> } | undefined)?.data ?? {})[key] ?? '', 'base64').toString('utf8');

/** Whether `rootsPem` holds the certificate `rootPem` (by DER). Pure. */
export function holdsRoot(rootsPem: string | undefined, rootPem: string): boolean {
  const want = certificateBlocksOf(rootPem)[0];
  return !!want && certificateBlocksOf(rootsPem ?? '').some((b) => Buffer.from(b.der).equals(Buffer.from(want.der)));
}

/** The gate's verdict over the mesh's workloads: who blocks the stage, and who could not be read. Pure. */
export function stageBlockers(stage: 'reissue' | 'drop-old', workloads: readonly (WorkloadCert & { cluster: string })[], roots: { old: string; new: string }): { blocking: string[]; unreadable: string[] } {
  const name = (w: { cluster: string; namespace: string; pod: string }) => `${w.cluster}/${w.namespace}/${w.pod}`;
  const readable = workloads.filter((w) => w.chainPem !== undefined);
  const blocking = stage === 'reissue' ? readable.filter((w) => !holdsRoot(w.rootsPem, roots.new)) : readable.filter((w) => chainsToRoot(w.chainPem!, roots.old));
  return { blocking: blocking.map(name), unreadable: workloads.filter((w) => w.chainPem === undefined).map(name) };
}

/** Throws MF8021 when the stage may not reach this cluster yet; says what it checked otherwise. */
export async function checkRootStage(ctx: ApplyContext, c: ClusterPlan, k: KubeClients, bundle: IntermediateBundle): Promise<string | undefined> {
  const trust = await readMeshTrust(ctx.rootDir);
  const stage = trust?.stage;
  if (!trust || !trust.new || (stage !== 'reissue' && stage !== 'drop-old')) return undefined;
  const live = await getObject(k, OBJECTS.cacerts);
  const ships = stage === 'reissue' ? decoded(live, 'ca-cert.pem') !== bundle.caCertPem : decoded(live, 'root-cert.pem') !== bundle.rootCertPem;
  if (!ships) return undefined;
  const all: (WorkloadCert & { cluster: string })[] = [];
  for (const [cluster, clients] of ctx.clients) {
    if (clients instanceof Error) throw new ApplyError({ code: 'MF8021', message: `${c.name}: cannot check the workloads of ${cluster} before root rotation stage ${stage}: ${clients.message}`, hint: 'every cluster must be reachable while the root rotates', cluster: c.name });
    for (const w of await workloadCerts(clients, bundle.caCertPem)) all.push({ ...w, cluster });
  }
  const { blocking, unreadable } = stageBlockers(stage, all, { old: trust.old.certPem, new: trust.new.certPem });
  if (blocking.length > 0) {
    const what = stage === 'reissue' ? 'do not trust the new root yet' : 'still hold a certificate of the old root';
    throw new ApplyError({
      code: 'MF8021',
      message: `${c.name}: root rotation stage ${stage} not shipped: ${blocking.length} workloads ${what}: ${blocking.join(', ')}`,
      hint: 'restart them (kubectl rollout restart deployment/<name> -n <ns>) or wait for their next certificate renewal, then run apply again',
      cluster: c.name,
    });
  }
  return `root rotation ${stage}: ${all.length - unreadable.length} workloads checked${unreadable.length ? `, ${unreadable.length} unreadable (${unreadable.join(', ')})` : ''}`;
}
