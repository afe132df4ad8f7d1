import { MeshfedError, namedCodesOf } from '../errors/index.js';

/**
 * Lab failures carry a stable MF6xxx code (name → code, from the one catalogue in src/errors), a message that names the cluster, process or port
 * involved, and a hint. Messages quote log lines but never key or token material.
 */
export const LAB_ERROR_CODES = namedCodesOf('lab');

export type LabErrorCode = (typeof LAB_ERROR_CODES)[keyof typeof LAB_ERROR_CODES];

export class LabError extends MeshfedError<LabErrorCode> {
  override readonly name = 'LabError';

  constructor(init: { code: LabErrorCode; message: string; hint: string; cluster?: string; cause?: unknown }) {
    super(init);
  }
}

export function isLabError(value: unknown): value is LabError {
  return value instanceof LabError;
}

// Lines that look like they carry credentials are dropped from quoted logs.
const SECRET_LINE = /(PRIVATE KEY|bearer\s+\S|token[=:"\s]+[A-Za-z0-9._-]{20,}|password\s*[=:])/i;

/** The last lines of a component's log, safe to put in an error message. */
export function quoteLogTail(text: string, lines = 8): string {
  return text
    .split('\n')
    .filter((l) => l.trim() !== '' && !SECRET_LINE.test(l))
    .slice(-lines)
    .map((l) => `    | ${l.length > 300 ? `${l.slice(0, 300)}…` : l}`)
    .join('\n');
}
