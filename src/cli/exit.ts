import { redactSecrets, type ErrorCategory, type MeshfedError } from '../errors/index.js';

/** The one table of exit codes (also in the README). */
export const EXIT = {
  ok: 0,
  unexpected: 1,
  /** Partial success, or drift between the mesh and the clusters. */
  partial: 2,
  usage: 64,
  /** The mesh file is invalid. */
  invalidMesh: 65,
  /** A cluster could not be reached. */
  unreachable: 69,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** The exit code of each error category (src/errors/catalogue.ts gives every code one). */
export const EXIT_OF_CATEGORY: Record<ErrorCategory, ExitCode> = {
  usage: EXIT.usage,
  invalidMesh: EXIT.invalidMesh,
  unreachable: EXIT.unreachable,
  failed: EXIT.unexpected,
  internal: EXIT.unexpected,
};

/** How the boundary prints an error: code, message, hint; with --verbose the errors it explains. */
export function formatError(e: MeshfedError, verbose: boolean): string {
  const lines = [`error ${e.code}: ${e.message}`, `  hint: ${e.hint}`];
  if (verbose) for (let c = e.cause, depth = 0; c !== undefined && depth < 5; c = c instanceof Error ? c.cause : undefined, depth++) lines.push(`  cause: ${redactSecrets(c instanceof Error ? c.message : String(c))}`);
  return lines.join('\n') + '\n';
}

/** Raised by commands to end with a given exit code after they have printed their findings. */
export class CommandExit extends Error {
  constructor(readonly exitCode: ExitCode) {
    super(`exit ${exitCode}`);
  }
}
