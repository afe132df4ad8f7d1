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

/** A failure the user can act on: a code, what happened, and how to fix it. */
export interface UserFacingError {
  code: string;
  message: string;
  hint: string;
}

export function isUserFacingError(e: unknown): e is UserFacingError & Error {
  return e instanceof Error && typeof (e as Partial<UserFacingError>).code === 'string' && typeof (e as Partial<UserFacingError>).hint === 'string';
}

/** Raised by commands to end with a given exit code after they have printed their findings. */
export class CommandExit extends Error {
  constructor(readonly exitCode: ExitCode) {
    super(`exit ${exitCode}`);
  }
}
