import type { Command } from 'commander';
import { ensureLabBinaries, labDown, labRoutes, labStatus, labUp, LOAD_BALANCER_NAME, type LabStatusReport } from '../../lab/index.js';
import { CommandExit, EXIT } from '../exit.js';
import { fileOption, outputOption } from '../flags.js';
import type { Io } from '../io.js';
import { loadMesh } from '../mesh.js';
import { labDemoCommand } from './demo.js';

function statusText(r: LabStatusReport): string {
  if (r.phase === 'absent') return `No lab is running for this mesh (state folder ${r.stateDir}).\n`;
  const lines = [`Lab ${r.mesh ?? ''}: ${r.healthy ? 'healthy' : `NOT healthy${r.problem ? ` (${r.problem})` : ''}`}`, `  kubeconfig ${r.kubeconfig ?? '-'}`];
  if (r.etcd) lines.push(`  etcd ${r.etcd.address}  ${r.etcd.process ? `pid ${r.etcd.process.pid} ${r.etcd.process.alive ? 'running' : 'DEAD'}` : 'not started'}`);
  if (r.loadBalancer) lines.push(`  ${LOAD_BALANCER_NAME}  pid ${r.loadBalancer.pid} ${r.loadBalancer.alive ? 'running' : 'DEAD'}`);
  if (r.podNetwork) {
    const runner = r.podNetwork.runner ? `pid ${r.podNetwork.runner.pid} ${r.podNetwork.runner.alive ? 'running' : 'DEAD'}` : 'not started';
    lines.push(`  pod network: network namespaces ${r.podNetwork.prefix}* (${r.podNetwork.namespaces})${r.podNetwork.fabric ? '' : ' FABRIC MISSING'}  pod runner ${runner}`);
  } else lines.push('  pod network: none (needs root and iproute2); pods are data only');
  for (const c of r.clusters) {
    lines.push(`  ${c.name} (context ${c.context}) ${c.apiServer}  ${c.healthy ? 'healthy' : 'NOT healthy'}${c.readyDetail && !c.ready ? `: ${c.readyDetail}` : ''}`);
    lines.push(`    pods ${c.podCIDR}  services ${c.serviceCIDR}  load balancer pool ${c.loadBalancerPool}${c.loadBalancerPoolPicked ? ' (picked by the lab)' : ''}  nodes ready ${c.nodesReady}/${c.nodesWanted}`);
    lines.push(`    ${c.processes.map((p) => `${p.name} ${p.pid}${p.alive ? '' : ' DEAD'}`).join(', ')}`);
  }
  return lines.join('\n') + '\n';
}

export function registerLabCommands(program: Command, io: Io): void {
  const lab = program.command('lab').description('real Kubernetes control planes on this machine for a lab mesh (spec.lab)');
  const progress = (line: string) => {
    if (!io.quiet) io.err(`${line}\n`);
  };
  lab
    .command('build')
    .description("build (once, cached) the lab's binaries: Kubernetes, etcd, kwok, istioctl, pilot-discovery, pilot-agent, Istio's echo app, Helm")
    .action(async () => {
      const b = await ensureLabBinaries({ onProgress: progress });
      if (!io.quiet) io.err(`lab binaries ready in ${b.cacheDir}\n`);
    });
  lab
    .command('up')
    .description('start (or keep) one control plane per cluster; idempotent; recovers a killed run')
    .addOption(fileOption())
    .action(async (o: { file: string }) => {
      const { mesh, path } = await loadMesh(o.file, io);
      await ensureLabBinaries({ onProgress: progress });
      const state = await labUp({ mesh, meshPath: path, onProgress: progress });
      io.out(
        [
          `Lab ${state.mesh} is ${state.reused ? 'already ' : ''}up: ${state.clusters.length} clusters.`,
          ...state.clusters.map((c) => `  ${c.name}: context ${c.context}, ${c.apiServer}, pods ${c.podCIDR}, services ${c.serviceCIDR}, load balancer pool ${c.loadBalancerPool}${c.loadBalancerPoolPicked ? ' (picked by the lab)' : ''}`),
          '',
          'Next:',
          `  export KUBECONFIG=${state.kubeconfig}`,
          `  kubectl --context ${state.clusters[0]?.context ?? ''} get nodes`,
          `  meshfed apply -f ${o.file}          # install the mesh into the lab`,
          `  meshfed lab status -f ${o.file}`,
          `  meshfed lab down -f ${o.file}       # stop it and remove its state`,
          'The lab runs real control planes with simulated nodes and pods: no container runs (see `lab status` for its pod network).',
          '',
        ].join('\n'),
      );
    });
  lab
    .command('demo')
    .description("lab up, certs and apply for the mesh, then seed 000's HelloWorld v1/v2 and sleep in its clusters")
    .addOption(fileOption('examples/lab/mesh.yaml'))
    .action((o: { file: string }) => labDemoCommand(o, io));
  lab
    .command('status')
    .description("each cluster's processes, addresses and health")
    .addOption(fileOption())
    .addOption(outputOption(['text', 'json']))
    .action(async (o: { file: string; output: string }) => {
      const { mesh, path } = await loadMesh(o.file, io);
      const r = await labStatus({ mesh, meshPath: path });
      io.out(o.output === 'json' ? JSON.stringify(r, null, 2) + '\n' : statusText(r));
      if (r.phase !== 'absent' && !r.healthy) throw new CommandExit(EXIT.partial);
    });
  lab
    .command('routes')
    .description("run the rendered out/<cluster>/90-routes.sh inside each cluster's node namespace of the lab's pod network (or --remove them)")
    .addOption(fileOption())
    .option('-d, --dir <dir>', 'the folder `meshfed render -o` wrote', 'out')
    .option('--remove', 'take the routes away again')
    .action(async (o: { file: string; dir: string; remove?: boolean }) => {
      const { mesh, path } = await loadMesh(o.file, io);
      const results = labRoutes({ mesh, meshPath: path, renderDir: o.dir, ...(o.remove ? { remove: true } : {}) });
      for (const r of results) {
        io.out(`${r.cluster}: ${r.script ? `${o.remove ? 'removed the routes of' : 'ran'} ${r.script}` : 'no 90-routes.sh'}\n`);
        for (const line of r.routes) io.out(`  ${line.trim()}\n`);
      }
    });
  lab
    .command('down')
    .description('stop only the processes this lab started and remove its state')
    .addOption(fileOption())
    .action(async (o: { file: string }) => {
      const { mesh, path } = await loadMesh(o.file, io);
      const r = await labDown({ mesh, meshPath: path, onProgress: progress });
      io.out(`Stopped ${r.stopped} lab processes and removed the lab's state.\n`);
    });
}
