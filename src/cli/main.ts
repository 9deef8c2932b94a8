#!/usr/bin/env node
import { Command } from 'commander';
import { registerRun } from './run-command.js';
import { registerTools } from './tool-commands.js';

const program = new Command();
program
  .name('sim')
  .description('routesim: simulate LLM request routing across heterogeneous GPU fleets')
  .version('0.1.0')
  .showHelpAfterError();

registerRun(program);
registerTools(program);

await program.parseAsync(process.argv);
