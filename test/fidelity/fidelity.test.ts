import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { catalogModel, parseQuotedCsv, readRealRuns, runExperiment, runFidelity } from '../../src/fidelity/index.js';
import { loadModelCatalog } from '../../src/hardware/index.js';
import { lines, sim } from '../cli/harness.js';
import { cleanup, tempDir, write } from '../experiment/fixtures.js';

afterAll(cleanup);

const HEADER =
  'exp_id,model,gpu,tp,stage_rates_rps,stage_durations_s,output_tokens_fixed,system_prompt_tokens,question_tokens,max_num_seqs,max_num_batched_tokens,max_model_len,kv_block_size,gpu_memory_utilization,cpu_offload,output_len_mean_meas,ttft_mean_ms,ttft_p99_ms,tpot_mean_ms,e2e_mean_ms,s0_ttft_mean_ms,s1_ttft_mean_ms,notes';

/** Two tiny runs (2 then 4 req/s for 5 s each; 3 req/s for 4 s) and one whose model no catalog has. */
function fixture(): string {
  const dir = tempDir();
  return write(
    dir,
    'runs.csv',
    [
      HEADER,
      'a,meta-llama/Llama-2-7b-hf,H100,1,2;4,5;5,20,32,40,64,2048,4096,16,0.9,False,,30,60,8,200,25,35,"notes, with a comma and ""quotes"""',
      'b,Qwen/Qwen2.5-7B-Instruct,H100,1,3,4,20,32,40,64,2048,4096,16,0.9,True,15,30,60,8,200,,,',
      'c,nobody/Unknown-1B,H100,1,1,1,20,32,40,64,2048,4096,16,0.9,False,,30,60,8,200,,,',
    ].join('\n'),
  );
}

describe('sim fidelity', () => {
  it('parses quoted CSV fields', () => {
    const { header, rows } = parseQuotedCsv('a,b\n"x, y","say ""hi"""\n\n1,2\n', 'f.csv');
    expect(header).toEqual(['a', 'b']);
    expect(rows).toEqual([
      { line: 2, fields: ['x, y', 'say "hi"'] },
      { line: 4, fields: ['1', '2'] },
    ]);
  });

  it('maps Hugging Face ids to catalog names', () => {
    const catalog = loadModelCatalog();
    expect(catalogModel('meta-llama/Llama-2-7b-hf', catalog)).toBe('Llama-2-7B');
    expect(catalogModel('Qwen/Qwen2.5-7B-Instruct', catalog)).toBe('Qwen2.5-7B');
    expect(catalogModel('nobody/Unknown-1B', catalog)).toBeUndefined();
    // Release names: Meta- prefixes, -vX.Y, -Instruct-hf, dated tunes.
    expect(catalogModel('meta-llama/Meta-Llama-3.1-8B-Instruct', catalog)).toBe('Llama-3.1-8B');
    expect(catalogModel('mistralai/Mixtral-8x7B-Instruct-v0.1', catalog)).toBe('Mixtral-8x7B');
    expect(catalogModel('mistralai/Mistral-7B-Instruct-v0.3', catalog)).toBe('Mistral-7B');
    expect(catalogModel('codellama/CodeLlama-34b-Instruct-hf', catalog)).toBe('CodeLlama-34B');
    expect(catalogModel('Qwen/Qwen3-30B-A3B-Instruct-2507', catalog)).toBe('Qwen3-30B-A3B');
    expect(catalogModel('deepseek-ai/deepseek-coder-6.7b-base', catalog)).toBe('DeepSeek-Coder-6.7B');
    expect(catalogModel('deepseek-ai/DeepSeek-V3-0324', catalog)).toBe('DeepSeek-V3');
    // An FP8 checkpoint maps to an FP8 entry only, never to the 16-bit one.
    expect(catalogModel('RedHatAI/Llama-4-Scout-17B-16E-Instruct-FP8-dynamic', catalog)).toBe('Llama-4-Scout-17B-16E-FP8');
    expect(catalogModel('meta-llama/Llama-4-Scout-17B-16E-Instruct', catalog)).toBe('Llama-4-Scout-17B-16E');
    expect(catalogModel('neuralmagic/Meta-Llama-3.1-70B-Instruct-FP8', catalog)).toBe('Llama-3.1-70B-FP8');
    expect(catalogModel('RedHatAI/Mistral-7B-Instruct-v0.3-FP8', catalog)).toBeUndefined();
  });

  it('scores every run and stage against its measurements, with medians over runs', async () => {
    const runs = readRealRuns(fixture()).runs;
    const report = await runFidelity(runs, { seeds: [1, 2] });
    const [a, b, c] = report.runs;
    expect(c.skipped).toMatch(/not in the catalog/);
    expect(a.scopes.map((s) => s.scope)).toEqual(['all', 's0', 's1']);
    // floor(2 x 5) = 10 requests in stage 0, floor(4 x 5) = 20 in stage 1.
    expect(a.scopes.map((s) => s.requests)).toEqual([30, 10, 20]);
    expect(b.scopes.map((s) => s.requests)).toEqual([12]);
    for (const r of [a, b]) {
      for (const s of r.scopes) {
        for (const [m, e] of Object.entries(s.error)) {
          const k = m as keyof typeof s.measured;
          expect(e).toBeCloseTo((s.simulated[k]! - s.measured[k]!) / s.measured[k]!, 12);
        }
      }
    }
    // Only the measured metrics are scored (stage s1 of run a measured only TTFT mean).
    expect(Object.keys(a.scopes[2].error)).toEqual(['ttftMean']);
    // TPOT as the client computed it: with the client's mean output length (15) where it reports one.
    const sb = b.scopes[0].simulated;
    expect(sb.tpotMean).toBeCloseTo((sb.e2eMean! - sb.ttftMean!) / 14, 9);
    const sa = a.scopes[0].simulated;
    expect(sa.tpotMean).toBeCloseTo((sa.e2eMean! - sa.ttftMean!) / 19, 9);
    // Medians of two runs: the mean of their two errors; run b is a cpu_offload run.
    const e = [a, b].map((r) => r.scopes[0].error.ttftMean!);
    expect(report.medians.all.ape.ttftMean).toBeCloseTo((Math.abs(e[0]) + Math.abs(e[1])) / 2, 12);
    expect(report.medians.noOffload).toMatchObject({ runs: 1, signed: { ttftMean: e[0] } });
  });

  it('writes the experiment files it runs, and reads them back', async () => {
    const csv = fixture();
    const dir = join(tempDir(), 'exps');
    const w = await sim('fidelity', csv, '--write', '--experiments', dir);
    expect(w.code).toBe(0);
    expect(lines(w.stdout)).toEqual([`wrote ${join(dir, 'trainval-a.yaml')}`, `wrote ${join(dir, 'trainval-b.yaml')}`, 'skipped c: model nobody/Unknown-1B is not in the catalog and the run table has no architecture columns for it']);
    const yaml = readFileSync(join(dir, 'trainval-a.yaml'), 'utf8');
    expect(yaml).toMatch(/arrival: conditioned-poisson/);
    expect(yaml).not.toMatch(/ttft|e2e/i);
    const r = await sim('fidelity', csv, '--experiments', dir, '--seeds', '1', '--only', 'a');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^a +s1 /m);
    expect(r.stdout).toMatch(/median APE +all +1 runs/);
  });

  it('a run with data-parallel engines is that many instances behind a least-request router', async () => {
    const dir = tempDir();
    const csv = write(dir, 'dp.csv', `${HEADER},dp\n` + 'a,meta-llama/Llama-2-7b-hf,H100,1,4,5,20,32,40,64,2048,4096,16,0.9,False,,30,60,8,200,,,,2\n');
    const [run] = readRealRuns(csv).runs;
    expect(run.dp).toBe(2);
    const config = runExperiment(run, 'Llama-2-7B') as { fleet: { count?: number }[]; router?: { policy: string } };
    expect(config.fleet[0].count).toBe(2);
    expect(config.router).toEqual({ policy: 'least-request' });
    const single = runExperiment({ ...run, dp: 1 }, 'Llama-2-7B') as typeof config;
    expect(single.fleet[0].count).toBeUndefined();
    expect(single.router).toBeUndefined();
    // Prefix caching and chunked prefill as the table says, on when it does not.
    expect(run.engine).toMatchObject({ chunkedPrefill: true, prefixCaching: true });
    const off = write(dir, 'off.csv', `${HEADER},prefix_caching,chunked_prefill\n` + 'a,meta-llama/Llama-2-7b-hf,H100,1,4,5,20,32,40,64,2048,4096,16,0.9,False,,30,60,8,200,,,,off (--no-enable-prefix-caching),on\n');
    const [offRun] = readRealRuns(off).runs;
    expect((runExperiment(offRun, 'Llama-2-7B') as { fleet: { engine: object }[] }).fleet[0].engine).toMatchObject({ enablePrefixCaching: false, enableChunkedPrefill: true });
    // An SGLang run: its engine, the columns read as SGLang's flags, DP ranks inside one instance.
    const sg = write(dir, 'sg.csv', `${HEADER},dp,engine\n` + 'a,meta-llama/Llama-2-7b-hf,H100,1,4,5,20,32,40,64,2048,4096,16,0.9,False,,30,60,8,200,,,,2,SGLang v0.5\n');
    const sgConfig = runExperiment(readRealRuns(sg).runs[0], 'Llama-2-7B') as { fleet: { engine: object; dp?: number; count?: number }[]; router?: object };
    expect(sgConfig.fleet[0]).toMatchObject({ dp: 2, engine: { kind: 'sglang', maxRunningRequests: 64, chunkedPrefillSize: 2048, pageSize: 16, memFractionStatic: 0.9 } });
    expect(sgConfig.fleet[0].count).toBeUndefined();
    expect(sgConfig.router).toBeUndefined();
    const sgRun = (await runFidelity(readRealRuns(sg).runs, { seeds: [1] })).runs[0].scopes[0];
    expect(sgRun.requests).toBe(20);
    // The same row on vLLM: another engine, other figures.
    const vl = (await runFidelity([{ ...readRealRuns(sg).runs[0], engine: { ...readRealRuns(sg).runs[0].engine, kind: 'vllm' } }], { seeds: [1] })).runs[0].scopes[0];
    expect(sgRun.simulated.ttftMean).not.toBe(vl.simulated.ttftMean);
    // Two engines share the load: lower TTFT at the same rate than one.
    const two = await runFidelity([run], { seeds: [1] });
    const one = await runFidelity([{ ...run, dp: 1 }], { seeds: [1] });
    expect(two.runs[0].scopes[0].simulated.e2eMean!).toBeLessThan(one.runs[0].scopes[0].simulated.e2eMean!);
  });

  it('reads the prompt pool and arrival process the client used, inference-perf defaults where the table is silent', () => {
    const dir = tempDir();
    const row = 'a,meta-llama/Llama-2-7b-hf,H100,1,4,5,20,32,40,64,2048,4096,16,0.9,False,,30,60,8,200,,,';
    const csv = write(dir, 'p.csv', `${HEADER},prompt_pool,arrival_process\n${row},"20 groups x 5 prompts, drawn at random",Poisson (benchmark_serving --request-rate)\n${row.replace(/^a/, 'b')},"10 groups x 10 prompts (inference-perf defaults), cycled in fixed shuffled order","inference-perf ""constant"": iid exponential gaps rescaled to sum to dur"\n`);
    const [a, b] = readRealRuns(csv).runs;
    expect(a.pool).toEqual({ prefixes: 20, questions: 5, order: 'random' });
    expect(a.arrival).toBe('poisson');
    expect(b.pool).toEqual({ prefixes: 10, questions: 10, order: 'cyclic' });
    expect(b.arrival).toBe('conditioned-poisson');
    const config = runExperiment(a, 'Llama-2-7B') as { workload: { arrival: string; sources: { pool: object }[] } };
    expect(config.workload.arrival).toBe('poisson');
    expect(config.workload.sources[0].pool).toMatchObject({ prefixes: 20, questions: 5, order: 'random' });
    // The prompt grows by the run's measured excess over nominal (32 + 40 = 72 nominal), else by 30.
    const measured = readRealRuns(write(dir, 'm.csv', `${HEADER},prompt_len_mean_meas\n${row},97.6\n`)).runs[0];
    expect((runExperiment(measured, 'Llama-2-7B') as typeof config).workload.sources[0].pool).toMatchObject({ questionTokens: 40 + 26 });
    expect(config.workload.sources[0].pool).toMatchObject({ questionTokens: 40 + 30 });
    // Free text it cannot read gets the default and a note, printed under the table.
    const odd = readRealRuns(write(dir, 'o.csv', `${HEADER},prompt_pool,arrival_process,engine\n${row},1000 prompts,gamma cv 2,TGI 2.0\n`)).runs[0];
    expect(odd.pool).toEqual({ prefixes: 10, questions: 10, order: 'cyclic' });
    expect(odd.notes).toEqual([
      'prompt_pool "1000 prompts" names no sizes: 10 x 10 assumed',
      'arrival_process "gamma cv 2" not understood: inference-perf\'s conditioned Poisson arrivals assumed',
      'engine "TGI 2.0" is not modelled: timed as vLLM',
    ]);
    expect(readRealRuns(write(dir, 's.csv', `${HEADER},prompt_pool\n${row},10 system prefixes x 12 questions; random order\n`)).runs[0].pool).toEqual({ prefixes: 10, questions: 12, order: 'random' });
    const [plain] = readRealRuns(write(dir, 'q.csv', `${HEADER}\n${row}\n`)).runs;
    expect([plain.pool, plain.arrival]).toEqual([{ prefixes: 10, questions: 10, order: 'cyclic' }, 'conditioned-poisson']);
  });

  it('bad run tables fail with the file, line and column', async () => {
    const dir = tempDir();
    const bad = write(dir, 'bad.csv', `${HEADER}\na,m,H100,two,1,1,20,32,40,64,2048,4096,16,0.9,False,,30,60,8,200,,,\n`);
    const r = await sim('fidelity', bad);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`${bad}: line 2: tp: `));
    const mismatch = write(dir, 'm.csv', `${HEADER}\na,m,H100,1,1;2,1,20,32,40,64,2048,4096,16,0.9,False,,30,60,8,200,,,\n`);
    expect((await sim('fidelity', mismatch)).stderr).toMatch(/line 2: stage_rates_rps has 2 stages but stage_durations_s has 1/);
    const dp = write(dir, 'dp.csv', `${HEADER},dp\na,m,H100,1,1,1,20,32,40,64,2048,4096,16,0.9,False,,30,60,8,200,,,,100\n`);
    expect((await sim('fidelity', dp)).stderr).toMatch(new RegExp(`${dp}: line 2: dp: expected at most 64`));
  });

  it('sets aside a bad row with its reason and goes on with the rest; empty rows are not runs', async () => {
    const dir = tempDir();
    const good = 'ok,meta-llama/Llama-2-7b-hf,H100,1,2,3,20,32,40,64,2048,4096,16,0.9,False,,30,60,8,200,,,';
    const csv = write(
      dir,
      'mixed.csv',
      [HEADER, good, 'badtp,meta-llama/Llama-2-7b-hf,H100,,2,3,20,32,40,64,2048,4096,16,0.9,False,,30,60,8,200,,,', 'a/b,m,H100,1,2,3,20,32,40,64,2048,4096,16,0.9,False,,30,60,8,200,,,', ',,,,,,,,,,,,,,,,,,,,,,'].join('\n'),
    );
    const { runs, unread } = readRealRuns(csv);
    expect(runs.map((r) => r.id)).toEqual(['ok']);
    // Numbers are decimal and measured latencies are not negative.
    const odd = write(dir, 'odd.csv', [HEADER, good, good.replace('ok,', 'hex,').replace(',H100,1,', ',H100,0x2,'), good.replace('ok,', 'neg,').replace(',30,60,8,200,', ',-5,60,8,200,')].join('\n'));
    expect(readRealRuns(odd).unread.map((u) => u.reason)).toEqual(['tp: expected a number, got "0x2"', 'ttft_mean_ms: expected a non-negative number, got "-5"']);
    expect(unread).toEqual([
      { id: 'badtp', origin: `${csv} line 3`, reason: 'tp: empty' },
      { id: 'a/b', origin: `${csv} line 4`, reason: 'exp_id: may use letters, digits, dot, dash and underscore only' },
    ]);
    const r = await sim('fidelity', csv, '--seeds', '1', '--experiments', join(dir, 'exp'));
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^ok +all /m);
    expect(r.stdout).toContain(`skipped badtp: ${csv} line 3: tp: empty`);
    // --write names its files after ids: an id that could leave the directory never gets there.
    const w = await sim('fidelity', csv, '--write', '--experiments', join(dir, 'w'));
    expect(w.code).toBe(0);
    expect(w.stdout).toContain('skipped a/b:');
    expect(readFileSync(join(dir, 'w', 'trainval-ok.yaml'), 'utf8')).toMatch(/^model: Llama-2-7B$/m);
    // A table none of whose rows can be read is bad input; so is an id --only does not find.
    const none = write(dir, 'none.csv', `${HEADER}\n${good.replace('ok,', '../x,')}\n`);
    expect((await sim('fidelity', none)).stderr).toMatch(new RegExp(`${none}: line 2: exp_id: may use letters`));
    expect((await sim('fidelity', csv, '--only', 'nosuch')).stderr).toMatch(/--only: no run "nosuch" in the table/);
  });

  it('reads switches, offload and precision as tables spell them', () => {
    const dir = tempDir();
    const row = (id: string, offload: string) => `${id},meta-llama/Llama-3.1-8B-Instruct,H100,1,2,3,20,32,40,64,2048,4096,16,0.9,${offload},,30,60,8,200,,,`;
    const csv = write(
      dir,
      'spell.csv',
      [`${HEADER},chunked_prefill,prefix_caching,precision`, `${row('a', 'yes')},--no-enable-chunked-prefill,N,FP8`, `${row('b', '16')},on,none,bf16`, `${row('c', 'False')},,off,`, `${row('d', '0')},,on (V1 default),`].join('\n'),
    );
    const [a, b, c, d] = readRealRuns(csv).runs;
    expect([a.cpuOffload, b.cpuOffload, c.cpuOffload, d.cpuOffload]).toEqual([true, true, false, false]);
    expect([a.engine.chunkedPrefill, b.engine.chunkedPrefill, c.engine.chunkedPrefill]).toEqual([false, true, true]);
    expect([a.engine.prefixCaching, b.engine.prefixCaching, c.engine.prefixCaching, d.engine.prefixCaching]).toEqual([false, false, false, true]);
    // FP8 in the precision column picks the FP8 entry though the id does not say so.
    const catalog = loadModelCatalog();
    expect([a.fp8, b.fp8]).toEqual([true, false]);
    expect(catalogModel(a.model, catalog, a.fp8)).toBe('Llama-3.1-8B-FP8');
    expect(catalogModel(b.model, catalog, b.fp8)).toBe('Llama-3.1-8B');
  });

  it('simulates the row, not an experiment file of the same id written for another run', async () => {
    const dir = tempDir();
    const exps = join(dir, 'exp');
    const row = (model: string) => `x,${model},H100,1,2,3,20,32,40,64,2048,4096,16,0.9,False,,30,60,8,200,,,`;
    const first = write(dir, 'first.csv', `${HEADER}\n${row('meta-llama/Llama-2-7b-hf')}\n`);
    expect((await sim('fidelity', first, '--write', '--experiments', exps)).code).toBe(0);
    const same = await runFidelity(readRealRuns(first).runs, { seeds: [1], experimentsDir: exps });
    expect(same.runs[0].experiment).toBe(join(exps, 'trainval-x.yaml'));
    const other = write(dir, 'other.csv', `${HEADER}\n${row('Qwen/Qwen2.5-7B-Instruct')}\n`);
    const report = await runFidelity(readRealRuns(other).runs, { seeds: [1], experimentsDir: exps });
    expect(report.runs[0].experiment).toBe('(generated)');
    expect(report.runs[0].note).toContain('trainval-x.yaml is for model Llama-2-7B, the row for Qwen2.5-7B: generated from the row instead');
  });

  it('a run whose every request the engine rejects is skipped with the reason, not scored', async () => {
    const dir = tempDir();
    // 4,000-token questions against max_model_len 4096 with 200 output tokens.
    const csv = write(dir, 'long.csv', `${HEADER}\nL,meta-llama/Llama-2-7b-hf,H100,1,2,3,200,32,4000,64,8192,4096,16,0.9,False,,30,60,8,200,,,\n`);
    const report = await runFidelity(readRealRuns(csv).runs, { seeds: [1] });
    expect(report.runs[0].skipped).toMatch(/^every request was rejected \(.*exceeds max_model_len 4096\)$/);
    expect(report.medians.all.runs).toBe(0);
  });
});
