import { MeshfedError, type ErrorCategory } from '../errors/index.js';
import type { Step } from '../plan/index.js';

export type StepStatus = 'pending' | 'running' | 'done' | 'failed' | 'blocked';

export interface StepOutcome {
  status: 'done' | 'failed' | 'blocked';
  /** True when the step changed something in the cluster. */
  changed: boolean;
  /** What the step did, or why it failed, for people. */
  detail: string;
  /** For failures: a typed error's code and hint. */
  code?: string;
  hint?: string;
  /** For failures: why, in the failing layer's terms (a kube error's reason, e.g. `unreachable`), else its category. */
  cause?: string;
  /** For failures: the category of the error's code, which decides the exit code. */
  category?: ErrorCategory;
  durationMs: number;
}

export type StepEvent =
  | { type: 'start'; step: Step; at: number }
  | { type: 'finish'; step: Step; outcome: StepOutcome; at: number };

export interface StepResultOfRun {
  changed: boolean;
  detail: string;
}

export interface RunDagOptions {
  /** Most steps running at once. */
  concurrency: number;
  run(step: Step): Promise<StepResultOfRun>;
  onEvent?(e: StepEvent): void;
  now?(): number;
}

function describeFailure(e: unknown): Pick<StepOutcome, 'detail' | 'code' | 'hint' | 'cause' | 'category'> {
  if (e instanceof Error) {
    const typed = e as Error & { code?: unknown; hint?: unknown; reason?: unknown };
    const category = e instanceof MeshfedError ? e.category : undefined;
    const cause = typeof typed.reason === 'string' ? typed.reason : category;
    return {
      detail: e.message,
      ...(typeof typed.code === 'string' ? { code: typed.code } : {}),
      ...(typeof typed.hint === 'string' ? { hint: typed.hint } : {}),
      ...(cause !== undefined ? { cause } : {}),
      ...(category !== undefined ? { category } : {}),
    };
  }
  return { detail: String(e) };
}

/**
 * Runs the steps of a DAG: each starts as soon as everything it needs is done, up to
 * `concurrency` at once. A failure blocks only the steps that depend on it; the others finish.
 * Never throws: every step ends with an outcome.
 */
export async function runDag(steps: Step[], opts: RunDagOptions): Promise<Map<string, StepOutcome>> {
  const now = opts.now ?? (() => Date.now());
  const outcomes = new Map<string, StepOutcome>();
  const waiting = new Set(steps.map((s) => s.id));
  let running = 0;
  return new Promise((resolveAll) => {
    const pump = () => {
      // Block everything downstream of a failure first, so it is reported, not left pending.
      let progressed = true;
      while (progressed) {
        progressed = false;
        for (const s of steps) {
          if (!waiting.has(s.id)) continue;
          const bad = s.needs.find((n) => {
            const o = outcomes.get(n);
            return o && o.status !== 'done';
          });
          if (bad) {
            waiting.delete(s.id);
            const outcome: StepOutcome = { status: 'blocked', changed: false, detail: `not started: ${bad} did not complete`, durationMs: 0 };
            outcomes.set(s.id, outcome);
            opts.onEvent?.({ type: 'finish', step: s, outcome, at: now() });
            progressed = true;
          }
        }
      }
      for (const s of steps) {
        if (running >= opts.concurrency) break;
        if (!waiting.has(s.id) || !s.needs.every((n) => outcomes.get(n)?.status === 'done')) continue;
        waiting.delete(s.id);
        running++;
        const started = now();
        opts.onEvent?.({ type: 'start', step: s, at: started });
        opts
          .run(s)
          .then(
            (r): StepOutcome => ({ status: 'done', changed: r.changed, detail: r.detail, durationMs: now() - started }),
            (e: unknown): StepOutcome => ({ status: 'failed', changed: false, ...describeFailure(e), durationMs: now() - started }),
          )
          .then((outcome) => {
            outcomes.set(s.id, outcome);
            running--;
            opts.onEvent?.({ type: 'finish', step: s, outcome, at: now() });
            pump();
          });
      }
      if (running === 0 && waiting.size === 0) resolveAll(outcomes);
    };
    pump();
  });
}
