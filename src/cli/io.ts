/** Where commands write; injected so tests capture output without a child process. */
export interface Io {
  /** Data (plans, JSON, tables): stdout. */
  out(text: string): void;
  /** Messages for people: stderr. */
  err(text: string): void;
  quiet: boolean;
  verbose: boolean;
}

export const processIo = (opts: { quiet?: boolean; verbose?: boolean } = {}): Io => ({
  out: (t) => void process.stdout.write(t),
  err: (t) => void process.stderr.write(t),
  quiet: !!opts.quiet,
  verbose: !!opts.verbose,
});
