import { join } from 'node:path';
import type { Command } from 'commander';
import { action, EXIT_FAILED } from './errors.js';
import { writeReport } from './report-command.js';

interface MergeFlags {
  out: string;
  report: boolean;
}

/** `sim merge`: combines the result directories of `sim run --shard k/N` runs into one. */
export function registerMerge(program: Command): void {
  program
    .command('merge')
    .description('combine the results directories of shards (sim run --shard k/N) into one')
    .argument('<dirs...>', 'results directories of the shards, e.g. shard-1/my-experiment shard-2/my-experiment')
    .option('--out <dir>', 'results root: the merged results go to <dir>/<experiment>', 'results')
    .option('--no-report', 'do not write report.html and plots')
    .action(
      action(async (dirs: string[], flags: MergeFlags) => {
        const { mergeResults } = await import('../experiment/merge.js');
        const { readResults } = await import('../experiment/results-dir.js');
        const m = mergeResults(dirs, join(flags.out, readResults(dirs[0]).manifest.name));
        process.stdout.write(`${m.dir}: ${m.recorded} of ${m.manifest.points.length} points${m.failed.length > 0 ? ` (${m.failed.length} failed)` : ''}\n`);
        if (m.missing.length > 0) {
          process.stderr.write(`error: ${m.missing.length} points have no results in any shard, no summary written: ${m.missing.join(', ')}\n`);
          return EXIT_FAILED;
        }
        if (flags.report) process.stdout.write(`Report:  ${await writeReport(m.dir)}\n`);
        if (m.failed.length > 0) {
          process.stderr.write(`error: ${m.failed.length} points failed: ${m.failed.join(', ')}\n`);
          return EXIT_FAILED;
        }
      }),
    );
}
