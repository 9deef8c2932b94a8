/**
 * Standard output that the reader closed early (`sim run --json | head -1`): printing stops, the
 * command does not. Writes after the pipe broke are dropped, so a sweep still finishes and
 * writes its results; main.ts then exits with EXIT_STDOUT_LOST to say the output was cut.
 */

/** Exit code when stdout was lost and nothing else failed: 128 + SIGPIPE, as a shell reports a cut pipe. */
export const EXIT_STDOUT_LOST = 141;

let lost = false;

/** Whether stdout broke (EPIPE or a closed stream) during this process. */
export function stdoutLost(): boolean {
  return lost;
}

export function guardStdout(stream: NodeJS.WriteStream = process.stdout): void {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE' || err.code === 'ERR_STREAM_DESTROYED' || err.code === 'ECONNRESET') {
      lost = true;
      return;
    }
    throw err;
  });
  const write = stream.write.bind(stream) as (...args: unknown[]) => boolean;
  stream.write = ((...args: unknown[]) => {
    if (lost || stream.destroyed) {
      lost = true;
      // Call the callback, if any, so a writer waiting for it is not left hanging.
      const cb = args.find((a) => typeof a === 'function') as (() => void) | undefined;
      cb?.();
      return true;
    }
    return write(...args);
  }) as typeof stream.write;
}
