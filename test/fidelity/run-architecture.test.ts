import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { inferModel, readRealRuns, runFidelity, runGpu, type RealRun, type RunArchitecture } from '../../src/fidelity/index.js';
import { kvCapacityTokens, loadGpuCatalog, loadModelCatalog } from '../../src/hardware/index.js';
import { lines, sim } from '../cli/harness.js';
import { cleanup, tempDir, write } from '../experiment/fixtures.js';

afterAll(cleanup);

function run(architecture: RunArchitecture): RealRun {
  return {
    id: 'x',
    origin: 'runs.csv line 2',
    place: { file: 'runs.csv', line: 'line 2' },
    notes: [],
    model: 'someone/Some-Model',
    gpu: 'H100',
    tp: 1,
    dp: 1,
    stages: [{ rate: 1, duration: 1 }],
    pool: { prefixes: 10, questions: 10, order: 'cyclic' },
    arrival: 'conditioned-poisson',
    systemPromptTokens: 10,
    questionTokens: 10,
    outputTokens: 10,
    engine: { maxNumSeqs: 8, maxNumBatchedTokens: 512, maxModelLen: 4096, blockSize: 16, gpuMemoryUtilization: 0.9, chunkedPrefill: true, prefixCaching: true },
    cpuOffload: false,
    fp8: false,
    architecture,
    measured: {},
    measuredStages: [{}],
  };
}

// Mistral-Nemo-12B's columns: 5120 / 32 = 160, but its heads are 128 wide.
const NEMO: RunArchitecture = { layers: 40, hidden: 5120, heads: 32, kvHeads: 8, ffn: 14336, vocab: 131072, paramsB: 12.2, fp8: false };

describe('models from a run table\'s architecture columns', () => {
  it('picks the head size and embeddings whose parameter count matches the published one', () => {
    const m = inferModel(run(NEMO))!;
    expect(m.fields).toMatchObject({ headDim: 128, tiedEmbeddings: false, dtypeBytes: 2, layers: 40, kvHeads: 8, maxModelLen: 4096 });
    // Per layer: attention 5120 x (4096 + 2 x 1024) + 4096 x 5120 = 52,428,800; MLP 3 x 5120 x
    // 14336 = 220,200,960; x 40 layers, + norms 40 x 2 x 5120 + 5120, + 2 x 131072 x 5120 embeddings.
    expect(m.params).toBe(40 * (52_428_800 + 220_200_960) + 414_720 + 1_342_177_280);
    // 160-wide heads (untied: 12.77B, 4.7% over) and 160 tied (12.10B, 0.8% under) lose to 128 untied (0.4%).
    expect(m.note).toMatch(/head size 128, untied embeddings: 12\.2B parameters against 12\.2B published/);
    expect(m.note).not.toMatch(/off the published count/);
  });

  it('says so when no candidate comes near the published count (a shape it does not know)', () => {
    // StarCoder2-7B's MLP has no gate: read as gated, its columns count far more than 7.17B.
    const m = inferModel(run({ layers: 32, hidden: 4608, heads: 36, kvHeads: 4, ffn: 18432, vocab: 49152, paramsB: 7.17, fp8: false }))!;
    expect(m.note).toMatch(/; \+\d+% off the published count: a shape this reading does not know/);
  });

  it('a published count rounded to the name does not outweigh the usual shape; head_dim and tie_word_embeddings columns decide', async () => {
    const dir = tempDir();
    const header = 'exp_id,model,gpu,tp,stage_rates_rps,stage_durations_s,output_tokens_fixed,system_prompt_tokens,question_tokens,max_num_seqs,max_num_batched_tokens,max_model_len,kv_block_size,gpu_memory_utilization,params_b,layers,hidden,n_heads,n_kv_heads,ffn,n_experts,experts_per_tok,vocab,head_dim,tie_word_embeddings';
    const csv = write(
      dir,
      'r.csv',
      [
        header,
        // Qwen2.5-7B is 7.6B untied; "7" is +-7%, so tied embeddings (7.1B) are no better a match.
        'q,x/Q7,H100,1,1,1,10,10,10,8,512,4096,16,0.9,7,28,3584,28,4,18944,,,152064,,',
        // The same count given to a tenth settles it: 7.6B untied.
        'r,x/Q7b,H100,1,1,1,10,10,10,8,512,4096,16,0.9,7.6000,28,3584,28,4,18944,0,0,152064,,',
        // Gemma-2-9B's count cannot tell 128 untied from 256 tied; its columns can.
        'g,x/G9,H100,1,1,1,10,10,10,8,512,4096,16,0.9,9.24,42,3584,16,8,14336,,,256000,256,true',
      ].join('\n'),
    );
    const [q, r, g] = readRealRuns(csv).runs;
    expect(inferModel(q)!.fields).toMatchObject({ headDim: 128, tiedEmbeddings: false });
    expect(inferModel(r)!.fields).toMatchObject({ headDim: 128, tiedEmbeddings: false });
    expect(r.architecture!.experts).toBeUndefined(); // n_experts 0: dense
    expect(inferModel(g)!.fields).toMatchObject({ headDim: 256, tiedEmbeddings: true });
    expect(q.architecture!.paramsPrecision).toBeCloseTo(0.5 / 7, 12);
    expect(r.architecture!.paramsPrecision).toBeCloseTo(0.05 / 7.6, 12);
  });

  it('without a published count, keeps hidden / heads and untied embeddings', () => {
    const m = inferModel(run({ ...NEMO, paramsB: undefined }))!;
    expect(m.fields).toMatchObject({ headDim: 160, tiedEmbeddings: false });
  });

  it('finds the shared expert of an MoE model from its parameter count', () => {
    // Hand count with one shared expert: per layer attention 64 x (64 + 64) + 64 x 64 = 12,288,
    // 4 routed experts and 1 shared of 3 x 64 x 32 = 6,144 each: 43,008; x 2 layers, + norms 320,
    // + embeddings 2 x 100 x 64 = 12,800, + routers 2 x 64 x 4 = 512: 99,648. Without it: 87,360.
    const moe: RunArchitecture = { layers: 2, hidden: 64, heads: 4, kvHeads: 2, ffn: 32, vocab: 100, experts: 4, expertsPerToken: 2, paramsB: 99_648e-9, fp8: true };
    const m = inferModel(run(moe))!;
    expect(m.params).toBe(99_648);
    expect(m.fields).toMatchObject({ headDim: 16, dtypeBytes: 1, kvDtypeBytes: 2, moe: { experts: 4, activeExperts: 2, expertIntermediateSize: 32, sharedExperts: 1 } });
  });

  it('sim fidelity times a model the catalog lacks from its columns, and skips runs it cannot time', async () => {
    const dir = tempDir();
    const csv = write(
      dir,
      'runs.csv',
      [
        'exp_id,model,gpu,tp,stage_rates_rps,stage_durations_s,output_tokens_fixed,system_prompt_tokens,question_tokens,max_num_seqs,max_num_batched_tokens,max_model_len,kv_block_size,gpu_memory_utilization,ttft_mean_ms,e2e_mean_ms,params_b,precision,layers,hidden,n_heads,n_kv_heads,ffn,n_experts,experts_per_tok,vocab',
        'd,nobody/Nemo-Like-12B,H100,1,2,4,20,32,40,64,2048,4096,16,0.9,30,200,12.2,FP16,40,5120,32,8,14336,,,131072',
        'e,nobody/Unknown-1B,H100,1,2,4,20,32,40,64,2048,4096,16,0.9,30,200,,,,,,,,,,',
        'f,meta-llama/Llama-2-7b-hf,B300,1,2,4,20,32,40,64,2048,4096,16,0.9,30,200,,,,,,,,,,',
        'g,meta-llama/Llama-3.1-70B-Instruct,A100,1,2,4,20,32,40,64,2048,4096,16,0.9,30,200,,,,,,,,,,',
        'h,nobody/Half-1B,H100,1,2,4,20,32,40,64,2048,4096,16,0.9,30,200,1,FP16,16,2048,,,8192,,,32000',
      ].join('\n'),
    );
    const report = await runFidelity(readRealRuns(csv).runs, { seeds: [1] });
    const [d, e, f, g, h] = report.runs;
    expect(d.scopes[0].requests).toBe(8);
    expect(d.note).toMatch(/nobody\/Nemo-Like-12B is not in the catalog: timed from the run's architecture columns \(head size 128/);
    expect(e.skipped).toMatch(/not in the catalog and the run table has no architecture columns/);
    expect(f.skipped).toMatch(/^GPU B300 is not in the catalog \(known: .*H100-SXM/);
    // A run that cannot stand up is one skipped row, not the end of the table.
    expect(g.skipped).toMatch(/^Llama-3.1-70B does not fit on 1x A100-80GB/);
    expect(report.medians.all.runs).toBe(1);
    expect(h.skipped).toBe('model nobody/Half-1B is not in the catalog and its architecture columns n_heads, n_kv_heads are empty');

    // --write leaves the inferred model in a catalog file next to the experiment, which reads it back.
    const exps = join(dir, 'exps');
    const w = await sim('fidelity', csv, '--write', '--experiments', exps, '--only', 'd');
    expect(w.code).toBe(0);
    expect(lines(w.stdout)[0]).toMatch(new RegExp(`^wrote ${join(exps, 'trainval-d.yaml')} \\(model nobody/Nemo-Like-12B`));
    expect(readFileSync(join(exps, 'trainval-d.yaml'), 'utf8')).toMatch(/catalogs:\n {2}models: trainval-d.models.yaml/);
    expect(readFileSync(join(exps, 'trainval-d.models.yaml'), 'utf8')).toMatch(/Nemo-Like-12B:\n(.*\n)* {4}headDim: 128\n/);
    const r = await sim('fidelity', csv, '--experiments', exps, '--seeds', '1', '--only', 'd');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^d +all +Nemo-Like-12B +[+-]\d/m);
    // Read back from the file, the same figures as generated.
    const again = await runFidelity(readRealRuns(csv).runs, { seeds: [1], experimentsDir: exps, only: ['d'] });
    expect(again.runs[0].scopes[0].simulated).toEqual(d.scopes[0].simulated);
    // The user's own experiment file is input like any other: a bad field stops the command.
    writeFileSync(join(exps, 'trainval-d.yaml'), readFileSync(join(exps, 'trainval-d.yaml'), 'utf8').replace('tp: 1', 'tpp: 1'));
    const bad = await sim('fidelity', csv, '--experiments', exps, '--seeds', '1', '--only', 'd');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(new RegExp(`^error: ${join(exps, 'trainval-d.yaml')}: fleet\\.0.*tpp`, 'm'));
  });

  it('picks the memory size of a GPU the table names by part from the KV blocks the engine reported', () => {
    const gpus = loadGpuCatalog();
    const llama = loadModelCatalog().get('Llama-2-7B');
    const a100 = { ...run(NEMO), gpu: 'A100' };
    const blocks = (gpu: string) => Math.round(kvCapacityTokens(gpus.get(gpu), llama, 1, 0.9, 512) / 16);
    // Llama-2-7B at 0.9: about 2,200 blocks on 40 GB, 6,600 on 80 GB.
    expect(blocks('A100-80GB')).toBeGreaterThan(2.5 * blocks('A100-40GB'));
    const forty = runGpu({ ...a100, measuredKvBlocks: blocks('A100-40GB') * 1.1 }, gpus, llama);
    expect(forty.gpu).toBe('A100-40GB');
    expect(forty.note).toMatch(/^A100 read as A100-40GB: the [\d,]+ KV tokens its engine reported fit A100-40GB \(simulated [\d,]+\), not A100-80GB/);
    expect(runGpu({ ...a100, measuredKvBlocks: blocks('A100-80GB') * 0.9 }, gpus, llama)).toEqual({ gpu: 'A100-80GB' });
    // Neither size within 15% (a model whose capacity the simulator misses, as Scout's +64%): the usual size.
    expect(runGpu({ ...a100, measuredKvBlocks: blocks('A100-40GB') * 1.6 }, gpus, llama)).toEqual({ gpu: 'A100-80GB' });
    // Without blocks, the usual size; a part the catalog has in one size stays as named.
    expect(runGpu(a100, gpus, llama)).toEqual({ gpu: 'A100-80GB' });
    expect(runGpu({ ...a100, gpu: 'H100', measuredKvBlocks: 10 }, gpus, llama)).toEqual({ gpu: 'H100-SXM' });
  });

  it('architecture columns that describe no model skip the run with the column; a table with nothing to simulate fails', async () => {
    const dir = tempDir();
    const csv = write(
      dir,
      'bad.csv',
      'exp_id,model,gpu,tp,stage_rates_rps,stage_durations_s,output_tokens_fixed,system_prompt_tokens,question_tokens,max_num_seqs,max_num_batched_tokens,max_model_len,kv_block_size,gpu_memory_utilization,layers,hidden,n_heads,n_kv_heads,ffn,vocab\n' +
        'd,nobody/X,H100,1,2,4,20,32,40,64,2048,4096,16,0.9,40,5120,32,6,14336,131072\n',
    );
    const r = await sim('fidelity', csv, '--experiments', join(dir, 'exp'));
    expect(r.stdout).toContain('skipped d: model nobody/X is not in the catalog and its architecture columns do not describe one (n_kv_heads: 6 does not divide n_heads 32)');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`${csv}: no run could be simulated`));
  });
});
