import type { ErrorCode } from '../errors/index.js';

/** How bad a finding is: ✓ ok, ⚠ warning, ✗ error. */
export type Severity = 'ok' | 'warning' | 'error';

/**
 * One verdict of one check about one cluster: plain data (JSON-serialisable), so the CLI
 * prints it and the serve layer can show it. Never holds a token or key: evidence names
 * objects, fields and addresses.
 */
export interface Finding {
  code: ErrorCode;
  /** The check's title, e.g. "istio-system network label". */
  check: string;
  severity: Severity;
  /** The cluster the finding is about (where the object lives). */
  cluster: string;
  /** The object it read, e.g. `Secret/istio-system/istio-remote-secret-c2`. */
  resource?: string;
  /** What was read, in a line: `label topology.istio.io/network=network2, plan: network1`. */
  evidence: string;
  /** Why it is wrong (for ok: what it means). */
  cause?: string;
  /** A command or mesh-file change that repairs it. */
  fix?: string;
}

/** Every finding of one cluster, in registry order. */
export interface ClusterFindings {
  cluster: string;
  reachable: boolean;
  findings: Finding[];
}

export interface DoctorReport {
  mesh: string;
  clusters: ClusterFindings[];
  summary: { ok: number; warnings: number; errors: number; unreachable: string[] };
}
