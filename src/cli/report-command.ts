import { join } from 'node:path';
import type { Command } from 'commander';
import { ensureRealDir, readResults, writeFileAtomic } from '../experiment/results-dir.js';
import { InputError } from '../input-error.js';
import { action } from './errors.js';

/** Writes report.html and plots/*.svg into a results directory; returns the report's path. */
export async function writeReport(dir: string): Promise<string> {
  // Loaded on use: the report pulls in Vega, the largest part of start-up.
  const { buildReport } = await import('../report/build-report.js');
  const results = readResults(dir);
  if (results.records.every((r) => r === undefined)) {
    throw new InputError(`none of the ${results.manifest.points.length} points of "${results.manifest.name}" has a record in points/ yet: nothing to report (sim run --resume finishes the run)`, dir);
  }
  const files = await buildReport(results);
  ensureRealDir(join(dir, 'plots'), 'plots directory');
  for (const { name, svg } of files.svgs) writeFileAtomic(join(dir, 'plots', `${name}.svg`), svg);
  const path = join(dir, 'report.html');
  writeFileAtomic(path, files.html);
  return path;
}

export function registerReport(program: Command): void {
  program
    .command('report')
    .description('write report.html and SVG plots for a results directory')
    .argument('<dirs...>', 'results directories, e.g. results/my-experiment')
    .action(
      action(async (dirs: string[]) => {
        for (const dir of dirs) process.stdout.write(`${await writeReport(dir)}\n`);
      }),
    );
}
