#!/usr/bin/env node
import { CommanderError } from 'commander';
import { buildProgram } from './program.js';
import { EXIT_STDOUT_LOST, guardStdout, stdoutLost } from './stdout-guard.js';

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
