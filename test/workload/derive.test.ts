import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  SHIPPED_WORKLOADS_DIR,
  deriveWorkloads,
  formatDeriveReport,
  loadDefinition,
  MooncakeTraceReader,
} from '../../src/workload/index.js';
import { drain, inputError, tempDir } from './fixtures.js';

const tmp = tempDir();

function fixtureData(): string {
  const data = join(tmp.dir, 'data');
  mkdirSync(join(data, 'sharegpt_sarathi'), { recursive: true });
  mkdirSync(join(data, 'bird_minidev'), { recursive: true });
  const share = ['num_prefill_tokens,num_decode_tokens,num_total_tokens,pd_ratio'];
  for (let i = 1; i <= 101; i++) share.push(`${i * 10},${i},${i * 11},10`);
  tmp.write('data/sharegpt_sarathi/sharegpt_8k_filtered_stats_llama2_tokenizer.csv', share.join('\n') + '\n');
  const bird = [
    'question_id,db_id,difficulty,prompt_tokens_llama3,sql_tokens_llama3,question_evidence_tokens_llama3',
    '1,toxicology,simple,340,40,50', // 197 schema + 50 + 93 template
    '2,toxicology,simple,360,60,70',
    '3,formula_1,moderate,1241,80,50',
    '4,superhero,simple,612,20,60',
  ];
  tmp.write('data/bird_minidev/bird_minidev_token_lengths.csv', bird.join('\n') + '\n');
  return data;
}

describe('deriveWorkloads', () => {
  it('derives valid definitions and a sample trace from the source CSVs', () => {
    const out = join(tmp.dir, 'out');
    const report = deriveWorkloads({ dataDir: fixtureData(), outDir: out, shareGptQuantiles: 11, birdQuantiles: 3, checkSamples: 1000 });
    const share = loadDefinition(join(out, 'sharegpt.yaml'));
    expect(share.promptTokens!.quantiles).toEqual([10, 110, 210, 310, 410, 510, 610, 710, 810, 910, 1010]);
    expect(share.outputTokens.quantiles).toEqual([1, 11, 21, 31, 41, 51, 61, 71, 81, 91, 101]);
    const bird = loadDefinition(join(out, 'bird.yaml'));
    expect(bird.suffixTokens!.quantiles).toEqual([143, 148, 163]); // prompt − schema: 143, 163, 143, 153 → median 148
    expect(bird.outputTokens.quantiles).toEqual([20, 50, 80]);
    expect(bird.prefixes!.groups).toEqual([
      { name: 'formula_1', tokens: 1098, weight: 0.25 },
      { name: 'superhero', tokens: 459, weight: 0.25 },
      { name: 'toxicology', tokens: 197, weight: 0.5 },
    ]);
    expect(report.birdTemplateTokens).toEqual({ min: 93, max: 93 });
    expect(report.rows.find((r) => r.dataset === 'sharegpt' && r.quantity === 'prompt')!.source.mean).toBe(510);
    expect(formatDeriveReport(report)).toMatch(/\| sharegpt \| prompt \| source \| 101 \| 510.0 \|/);
    const sample = drain(new MooncakeTraceReader(join(out, 'samples', 'mooncake-sample.jsonl')));
    expect(sample).toHaveLength(50);
  });

  it('names a bad input file and line', () => {
    const data = fixtureData();
    tmp.write('data/bird_minidev/bird_minidev_token_lengths.csv', 'db_id,prompt_tokens_llama3,sql_tokens_llama3,question_evidence_tokens_llama3\nmars,1,2,3\n');
    expect(inputError(() => deriveWorkloads({ dataDir: data, outDir: join(tmp.dir, 'o2') }))).toMatchObject({
      where: 'line 2',
      message: expect.stringMatching(/unknown BIRD database "mars"/),
    });
  });

  // Reproducibility of the shipped files, where the shared data is present.
  const shared = resolve(fileURLToPath(new URL('../../', import.meta.url)), '../shared/data');
  it.skipIf(!existsSync(join(shared, 'bird_minidev')))('regenerates the shipped files byte for byte', () => {
    const out = join(tmp.dir, 'regen');
    deriveWorkloads({ dataDir: shared, outDir: out, checkSamples: 10 });
    for (const f of ['sharegpt.yaml', 'bird.yaml', 'samples/mooncake-sample.jsonl']) {
      expect(readFileSync(join(out, f), 'utf8')).toBe(readFileSync(join(SHIPPED_WORKLOADS_DIR, f), 'utf8'));
    }
  });
});

describe('deriveBirdAibrix', () => {
  it("keeps the questions AIBrix's generator would pick (full-schema prompt in 4096 +- 50 %), SQL within 32-64", async () => {
    const { deriveBirdAibrix } = await import('../../src/workload/index.js');
    const data = join(tmp.dir, 'rich');
    mkdirSync(join(data, 'bird_minidev'), { recursive: true });
    const rows = [
      'db_id,prompt_tokens_llama3,prompt_rich_tokens_llama3,sql_tokens_llama3',
      // formula_1: DDL 1098; suffix = prompt - 1098; full schema = rich - suffix = 4000
      'formula_1,1198,4100,40', // suffix 100, kept, SQL kept
      'formula_1,1298,4200,70', // suffix 200, kept, SQL 70 outside 32-64
      'toxicology,297,1100,50', // rich 1100 < 2048: dropped
      'card_games,1148,6144,33', // DDL 1048, suffix 100, rich at the window's edge: kept
    ];
    writeFileSync(join(data, 'bird_minidev', 'bird_minidev_token_lengths.csv'), rows.join('\n') + '\n');
    const d = deriveBirdAibrix(data, 3).definition;
    expect(d.prefixes!.groups).toEqual([
      { name: 'card_games', tokens: 6044, weight: 1 / 3 },
      { name: 'formula_1', tokens: 4000, weight: 2 / 3 },
    ]);
    expect(d.suffixTokens!.quantiles).toEqual([100, 100, 200]);
    expect(d.outputTokens.quantiles).toEqual([33, 36.5, 40]);
  });
});
