import { fileSystemError, InputError, printable } from '../input-error.js';
import { RoutingConfigError } from '../routing/index.js';

/** Exit codes: 2 for bad input, 1 for a run that failed or a verdict that is "no". */
export const EXIT_BAD_INPUT = 2;
export const EXIT_FAILED = 1;

/** Prints one line for a user error and returns its exit code; rethrows bugs (they deserve a trace). */
export function reportError(err: unknown): number {
  if (err instanceof InputError) {
    process.stderr.write(`error: ${err.format()}\n`);
    return EXIT_BAD_INPUT;
  }
  if (err instanceof RoutingConfigError) {
    process.stderr.write(`error: ${printable(err.format())}\n`);
    return EXIT_BAD_INPUT;
  }
  // A file the user named that cannot be opened or written (a directory, a missing parent, no
  // permission) is their input too: one line naming it, not a trace.
  const fsErr = err as NodeJS.ErrnoException | undefined;
  if (typeof fsErr?.path === 'string' && typeof fsErr.syscall === 'string') {
    const line = fileSystemError(err, fsErr.path, fsErr.syscall);
    if (line instanceof InputError) return reportError(line);
  }
  // A port that is taken or not allowed is the user's choice too (gateway --port, serve basePort).
  const netErr = err as (NodeJS.ErrnoException & { address?: string; port?: number }) | undefined;
  if (netErr?.syscall === 'listen' && typeof netErr.code === 'string') {
    const hint = netErr.code === 'EADDRINUSE' ? 'the port is in use: choose another' : netErr.code === 'EACCES' ? 'permission denied: ports below 1024 need privileges' : netErr.code;
    return reportError(new InputError(`cannot listen on ${netErr.address ?? ''}:${netErr.port ?? ''} (${netErr.code === hint ? hint : `${netErr.code}: ${hint}`})`));
  }
  throw err;
}

/** Wraps a command action: user errors become one line and an exit code, no stack trace. */
export function action<A extends unknown[]>(fn: (...args: A) => Promise<number | void> | number | void) {
  return async (...args: A) => {
    try {
      const code = await fn(...args);
      process.exitCode = code ?? 0;
    } catch (err) {
      process.exitCode = reportError(err);
    }
  };
}
