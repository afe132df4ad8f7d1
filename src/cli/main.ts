import { Command, CommanderError } from 'commander';
import { applyCommand, destroyCommand, type ApplyFlags } from './commands/apply.js';
import { certsCommand } from './commands/certs.js';
import { discoverCommand, type DiscoverFlags } from './commands/discover.js';
import { serveCommand, type ServeFlags } from './commands/serve.js';
import { planCommand } from './commands/plan.js';
import { renderCommand } from './commands/render.js';
import { schemaCommand } from './commands/schema.js';
import { validateCommand } from './commands/validate.js';
import { registerLabCommands } from './commands/lab.js';
import { meshfedVersion, versionCommand } from './commands/version.js';
import { isMeshfedError, redactSecrets } from '../errors/index.js';
import { CommandExit, EXIT, EXIT_OF_CATEGORY, formatError } from './exit.js';
import { concurrencyOption, DEFAULT_APPLY_TIMEOUT_S, DEFAULT_DISCOVER_TIMEOUT_S, fileOption, fromOption, outputOption, portOption, timeoutOption } from './flags.js';
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
    .action((o: { file: string; output: string }) => planCommand(o, io));
  program
    .command('certs')
    .description('create the root CA (stays local) and one intermediate CA per cluster; report expiry')
    .addOption(fileOption())
    .option('--rotate <cluster...>', 're-issue these clusters\' intermediates under the same root', [])
    .addOption(outputOption(['text', 'json']))
    .action((o: { file: string; rotate: string[]; output: string }) => certsCommand(o, io));
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
    .command('serve')
    .description('run the discovery engine behind a read-only HTTP API and a change stream (SSE), until interrupted')
    .addOption(fileOption())
    .addOption(fromOption())
    .option('--host <address>', 'address to listen on; off loopback a token is required', '127.0.0.1')
    .addOption(portOption())
    .option('--token-file <file>', 'require Authorization: Bearer <the token in this file> (or set MESHFED_SERVE_TOKEN)')
    .option('--allow-host <name...>', 'DNS names the Host header may carry besides the bound address', [])
    .action((o: ServeFlags, cmd: Command) => serveCommand({ ...o, ...kubeconfigOf(cmd) }, io));
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
