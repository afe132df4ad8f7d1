import { kubeClients } from '../../kube/index.js';
import { ensureLabBinaries, labBinaryPaths, labUp } from '../../lab/index.js';
import { ensureTrust } from '../../pki/index.js';
import { planMesh } from '../../plan/index.js';
import { deployVerification, SAMPLE_NAMESPACE, verificationLayout } from '../../verify/index.js';
import { DEFAULT_APPLY_TIMEOUT_S, DEFAULT_CONCURRENCY } from '../flags.js';
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
  const deployed = await Promise.all(
    verificationLayout(plan).map((layout) => {
      const c = plan.clusters.find((x) => x.name === layout.cluster)!;
      return deployVerification(kubeClients(lab.kubeconfig, c.context), layout);
    }),
  );
  const first = plan.clusters[0]!;
  // The lab's own kubectl: a newcomer's machine may have none on PATH.
  const kubectl = labBinaryPaths().kubectl;
  io.out(
    [
      `Demo mesh ${mesh.metadata.name} is up in the lab: ${plan.clusters.map((c) => `${c.name} (${c.role}, ${c.network || 'one network'})`).join(', ')}.`,
      `  certificates: ${rootDir} (root key stays there), one intermediate per cluster as cacerts`,
      `  Istio ${mesh.spec.istio.version} installed by istioctl, east-west gateways, expose manifests, remote secrets`,
      `  namespace ${SAMPLE_NAMESPACE} (istio-injection=enabled) in every cluster:`,
      ...deployed.map((d) => `    ${d.cluster}: helloworld ${d.helloworld} + sleep, pods ${Object.entries(d.pods).map(([n, ip]) => `${n}=${ip}`).join(', ')}`),
      '',
      'Next:',
      `  export KUBECONFIG=${lab.kubeconfig}`,
      `  ${kubectl} --context ${first.context} -n ${SAMPLE_NAMESPACE} get pods,svc,endpointslices`,
      `  ${kubectl} --context ${first.context} -n istio-system get secrets -l istio/multiCluster=true`,
      `  node bin/meshfed.js apply -f ${opts.file}     # again: changes nothing`,
      `  node bin/meshfed.js destroy -f ${opts.file}   # remove the mesh, keep the certificates`,
      `  node bin/meshfed.js lab down -f ${opts.file}  # stop the lab`,
      'The lab runs real control planes with simulated nodes and pods: there is no data plane, so',
      'the pods have IPs and readiness but no container runs (no curl from sleep to helloworld).',
      '',
    ].join('\n'),
  );
}
