import { Command } from 'commander';
import { registerCompare } from './compare-command.js';
import { registerFidelity } from './fidelity-command.js';
import { registerLive } from './live-commands.js';
import { registerMerge } from './merge-command.js';
import { registerPlan } from './plan-command.js';
import { registerProfile } from './profile-command.js';
import { registerReport } from './report-command.js';
import { registerRun } from './run-command.js';
import { registerSlurm } from './slurm-command.js';
import { registerTools } from './tool-commands.js';

/** The `sim` command with every subcommand (main.ts runs it; tests drive it in-process). */
export function buildProgram(): Command {
  const program = new Command();
  // Usage errors (unknown option, missing argument) throw instead of exiting with 1, which
  // `sim compare` uses for "worse": main.ts turns them into exit code 2.
  program.exitOverride();
  program
    .name('sim')
    .description('routesim: simulate LLM request routing across heterogeneous GPU fleets')
    .version('0.1.0')
    .showHelpAfterError('(sim <command> --help for usage)');
  registerRun(program);
  registerReport(program);
  registerCompare(program);
  registerMerge(program);
  registerTools(program);
  registerProfile(program);
  registerPlan(program);
  registerSlurm(program);
  registerLive(program);
  registerFidelity(program);
  return program;
}
