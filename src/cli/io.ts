/** Where commands write; injected so tests capture output without a child process. */
export interface Io {
  /** Data (plans, JSON, tables): stdout. */
  out(text: string): void;
  /** Messages for people: stderr. */
  err(text: string): void;
  quiet: boolean;
  verbose: boolean;
}

/**
 * A stream whose reader went away (`meshfed plan -o json | head -c1`) takes no more writes and
 * raises no error: the command ends as it would have, like `kubectl … | head`.
 */
function closable(stream: NodeJS.WriteStream): (text: string) => void {
  let closed = false;
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') closed = true;
    else throw e;
  });
  return (text) => {
    if (!closed) stream.write(text);
  };
}

export const processIo = (opts: { quiet?: boolean; verbose?: boolean } = {}): Io => {
  const out = closable(process.stdout);
  const err = closable(process.stderr);
  return { out, err, quiet: !!opts.quiet, verbose: !!opts.verbose };
};
