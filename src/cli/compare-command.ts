import type { Command } from 'commander';
import { InputError } from '../input-error.js';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { action, EXIT_FAILED } from './errors.js';

interface CompareFlags {
  tolerance: string;
  metrics?: string[];
}

/**
 * `sim compare <baseline> <candidate>`: exit 0 when no metric is worse beyond the tolerance, 1
 * when one is, 2 when the directories cannot be compared. Either side may be one experiment's
 * directory or a root holding several (as `sim run --out` makes), matched by experiment name.
 */
export function registerCompare(program: Command): void {
  program
    .command('compare')
    .description('compare candidate results with a baseline; exit 1 when a metric is worse beyond the tolerance')
    .argument('<baseline>', 'results directory (results/<experiment>), a root of several, or a vLLM benchmark_serving / SGLang bench_serving result file')
    .argument('<candidate>', 'results directory of the same experiment(s)')
    .option('--tolerance <t>', 'allowed relative change in the worse direction, e.g. 2% or 0.02', '2%')
    .option('--metrics <names...>', 'metrics to check (comma or space separated; default: latency p50/p99, throughput, SLO attainment, goodput)')
    .action(
      action(async (baseline: string, candidate: string, flags: CompareFlags) => {
        // Loaded on use, as every command's own code: `sim run` should not pay for the others.
        const { findResultDirs, readResults } = await import('../experiment/results-dir.js');
        const { compareWithBenchmark, parseBenchmarkFile } = await import('../report/benchmark-format.js');
        const { compareResults, parseMetrics, parseTolerance } = await import('../report/compare.js');
        const { formatComparison } = await import('../report/compare-table.js');
        const tolerance = parseTolerance(flags.tolerance);
        const metrics = parseMetrics(flags.metrics);
        if (existsSync(baseline) && statSync(baseline).isFile()) {
          // A measured run (vLLM benchmark_serving or SGLang bench_serving) against a simulated one.
          const runs = parseBenchmarkFile(readFileSync(baseline, 'utf8'), baseline);
          const cand = findResultDirs(candidate);
          if (cand.size !== 1) throw new InputError(`${candidate} holds ${cand.size} experiments; give one experiment's results directory to hold against ${baseline}`);
          const cmp = compareWithBenchmark(runs, baseline, readResults([...cand.values()][0]), metrics, tolerance);
          process.stdout.write(formatComparison(cmp, tolerance) + '\n');
          return cmp.regressions > 0 ? EXIT_FAILED : 0;
        }
        const base = findResultDirs(baseline);
        const cand = findResultDirs(candidate);
        // One experiment on each side: compareResults says so if they are different ones.
        const single = base.size === 1 && cand.size === 1;
        const pairs = [...base].map(([name, dir]) => {
          if (single) return [dir, [...cand.values()][0]] as const;
          const other = cand.get(name);
          if (!other) throw new InputError(`${candidate} has no results of experiment "${name}" (it has: ${[...cand.keys()].join(', ') || 'none'})`);
          return [dir, other] as const;
        });
        let regressions = 0;
        const out: string[] = [];
        for (const [b, c] of pairs) {
          const cmp = compareResults(readResults(b), readResults(c), metrics, tolerance);
          regressions += cmp.regressions;
          out.push(formatComparison(cmp, tolerance), '');
        }
        process.stdout.write(out.join('\n'));
        return regressions > 0 ? EXIT_FAILED : 0;
      }),
    );
}
