import { join } from 'node:path';
import { clientsFor } from '../../apply/index.js';
import { ensureLabBinaries, labBinaryPaths, labRoutes, labStatus, labUp } from '../../lab/index.js';
import { ensureTrust } from '../../pki/index.js';
import { planMesh } from '../../plan/index.js';
import { renderMesh, writeRendered } from '../../render/index.js';
import { defaultRequests, runVerify, SAMPLE_NAMESPACE } from '../../verify/index.js';
import { formatVerify } from './verify.js';
import { CommandExit, EXIT } from '../exit.js';
import { DEFAULT_APPLY_TIMEOUT_S, DEFAULT_CONCURRENCY, DEFAULT_VERIFY_SETTLE_S, DEFAULT_VERIFY_TIMEOUT_S } from '../flags.js';
import type { Io } from '../io.js';
import { loadMesh } from '../mesh.js';
import { applyCommand } from './apply.js';

/**
 * The lab demo: lab up, certificates, apply, then seed 000's verification layout (HelloWorld v1
 * in one cluster, v2 in another, sleep in each). Every part is idempotent, so it can run again.
 */
export async function labDemoCommand(opts: { file: string }, io: Io): Promise<void> {
  const progress = (line: string) => {
    if (!io.quiet) io.err(`${line}\n`);
  };
  const loaded = await loadMesh(opts.file, io);
  const { mesh, path, rootDir } = loaded;
  await ensureLabBinaries({ onProgress: progress });
  const lab = await labUp({ mesh, meshPath: path, onProgress: progress });
  const t = mesh.spec.trust;
  const trust = await ensureTrust({
    rootDir,
    clusters: mesh.spec.clusters.map((c) => c.name),
    options: { keyAlgorithm: t.keyAlgorithm, rootValidityDays: t.rootValidityDays, intermediateValidityDays: t.intermediateValidityDays },
  });
  progress(`trust: root ${trust.root.action}, ${trust.clusters.map((c) => `${c.cluster} ${c.action}`).join(', ')} (in ${rootDir})`);

  await applyCommand({ file: opts.file, dryRun: false, concurrency: DEFAULT_CONCURRENCY, kubeconfig: lab.kubeconfig, output: 'text', prune: true, timeout: DEFAULT_APPLY_TIMEOUT_S }, io);

  const plan = planMesh(mesh);
  // Seed 000's routes between the clusters of a flat network, run as a user runs the rendered
  // 90-routes.sh on each node: in the lab, inside each cluster's node namespace.
  const podNetwork = (await labStatus({ mesh, meshPath: path })).podNetwork !== undefined;
  if (podNetwork) {
    const renderDir = join(lab.stateDir, 'render');
    await writeRendered(renderDir, renderMesh(plan).files);
    labRoutes({ mesh, meshPath: path, renderDir });
    progress(`routes: the rendered 90-routes.sh run in every cluster's node namespace`);
  }
  // seed 000's last section: HelloWorld v1/v2 and sleep, and the proof, kept for the user to look at.
  const report = await runVerify({
    plan,
    clients: clientsFor(plan, lab.kubeconfig),
    namespace: SAMPLE_NAMESPACE,
    requests: defaultRequests(plan.clusters.length),
    keep: true,
    lab: true,
    readyTimeoutMs: DEFAULT_VERIFY_TIMEOUT_S * 1000,
    settleMs: DEFAULT_VERIFY_SETTLE_S * 1000,
    progress,
  });
  const first = plan.clusters[0]!;
  // The lab's own kubectl: a newcomer's machine may have none on PATH.
  const kubectl = labBinaryPaths().kubectl;
  io.out(
    [
      `Demo mesh ${mesh.metadata.name} is up in the lab: ${plan.clusters.map((c) => `${c.name} (${c.role}, ${c.network || 'one network'})`).join(', ')}.`,
      `  certificates: ${rootDir} (root key stays there), one intermediate per cluster as cacerts`,
      `  Istio ${mesh.spec.istio.version} installed by istioctl, east-west gateways, expose manifests, remote secrets`,
      `  namespace ${SAMPLE_NAMESPACE} (istio-injection=enabled) in every cluster: ${report.placement.map((p) => `${p.cluster} helloworld ${p.version ?? '-'} + sleep`).join(', ')}`,
      '',
      podNetwork ? formatVerify(report, []) : 'verify: not run (the lab has no pod network without root, so no workload runs)\n',
      'Next:',
      `  export KUBECONFIG=${lab.kubeconfig}`,
      `  ${kubectl} --context ${first.context} -n ${SAMPLE_NAMESPACE} get pods,svc,endpointslices`,
      `  ${kubectl} --context ${first.context} -n istio-system get secrets -l istio/multiCluster=true`,
      `  node bin/meshfed.js apply -f ${opts.file}     # again: changes nothing`,
      `  node bin/meshfed.js destroy -f ${opts.file}   # remove the mesh, keep the certificates`,
      `  node bin/meshfed.js lab down -f ${opts.file}  # stop the lab`,
      `  node bin/meshfed.js verify -f ${opts.file}      # the proof again (removes its workloads unless --keep)`,
      'Data plane: as root, the lab runs the real istiod (pilot-discovery) in each primary and the sample',
      "pods as Istio's agent in grpc-agent mode beside Istio's echo app (proxyless gRPC, certificates from",
      "the Istio CA); without root, pods are simulated. There is no Envoy: gateways carry no traffic, so",
      'calls cross clusters only within one network (README, "The lab data plane").',
      '',
    ].join('\n'),
  );
  if (podNetwork && (report.unreachable.length || !report.verdict.pass)) throw new CommandExit(EXIT.partial);
}
