// Where the CLI writes and how it learns the output went away; tests pass their own.
export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  isTTY: boolean;
  /** The terminal's width, when output is a terminal that can redraw (the live block under the progress lines). */
  columns?: () => number;
  /** Where SIGINT/SIGTERM/SIGHUP handlers are installed; tests pass their own emitter. */
  signals?: NodeJS.EventEmitter;
  /**
   * Calls `fn` once when the output goes away (a closed pipe, a lost terminal) and returns a
   * function that stops listening. A run then rolls back and ends instead of dying mid-fault.
   */
  onOutputClosed?: (fn: () => void) => () => void;
}

export const defaultIo = (): CliIo => {
  // Once a stream has failed, writing to it again only raises more errors: drop what follows.
  const closed = new Set<NodeJS.WriteStream>();
  const write = (stream: NodeJS.WriteStream) => (t: string) => {
    if (!closed.has(stream) && !stream.destroyed) stream.write(t);
  };
  return {
    stdout: write(process.stdout),
    stderr: write(process.stderr),
    isTTY: Boolean(process.stdout.isTTY) && !process.env['CI'],
    columns: () => process.stdout.columns || 80,
    signals: process,
    onOutputClosed(fn) {
      const handlers = [process.stdout, process.stderr].map((stream) => {
        const h = (err: NodeJS.ErrnoException) => {
          closed.add(stream);
          if (err.code === 'EPIPE' || err.code === 'EIO' || err.code === 'ERR_STREAM_DESTROYED') fn();
        };
        stream.on('error', h);
        return () => stream.off('error', h);
      });
      return () => handlers.forEach((off) => off());
    },
  };
};
