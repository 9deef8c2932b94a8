#!/usr/bin/env node
import module from 'node:module';

// Node >= 22.1 can keep compiled modules on disk between runs (os.tmpdir()/node-compile-cache),
// which shortens start-up; older Node has no such cache. Enabled before the rest is imported.
(module as { enableCompileCache?: () => unknown }).enableCompileCache?.();
const { CommanderError } = await import('commander');
const { buildProgram } = await import('./program.js');
const { EXIT_STDOUT_LOST, guardStdout, stdoutLost } = await import('./stdout-guard.js');

// `sim run --json | head`: the reader went away; stop printing, not working (see stdout-guard).
guardStdout();

try {
  await buildProgram().parseAsync(process.argv);
} catch (err) {
  // Commander has printed the usage error; help and --version end with code 0.
  if (!(err instanceof CommanderError)) throw err;
  process.exitCode = err.exitCode === 0 ? 0 : 2;
}
if (stdoutLost() && !process.exitCode) {
  process.stderr.write('error: standard output was closed early; the command finished, but its output after that point was dropped\n');
  process.exitCode = EXIT_STDOUT_LOST;
}
