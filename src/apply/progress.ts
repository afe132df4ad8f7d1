import type { Step } from '../plan/index.js';
import type { StepEvent, StepOutcome, StepStatus } from './dag.js';

export interface ProgressSink {
  event(e: StepEvent): void;
  close(): void;
}

const secs = (ms: number) => `${(ms / 1000).toFixed(1)}s`;
const MARK: Record<StepStatus, string> = { pending: '·', running: '…', done: '✓', failed: '✗', blocked: '-' };

/** Without a terminal: one line per finished step. */
export function lineProgress(write: (s: string) => void): ProgressSink {
  return {
    event(e) {
      if (e.type !== 'finish') return;
      const o = e.outcome;
      const mark = o.status === 'done' ? (o.changed ? '✓' : '=') : MARK[o.status];
      write(`${mark} ${e.step.id} ${o.status === 'done' ? '' : `${o.status.toUpperCase()} `}(${secs(o.durationMs)}) ${o.detail.split('\n')[0]}\n`);
    },
    close() {},
  };
}

/** `-o json`: one JSON object per event, for machines. */
export function jsonProgress(write: (s: string) => void): ProgressSink {
  return {
    event(e) {
      const base = { type: e.type, step: e.step.id, kind: e.step.kind, cluster: e.step.cluster, at: new Date(e.at).toISOString() };
      write(JSON.stringify(e.type === 'finish' ? { ...base, ...e.outcome } : base) + '\n');
    },
    close() {},
  };
}

/** On a terminal: a live view of every cluster's steps with their state and duration. */
export function liveProgress(steps: Step[], write: (s: string) => void): ProgressSink {
  const status = new Map<string, { s: StepStatus; started?: number; outcome?: StepOutcome }>(steps.map((s) => [s.id, { s: 'pending' }]));
  const clusters = [...new Set(steps.map((s) => s.cluster))];
  let drawn = 0;
  const label = (s: Step) => (s.watched ? `secret(${s.watched})` : s.kind);
  const draw = () => {
    const lines = clusters.map((c) => {
      const cells = steps
        .filter((s) => s.cluster === c)
        .map((s) => {
          const st = status.get(s.id)!;
          const time = st.outcome ? ` ${secs(st.outcome.durationMs)}` : st.started ? ` ${secs(Date.now() - st.started)}` : '';
          return `${MARK[st.s]}${label(s)}${st.s === 'running' || st.s === 'done' ? time : ''}`;
        });
      return `${c.padEnd(14)} ${cells.join('  ')}`;
    });
    write((drawn ? `\x1b[${drawn}A` : '') + lines.map((l) => `\x1b[2K${l}`).join('\n') + '\n');
    drawn = lines.length;
  };
  const timer = setInterval(draw, 200);
  timer.unref();
  return {
    event(e) {
      const st = status.get(e.step.id)!;
      if (e.type === 'start') status.set(e.step.id, { s: 'running', started: e.at });
      else status.set(e.step.id, { ...st, s: e.outcome.status, outcome: e.outcome });
      draw();
    },
    close() {
      clearInterval(timer);
      draw();
    },
  };
}
