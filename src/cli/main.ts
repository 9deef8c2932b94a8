#!/usr/bin/env node
import { Command } from 'commander';
import { registerPlan } from './plan-command.js';
import { registerProfile } from './profile-command.js';
import { registerCompare } from './compare-command.js';
import { registerMerge } from './merge-command.js';
import { registerReport } from './report-command.js';
import { registerRun } from './run-command.js';
import { registerTools } from './tool-commands.js';

// `sim run --json | head`: the reader went away; stop quietly instead of crashing on EPIPE.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

const program = new Command();
program
  .name('sim')
  .description('routesim: simulate LLM request routing across heterogeneous GPU fleets')
  .version('0.1.0')
  .showHelpAfterError();

registerRun(program);
registerReport(program);
registerCompare(program);
registerMerge(program);
registerTools(program);
registerProfile(program);
registerPlan(program);

await program.parseAsync(process.argv);
