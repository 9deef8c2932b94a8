import { join } from 'node:path';
import type { Command } from 'commander';
import { ensureRealDir, readResults, writeFileAtomic } from '../experiment/results-dir.js';
import { action } from './errors.js';

/** Writes report.html and plots/*.svg into a results directory; returns the report's path. */
export async function writeReport(dir: string): Promise<string> {
  // Loaded on use: the report pulls in Vega, the largest part of start-up.
  const { buildReport } = await import('../report/build-report.js');
  const files = await buildReport(readResults(dir));
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
