/**
 * Lab failures carry a stable MF6xxx code, a message that names the cluster, process or port
 * involved, and a hint. Messages quote log lines but never key or token material.
 */
export const LAB_ERROR_CODES = {
  notALabMesh: 'MF6001',
  invalidAddress: 'MF6002',
  noGoToolchain: 'MF6003',
  buildFailed: 'MF6004',
  binaryMissing: 'MF6005',
  portInUse: 'MF6006',
  componentExited: 'MF6007',
  notReady: 'MF6008',
  opensslFailed: 'MF6009',
  loadBalancerMissing: 'MF6010',
  stopFailed: 'MF6011',
  stateUnreadable: 'MF6012',
  meshFileUpdate: 'MF6013',
} as const;

export type LabErrorCode = (typeof LAB_ERROR_CODES)[keyof typeof LAB_ERROR_CODES];

export class LabError extends Error {
  override readonly name = 'LabError';
  readonly code: LabErrorCode;
  readonly hint: string;
  /** The cluster the failure belongs to, when it belongs to one. */
  readonly cluster: string | undefined;

  constructor(code: LabErrorCode, message: string, hint: string, cluster?: string) {
    super(message);
    this.code = code;
    this.hint = hint;
    this.cluster = cluster;
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
