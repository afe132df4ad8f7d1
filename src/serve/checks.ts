// The type file alone: the page's own typecheck (DOM) then reads no doctor code.
import type { DoctorReport } from '../doctor/types.js';

/**
 * The dashboard's checks: the latest `meshfed doctor` report (doctor's own DoctorReport, as
 * `doctor -o json` prints it) and the latest `meshfed verify` tally per source cluster (serve
 * --verify-every; verifyTally below). Until a result is recorded the API says so honestly
 * ("none yet") instead of showing an empty, passing-looking panel.
 */

/** Who answered requests sent from one source cluster. */
export interface VerifySource {
  cluster: string;
  verdict: 'pass' | 'fail';
  requests: number;
  /** Per answering cluster (and version/pod where known), how many answers. */
  answeredBy: { cluster: string; version?: string; pod?: string; count: number }[];
  /** Why it failed, from what meshfed can see (names the doctor check that covers it). */
  reasons?: string[];
  /** What was observed beside the verdict (a gateway given but its path not verifiable; mTLS). */
  notes?: string[];
}

export interface VerifyReport {
  verdict: 'pass' | 'fail';
  sources: VerifySource[];
}

/** A result and when its run finished (ISO 8601). */
export interface Recorded<T> {
  at: string;
  report: T;
}

/** Where the dashboard reads the latest results from; each undefined until a run is recorded. */
export interface ChecksSource {
  doctor(): Recorded<DoctorReport> | undefined;
  verify(): Recorded<VerifyReport> | undefined;
}

export type CheckSlot<T> = ({ state: 'present' } & Recorded<T>) | { state: 'none'; message: string };

export interface ChecksView {
  doctor: CheckSlot<DoctorReport>;
  verify: CheckSlot<VerifyReport>;
}

const none = (command: string, how: string) => ({ state: 'none' as const, message: `no ${command} result yet: ${how}` });

export function checksView(source: ChecksSource | undefined): ChecksView {
  const doctor = source?.doctor();
  const verify = source?.verify();
  return {
    doctor: doctor ? { state: 'present', ...doctor } : none('meshfed doctor', 'start serve with --doctor-every <seconds> to run it here'),
    verify: verify ? { state: 'present', ...verify } : none('meshfed verify', 'start serve with --verify-every <seconds> to run it here'),
  };
}

/** Runs `run` now and then every `everyMs`, keeping the latest result with its time; a failed run keeps the last one. */
export function periodic<T>(run: () => Promise<T>, everyMs: number, now: () => Date = () => new Date()): { latest(): Recorded<T> | undefined; stop(): void; ran(): Promise<void> } {
  let latest: Recorded<T> | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;
  const tick = async () => {
    try {
      const report = await run();
      latest = { at: now().toISOString(), report };
    } catch {
      // The next run tries again; the page keeps the last report with its time.
    }
    if (!stopped) {
      timer = setTimeout(() => void tick(), everyMs);
      timer.unref?.();
    }
  };
  const first = tick();
  return {
    latest: () => latest,
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
    ran: () => first,
  };
}

type Periodic<T> = ReturnType<typeof periodic<T>>;

/** The dashboard's checks from a periodic doctor and a periodic verify, either absent. */
export function periodicChecks(runs: { doctor?: Periodic<DoctorReport>; verify?: Periodic<VerifyReport> }): ChecksSource & { stop(): void } {
  return {
    doctor: () => runs.doctor?.latest(),
    verify: () => runs.verify?.latest(),
    stop() {
      runs.doctor?.stop();
      runs.verify?.stop();
    },
  };
}

/** Runs doctor now and then every `everyMs`, keeping the latest report; a failed run keeps the last one. */
export function periodicDoctor(run: () => Promise<DoctorReport>, everyMs: number, now: () => Date = () => new Date()): ChecksSource & { stop(): void; ran(): Promise<void> } {
  const doctor = periodic(run, everyMs, now);
  return { ...periodicChecks({ doctor }), ran: doctor.ran };
}

