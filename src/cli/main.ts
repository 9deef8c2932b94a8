#!/usr/bin/env node
import module from 'node:module';

// Node >= 22.1 can keep compiled modules on disk between runs (os.tmpdir()/node-compile-cache),
// which shortens start-up; older Node has no such cache. Enabled before the rest is imported.
(module as { enableCompileCache?: () => unknown }).enableCompileCache?.();
const { CommanderError } = await import('commander');
const { buildProgram } = await import('./program.js');

// `sim run --json | head`: the reader went away; stop quietly instead of crashing on EPIPE.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

try {
  await buildProgram().parseAsync(process.argv);
} catch (err) {
  // Commander has printed the usage error; help and --version end with code 0.
  if (!(err instanceof CommanderError)) throw err;
  process.exitCode = err.exitCode === 0 ? 0 : 2;
}
