import { Command, CommanderError, Option } from 'commander';
import { applyCommand, destroyCommand, type ApplyFlags } from './commands/apply.js';
import { certsCommand, type CertsFlags } from './commands/certs.js';
import { discoverCommand, type DiscoverFlags } from './commands/discover.js';
import { checkCode, doctorCommand, statusCommand, type DoctorFlags, type StatusFlags } from './commands/doctor.js';
import { serveCommand, type ServeFlags } from './commands/serve.js';
import { dnsCommand, type DnsFlags } from './commands/dns.js';
import { requestCount, verifyCommand, type VerifyFlags } from './commands/verify.js';
import { SAMPLE_NAMESPACE } from '../verify/index.js';
import { planCommand, type PlanFlags } from './commands/plan.js';
import { renderCommand } from './commands/render.js';
import { schemaCommand } from './commands/schema.js';
import { validateCommand } from './commands/validate.js';
import { registerLabCommands } from './commands/lab.js';
import { meshfedVersion, versionCommand } from './commands/version.js';
import { isMeshfedError, redactSecrets } from '../errors/index.js';
import { CommandExit, EXIT, EXIT_OF_CATEGORY, formatError } from './exit.js';
import { untilOption, concurrencyOption, DEFAULT_DNS_PORT, DEFAULT_APPLY_TIMEOUT_S, DEFAULT_DISCOVER_TIMEOUT_S, DEFAULT_DOCTOR_TIMEOUT_S, DEFAULT_VERIFY_SETTLE_S, DEFAULT_VERIFY_TIMEOUT_S, fileOption, fromOption, outputOption, portOption, positiveSeconds, timeoutOption } from './flags.js';
import { processIo, type Io } from './io.js';

const kubeconfigOf = (cmd: Command): { kubeconfig?: string } => {
  const k = cmd.optsWithGlobals<{ kubeconfig?: string }>().kubeconfig;
  return k ? { kubeconfig: k } : {};
};

export function buildProgram(io: Io): Command {
  const program = new Command('meshfed')
    .description('Build and run multi-cluster Istio service meshes from one mesh.yaml')
    .option('-q, --quiet', 'print only errors and data')
    .option('-v, --verbose', 'print more detail')
    .option('--kubeconfig <path>', 'kubeconfig file (default: $KUBECONFIG, then ~/.kube/config)')
    .version(meshfedVersion(), '-V, --version', "print meshfed's version")
    .showHelpAfterError()
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) });
  program.hook('preAction', (cmd) => {
    const g = cmd.optsWithGlobals<{ quiet?: boolean; verbose?: boolean }>();
    io.quiet = !!g.quiet;
    io.verbose = !!g.verbose;
  });

  program
    .command('validate')
    .description('check the mesh file; every problem with file:line:column and a hint (exit 65 on errors)')
    .addOption(fileOption())
    .addOption(outputOption(['text', 'json']))
    .action((o: { file: string; output: string }) => validateCommand(o, io));
  program
    .command('plan')
    .description('roles, networks, gateways, the remote secret matrix and the ordered steps')
    .addOption(fileOption())
    .addOption(outputOption())
    .option('--offline', 'the plan from the mesh file alone: read no cluster', false)
    .option('--destroy-removed', 'also list the undo steps of the clusters that left the mesh file, as apply --destroy-removed runs them', false)
    .option('--istioctl <path>', 'istioctl whose install files are compared with what the clusters hold (default: as apply)')
    .option('--helm <path>', 'helm, for installer: helm')
    .option('--charts <dir|repo>', 'Istio charts for installer: helm')
    .addOption(timeoutOption('deadline of each Kubernetes request while reading the clusters', DEFAULT_DOCTOR_TIMEOUT_S))
    .action((o: PlanFlags, cmd: Command) => planCommand({ ...o, ...kubeconfigOf(cmd) }, io));
  program
    .command('certs')
    .description('create the root CA (stays local) and one intermediate CA per cluster; report expiry')
    .addOption(fileOption())
    .option('--rotate <cluster...>', 're-issue these clusters\' intermediates under the same root', [])
    .option('--rotate-root', 'move a root rotation one stage on (trust-both, reissue, drop-old, done); apply ships each stage; the end first checks every cluster')
    .addOption(outputOption(['text', 'json']))
    .addOption(timeoutOption('deadline of each Kubernetes request when the end of a root rotation reads the clusters', DEFAULT_DOCTOR_TIMEOUT_S))
    .action((o: CertsFlags, cmd: Command) => certsCommand({ ...o, ...kubeconfigOf(cmd) }, io));
  program
    .command('render')
    .description('write every manifest per cluster, in apply order, deterministically')
    .addOption(fileOption())
    .requiredOption('-o, --out <dir>', 'output folder', 'out')
    .option('--include-secrets', 'also render the cacerts Secret (holds the intermediate key; written 0600)', false)
    .option('--allow-readable-keys', 'with --include-secrets: accept key files readable by others (only where the file system keeps no modes)', false)
    .action((o: { file: string; out: string; includeSecrets: boolean; allowReadableKeys: boolean }) => renderCommand(o, io));
  program
    .command('schema')
    .description('print the JSON Schema of the mesh file (for editors)')
    .action(() => schemaCommand(io));
  program
    .command('version')
    .description("meshfed's version and the Istio and Kubernetes versions it pins")
    .addOption(outputOption(['text', 'json']))
    .action((o: { output: string }) => versionCommand(o, io));
  program
    .command('apply')
    .description('bring the clusters to the plan: ordered, parallel, resumable; prunes what left the file')
    .addOption(fileOption())
    .option('--dry-run', 'show what would change per cluster (server-side dry run); change nothing', false)
    .addOption(concurrencyOption())
    .option('--istioctl <path>', 'istioctl binary (default: the lab build of the mesh version, then PATH)')
    .option('--helm <path>', 'helm binary, for installer: helm (default: the lab build, then PATH)')
    .option('--charts <dir|repo>', 'Istio charts for installer: helm: a folder with base/, istiod/, gateway/, or a Helm repository name (default: the lab build, then "istio")')
    .option('--no-prune', 'keep what left the mesh file')
    .addOption(untilOption())
    .option('--destroy-removed', 'uninstall the clusters that left the mesh file, as destroy would (after pruning their remote secrets)', false)
    .addOption(timeoutOption('deadline for each wait (gateway address, tokens), Kubernetes request and istioctl/helm run', DEFAULT_APPLY_TIMEOUT_S))
    .addOption(outputOption(['text', 'json']))
    .action((o: ApplyFlags, cmd: Command) => applyCommand({ ...o, ...kubeconfigOf(cmd) }, io));
  program
    .command('destroy')
    .description('remove everything meshfed created, in reverse order, including the Istio install; keeps the trust folder')
    .addOption(fileOption())
    .addOption(concurrencyOption())
    .option('--istioctl <path>', 'istioctl binary')
    .option('--helm <path>', 'helm binary, for installer: helm')
    .option('--charts <dir|repo>', 'Istio charts for installer: helm')
    .addOption(outputOption(['text', 'json']))
    .action((o: ApplyFlags, cmd: Command) => destroyCommand({ ...o, ...kubeconfigOf(cmd) }, io));
  program
    .command('discover')
    .description('watch the clusters as istiod does, once: clusters with sync state, services, endpoints (exit 69 if one is not synced)')
    .addOption(fileOption())
    .addOption(outputOption(['text', 'json']))
    .addOption(fromOption())
    .option('--network <name>', 'also print what a proxy in this network is told (split horizon)')
    .addOption(timeoutOption('how long each cluster may take to sync', DEFAULT_DISCOVER_TIMEOUT_S))
    .action((o: DiscoverFlags, cmd: Command) => discoverCommand({ ...o, ...kubeconfigOf(cmd) }, io));
  program
    .command('status')
    .description('the live mesh against the plan, per cluster: Istio running, steps applied, gateway addresses, remote secrets (exit 2 on drift)')
    .addOption(fileOption())
    .addOption(outputOption(['text', 'json']))
    .addOption(timeoutOption('deadline of each Kubernetes request', DEFAULT_DOCTOR_TIMEOUT_S))
    .action((o: StatusFlags, cmd: Command) => statusCommand({ ...o, ...kubeconfigOf(cmd) }, io));
  program
    .command('doctor')
    .description('coded live checks of every cluster in parallel, with evidence, cause and fix (exit 2 on errors, 69 if a cluster is unreachable)')
    .addOption(fileOption())
    .addOption(outputOption(['text', 'json']))
    .option('--check <code>', "run only the check of this code (repeatable; the README's doctor table lists them)", checkCode, [] as string[])
    .addOption(timeoutOption('deadline of each Kubernetes request and probe', DEFAULT_DOCTOR_TIMEOUT_S))
    .option('--istioctl <path>', 'istioctl for `istioctl analyze` (default: the lab build of the mesh version, then PATH)')
    .option('--no-analyze', 'do not run istioctl analyze')
    .action((o: DoctorFlags, cmd: Command) => doctorCommand({ ...o, ...kubeconfigOf(cmd) }, io));
  program
    .command('verify')
    .description("seed 000's traffic proof: HelloWorld v1/v2 and a client in every cluster, requests from each client, who answered, judged as Istio's multicluster tests judge (exit 2 on a failure, 69 if a cluster is unreachable)")
    .addOption(fileOption())
    .addOption(outputOption(['text', 'json']))
    .option('--namespace <name>', 'namespace for the verification workloads', SAMPLE_NAMESPACE)
    .option('--requests <n>', 'requests from each client (default: at least max(20, 10 × clusters))', requestCount)
    .option('--place <cluster=version,...>', 'which cluster serves which HelloWorld version (default: v1, v2 alternating)')
    .option('--keep', 'leave the verification workloads in place', false)
    .addOption(timeoutOption('how long the workloads and clients may take to be ready', DEFAULT_VERIFY_TIMEOUT_S))
    .addOption(new Option('--settle <seconds>', 'longest uncounted warm-up of each client, until every cluster it must reach has answered once (new endpoints take seconds to reach every istiod)').argParser(positiveSeconds).default(DEFAULT_VERIFY_SETTLE_S))
    .action((o: VerifyFlags, cmd: Command) => verifyCommand({ ...o, ...kubeconfigOf(cmd) }, io));
  program
    .command('serve')
    .description('run the discovery engine behind a read-only HTTP API and a change stream (SSE), until interrupted')
    .addOption(fileOption())
    .addOption(fromOption())
    .option('--host <address>', 'address to listen on; off loopback a token is required', '127.0.0.1')
    .addOption(portOption())
    .option('--token-file <file>', 'require Authorization: Bearer <the token in this file> (or set MESHFED_SERVE_TOKEN)')
    .option('--allow-host <name...>', 'DNS names the Host header may carry besides the bound address', [])
    .addOption(new Option('--doctor-every <seconds>', 'run meshfed doctor now and every so many seconds, for the dashboard\'s checks (default: never)').argParser(positiveSeconds))
    .addOption(new Option('--verify-every <seconds>', 'run meshfed verify (deploys, calls and removes its workloads) now and every so many seconds, for the dashboard\'s checks (default: never)').argParser(positiveSeconds))
    .action((o: ServeFlags, cmd: Command) => serveCommand({ ...o, ...kubeconfigOf(cmd) }, io));
  program
    .command('dns')
    .description('answer <svc>.<ns>.svc.clusterset.local (A, SRV; ClusterSetIP and headless) from the registry, over UDP and TCP, until interrupted (services.discovery: mcs)')
    .addOption(fileOption())
    .addOption(fromOption())
    .option('--host <address>', 'address to listen on', '127.0.0.1')
    .addOption(portOption(DEFAULT_DNS_PORT))
    .option('--cluster <name>', "the cluster whose view to answer with (its ServiceImports' IPs); default: the mesh file's first")
    .action((o: DnsFlags, cmd: Command) => dnsCommand({ ...o, ...kubeconfigOf(cmd) }, io));
  registerLabCommands(program, io);
  return program;
}

/** The one error boundary: turns every failure into a message and an exit code. */
export async function main(argv: string[], io: Io = processIo()): Promise<number> {
  const program = buildProgram(io);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return EXIT.ok;
  } catch (e) {
    if (e instanceof CommandExit) return e.exitCode;
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return EXIT.ok;
      return EXIT.usage;
    }
    // One model: the code's category decides the exit code.
    if (isMeshfedError(e)) {
      io.err(formatError(e, io.verbose));
      return EXIT_OF_CATEGORY[e.category];
    }
    io.err(`unexpected error: ${redactSecrets(e instanceof Error ? (io.verbose ? e.stack ?? e.message : e.message) : String(e))}\n  hint: this is a bug in meshfed; rerun with --verbose and report it\n`);
    return EXIT.unexpected;
  }
}
