/**
 * Whether a root rotation may end: the last `certs --rotate-root` removes the old root's key,
 * and with it the way back, so it first reads every cluster of the mesh. The rotation may end
 * once stage drop-old is in force everywhere: each cluster's `cacerts` is the trust folder's
 * drop-old bundle (the new root only, the intermediate from it), each running istiod has loaded
 * it, and no workload of any cluster holds a certificate that chains to the old root.
 *
 * A workload whose certificate cannot be read (an Envoy sidecar) is named, not guessed at, as
 * apply's stage gate does (rootStageGate.ts).
 */
import { FIELD_MANAGER, getObject, type KubeClients } from '../kube/index.js';
import { readIntermediate, readMeshTrust, sameCertificates } from '../pki/index.js';
import { OBJECTS, type Plan } from '../plan/index.js';
import type { Clock } from './context.js';
import { ApplyError } from './errors.js';
import { istiodReloads, lastChangedAt, settledWithoutEvent, volumeSyncMs } from './istiodReload.js';
import { stageBlockers } from './rootStageGate.js';
import { workloadCerts, type WorkloadCert } from './workloadCerts.js';

/** One cluster as the end of a rotation reads it. */
export interface RotationEndCluster {
  cluster: string;
  /** Why it could not be read; nothing else is then known. */
  error?: string;
  /** Its live cacerts is the trust folder's drop-old bundle (ca-cert.pem and root-cert.pem). */
  shipped?: boolean;
  /** istiod pods that have not loaded that cacerts (yet, or refused it), with their state. */
  notLoaded?: string[];
  workloads?: readonly WorkloadCert[];
}

/** What holds the end of the rotation up, one line per fact, each naming its cluster; empty: it may end. Pure. */
export function rotationEndBlockers(clusters: readonly RotationEndCluster[], roots: { old: string; new: string }): string[] {
  const out: string[] = [];
  for (const c of clusters) {
    if (c.error !== undefined) {
      out.push(`${c.cluster}: cannot be read (${c.error})`);
      continue;
    }
    if (!c.shipped) out.push(`${c.cluster}: its cacerts is not stage drop-old's yet (apply has not shipped it there)`);
    else if (c.notLoaded?.length) out.push(`${c.cluster}: istiod has not loaded stage drop-old's cacerts yet (${c.notLoaded.join(', ')})`);
    const { blocking } = stageBlockers('drop-old', (c.workloads ?? []).map((w) => ({ ...w, cluster: c.cluster })), roots);
    if (blocking.length) out.push(`${c.cluster}: ${blocking.length} workloads still hold a certificate chaining to the old root: ${blocking.join(', ')}`);
  }
  return out;
}

const decoded = (o: unknown, key: string): string => Buffer.from(((o as { data?: Record<string, string> } | undefined)?.data ?? {})[key] ?? '', 'base64').toString('utf8');

async function readCluster(k: KubeClients, cluster: string, rootDir: string, clock: Clock, lab: boolean): Promise<RotationEndCluster> {
  const bundle = await readIntermediate(rootDir, cluster);
  const live = await getObject(k, OBJECTS.cacerts);
  const shipped = !!live && decoded(live, 'ca-cert.pem') === bundle.caCertPem && decoded(live, 'root-cert.pem') === bundle.rootCertPem;
  const notLoaded: string[] = [];
  const changedAt = live ? lastChangedAt(live, FIELD_MANAGER) : undefined;
  if (shipped && changedAt) {
    const now = new Date(clock.now());
    for (const r of await istiodReloads(k, changedAt)) {
      const state = settledWithoutEvent(r.state, changedAt, now, volumeSyncMs(lab));
      if (state.kind !== 'loaded') notLoaded.push(`${r.pod}: ${state.kind === 'refused' ? `refused: ${state.line}` : 'pending'}`);
    }
  }
  return { cluster, shipped, notLoaded, workloads: await workloadCerts(k, bundle.caCertPem) };
}

export interface RotationEndCheck {
  plan: Plan;
  clients: Map<string, KubeClients | Error>;
  rootDir: string;
  clock: Clock;
  /** The mesh file as the user named it, for the fix. */
  meshFile: string;
}

/**
 * Throws MF8022, naming every cluster and workload that holds the end up and what to do, unless
 * the rotation may end; says what it checked otherwise. Once the old root is gone from the
 * folder (a killed end that removed it), there is nothing left to chain to: only the clusters' cacerts are read.
 */
export async function checkRotationEnd(opts: RotationEndCheck): Promise<string> {
  const trust = await readMeshTrust(opts.rootDir);
  if (!trust?.new || trust.stage !== 'drop-old') throw new Error('checkRotationEnd: the trust folder is not at stage drop-old');
  const roots = { old: trust.old.certPem, new: trust.new.certPem };
  const oldGone = sameCertificates(roots.old, roots.new);
  const read = await Promise.all(
    opts.plan.clusters.map(async (c): Promise<RotationEndCluster> => {
      const k = opts.clients.get(c.name);
      if (!k || k instanceof Error) return { cluster: c.name, error: k?.message ?? 'no client' };
      try {
        const r = await readCluster(k, c.name, opts.rootDir, opts.clock, opts.plan.mesh.lab);
        return oldGone ? { ...r, workloads: [] } : r;
      } catch (e) {
        return { cluster: c.name, error: (e as Error).message };
      }
    }),
  );
  const blockers = rotationEndBlockers(read, roots);
  if (blockers.length > 0)
    throw new ApplyError({
      code: 'MF8022',
      message: `the root rotation cannot end yet, so the old root's key is kept:\n  ${blockers.join('\n  ')}`,
      hint: `run meshfed apply -f ${opts.meshFile} (it ships stage drop-old and waits for istiod), restart the workloads named (kubectl rollout restart deployment/<name> -n <ns>) or wait for their next certificate renewal, then run meshfed certs -f ${opts.meshFile} --rotate-root again`,
      cluster: [...new Set(blockers.map((b) => b.slice(0, b.indexOf(':'))))].join(', '),
    });
  const workloads = read.flatMap((r) => r.workloads ?? []);
  const unreadable = workloads.filter((w) => w.chainPem === undefined);
  return `stage drop-old is in force in ${read.map((r) => r.cluster).join(', ')}; ${workloads.length - unreadable.length} workloads checked, none chains to the old root${unreadable.length ? `; ${unreadable.length} unreadable (${unreadable.map((w) => `${w.namespace}/${w.pod}`).join(', ')})` : ''}`;
}
