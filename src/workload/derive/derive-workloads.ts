import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomStream } from '../../engine/random.js';
import { DatasetSource } from '../dataset-source.js';
import type { WorkloadDefinition } from '../definition.js';
import { BIRD_FILE, deriveBird } from './bird.js';
import { BIRD_RICH_COLUMN, deriveBirdAibrix } from './bird-aibrix.js';
import { definitionToYaml } from './definition-yaml.js';
import { summarize, type SampleStats } from './sample-stats.js';
import { sampleMooncakeTrace } from './sample-trace.js';
import { deriveShareGpt } from './sharegpt.js';
import { deriveShareGptAibrix, SHAREGPT_AIBRIX_FILES } from './sharegpt-aibrix.js';

export interface DeriveOptions {
  /** The shared data directory (holding sharegpt_sarathi/ and bird_minidev/). */
  dataDir: string;
  /** Where to write sharegpt.yaml, bird.yaml and samples/ (the package's workloads/). */
  outDir: string;
  shareGptQuantiles?: number;
  birdQuantiles?: number;
  /** Requests drawn from each derived definition for the comparison stats. */
  checkSamples?: number;
}

export interface DeriveStatsRow {
  dataset: string;
  quantity: 'prompt' | 'output';
  source: SampleStats;
  derived: SampleStats;
}

export interface DeriveReport {
  files: string[];
  rows: DeriveStatsRow[];
  /** BIRD: range of the fixed template tokens (prompt − schema − question/evidence). */
  birdTemplateTokens: { min: number; max: number };
}

const HEADER = [
  'Derived from the shared data by `sim workload derive` (src/workload/derive/); regenerate, do not edit.',
  'Sampling: inverse CDF, linear interpolation between quantiles, rounded to an integer >= 1.',
];

/** Regenerates the shipped definitions and the sample trace; returns source vs derived stats. */
export function deriveWorkloads(opts: DeriveOptions): DeriveReport {
  const share = deriveShareGpt(opts.dataDir, opts.shareGptQuantiles);
  const bird = deriveBird(opts.dataDir, opts.birdQuantiles);
  // bird-aibrix needs the full-schema column; a data directory without it still derives the others.
  const birdAibrix = hasBirdRichColumn(opts.dataDir) ? deriveBirdAibrix(opts.dataDir, opts.birdQuantiles) : undefined;
  // AIBrix's ShareGPT sample is optional: a data directory without it still derives the others.
  const hasAibrix = SHAREGPT_AIBRIX_FILES.every((f) => existsSync(join(opts.dataDir, f)));
  const shareAibrix = hasAibrix ? deriveShareGptAibrix(opts.dataDir, opts.shareGptQuantiles) : undefined;
  mkdirSync(join(opts.outDir, 'samples'), { recursive: true });
  const files = [join(opts.outDir, 'sharegpt.yaml'), join(opts.outDir, 'bird.yaml')];
  writeFileSync(files[0], definitionToYaml(share.definition, HEADER));
  writeFileSync(files[1], definitionToYaml(bird.definition, HEADER));
  if (birdAibrix) {
    files.push(join(opts.outDir, 'bird-aibrix.yaml'));
    writeFileSync(files[files.length - 1], definitionToYaml(birdAibrix.definition, HEADER));
  }
  if (shareAibrix) {
    files.push(join(opts.outDir, 'sharegpt-aibrix.yaml'));
    writeFileSync(files[files.length - 1], definitionToYaml(shareAibrix.definition, HEADER));
  }
  const sample = join(opts.outDir, 'samples', 'mooncake-sample.jsonl');
  writeFileSync(sample, sampleMooncakeTrace());
  files.push(sample);
  const n = opts.checkSamples ?? 200_000;
  const shareDerived = sampleStats(share.definition, n);
  const birdDerived = sampleStats(bird.definition, n);
  const birdAibrixDerived = birdAibrix ? sampleStats(birdAibrix.definition, n) : undefined;
  const shareAibrixDerived = shareAibrix ? sampleStats(shareAibrix.definition, n) : undefined;
  return {
    files,
    rows: [
      { dataset: 'sharegpt', quantity: 'prompt', source: share.sourceStats.prompt, derived: shareDerived.prompt },
      { dataset: 'sharegpt', quantity: 'output', source: share.sourceStats.output, derived: shareDerived.output },
      { dataset: 'bird', quantity: 'prompt', source: bird.sourceStats.prompt, derived: birdDerived.prompt },
      { dataset: 'bird', quantity: 'output', source: bird.sourceStats.output, derived: birdDerived.output },
      ...(birdAibrix && birdAibrixDerived
        ? ([
            { dataset: 'bird-aibrix', quantity: 'prompt', source: birdAibrix.sourceStats.prompt, derived: birdAibrixDerived.prompt },
            { dataset: 'bird-aibrix', quantity: 'output', source: birdAibrix.sourceStats.output, derived: birdAibrixDerived.output },
          ] as DeriveStatsRow[])
        : []),
      ...(shareAibrix && shareAibrixDerived
        ? ([
            { dataset: 'sharegpt-aibrix', quantity: 'prompt', source: shareAibrix.sourceStats.prompt, derived: shareAibrixDerived.prompt },
            { dataset: 'sharegpt-aibrix', quantity: 'output', source: shareAibrix.sourceStats.output, derived: shareAibrixDerived.output },
          ] as DeriveStatsRow[])
        : []),
    ],
    birdTemplateTokens: bird.sourceStats.templateTokens,
  };
}

function hasBirdRichColumn(dataDir: string): boolean {
  const file = join(dataDir, BIRD_FILE);
  if (!existsSync(file)) return false;
  const header = readFileSync(file, 'utf8').split('\n', 1)[0];
  return header.split(',').map((c) => c.trim()).includes(BIRD_RICH_COLUMN);
}

/** Prompt and output stats of `n` requests drawn from a definition. */
export function sampleStats(def: WorkloadDefinition, n: number): { prompt: SampleStats; output: SampleStats } {
  const source = new DatasetSource(def, randomStream('derive', def.name), def.name);
  const prompt = new Float64Array(n);
  const output = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const r = source.next();
    prompt[i] = r.promptTokens;
    output[i] = r.outputTokens;
  }
  return { prompt: summarize(prompt), output: summarize(output) };
}

/** The report as a Markdown table (mean/p50/p90/p99/max, source vs derived). */
export function formatDeriveReport(report: DeriveReport): string {
  const f = (s: SampleStats) => [s.mean.toFixed(1), s.p50.toFixed(0), s.p90.toFixed(0), s.p99.toFixed(0), s.max.toFixed(0)];
  const lines = [
    '| dataset | tokens | | n | mean | p50 | p90 | p99 | max |',
    '|---|---|---|---|---|---|---|---|---|',
  ];
  for (const r of report.rows) {
    lines.push(`| ${r.dataset} | ${r.quantity} | source | ${r.source.n} | ${f(r.source).join(' | ')} |`);
    lines.push(`| ${r.dataset} | ${r.quantity} | derived | ${r.derived.n} | ${f(r.derived).join(' | ')} |`);
  }
  return lines.join('\n');
}
