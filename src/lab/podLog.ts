/**
 * Writes a lab pod's process output into its log file (podFiles.ts's podLogPath) as CRI log
 * records, which is what `kubectl logs` (kwok's reader) can show. The imperative half of
 * podFiles.ts's criLogLine.
 */
import { createWriteStream, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { criLogLine, type LogStream } from './podFiles.js';

export interface PodLogWriter {
  /** Appends one record (or one per line of `text`). */
  line(stream: LogStream, text: string): void;
  /** Appends every line `from` yields (a child's stdout or stderr); resolves when it ends. */
  follow(stream: LogStream, from: Readable): Promise<void>;
  /** Flushes and closes the file. */
  close(): Promise<void>;
}

export function podLogWriter(file: string, now: () => Date = () => new Date()): PodLogWriter {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const out = createWriteStream(file, { flags: 'a', mode: 0o600 });
  const line = (stream: LogStream, text: string) => {
    out.write(criLogLine(stream, text, now()));
  };
  return {
    line,
    follow(stream, from) {
      return new Promise((resolve) => {
        const lines = createInterface({ input: from, crlfDelay: Infinity });
        lines.on('line', (l) => line(stream, l));
        lines.on('close', () => resolve());
      });
    },
    close() {
      return new Promise((resolve, reject) => out.end((e?: Error | null) => (e ? reject(e) : resolve())));
    },
  };
}
