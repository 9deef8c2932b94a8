import type { Sample } from '../llm-http/index.js';

/**
 * One scrape of an engine's /metrics, reduced to what routers read. vLLM (V1 names, and the V0
 * ones older routers read) and SGLang (python/sglang/srt/metrics/collector.py) are both
 * understood; series with several label sets (DP ranks, engines) are summed, usage fractions
 * averaged. NaN = the engine does not report it.
 */
export interface EngineSnapshot {
  running: number;
  waiting: number;
  kvUsage: number;
  /** Cumulative counters, for rates over the scrape window. */
  promptTokensTotal: number;
  generationTokensTotal: number;
  prefixQueriesTotal: number;
  prefixHitsTotal: number;
  /** A hit rate the engine reports itself (SGLang cache_hit_rate, vLLM V0 gpu_prefix_cache_hit_rate). */
  prefixHitRate: number;
  /** Histogram sums and counts (cumulative). */
  ttft: SumCount;
  tpot: SumCount;
  queueTime: SumCount;
  prefillTime: SumCount;
  decodeTime: SumCount;
  promptTokensPerReq: SumCount;
  generationTokensPerReq: SumCount;
  /** SGLang num_used_tokens (+ nothing for queued prompts: SGLang's /get_load adds them; the metric does not). */
  numTokens: number;
  /** KV capacity, tokens: vLLM cache_config_info num_gpu_blocks x block_size, SGLang max_total_num_tokens. */
  kvCapacityTokens: number;
  /** Batch limit when the server reports it (routesim:max_num_seqs). */
  maxNumSeqs: number;
}

export interface SumCount {
  sum: number;
  count: number;
}

const GAUGES: Record<string, keyof EngineSnapshot> = {
  'vllm:num_requests_running': 'running',
  'sglang:num_running_reqs': 'running',
  'vllm:num_requests_waiting': 'waiting',
  'sglang:num_queue_reqs': 'waiting',
  'vllm:prompt_tokens_total': 'promptTokensTotal',
  'sglang:prompt_tokens_total': 'promptTokensTotal',
  'vllm:generation_tokens_total': 'generationTokensTotal',
  'sglang:generation_tokens_total': 'generationTokensTotal',
  'vllm:prefix_cache_queries_total': 'prefixQueriesTotal',
  'vllm:prefix_cache_hits_total': 'prefixHitsTotal',
  'sglang:num_used_tokens': 'numTokens',
  'sglang:max_total_num_tokens': 'kvCapacityTokens',
  'routesim:max_num_seqs': 'maxNumSeqs',
};

/** Fractions: averaged over label sets. V1 name first; the V0 name counts only when V1 is absent. */
const FRACTIONS: Record<string, keyof EngineSnapshot> = {
  'vllm:kv_cache_usage_perc': 'kvUsage',
  'sglang:token_usage': 'kvUsage',
  'sglang:cache_hit_rate': 'prefixHitRate',
  'vllm:gpu_prefix_cache_hit_rate': 'prefixHitRate',
};

const HISTOGRAMS: Record<string, keyof EngineSnapshot> = {
  'vllm:time_to_first_token_seconds': 'ttft',
  'sglang:time_to_first_token_seconds': 'ttft',
  'vllm:time_per_output_token_seconds': 'tpot',
  'sglang:time_per_output_token_seconds': 'tpot',
  'vllm:request_queue_time_seconds': 'queueTime',
  'vllm:request_prefill_time_seconds': 'prefillTime',
  'vllm:request_decode_time_seconds': 'decodeTime',
  'vllm:request_prompt_tokens': 'promptTokensPerReq',
  'vllm:request_generation_tokens': 'generationTokensPerReq',
};

export function emptySnapshot(): EngineSnapshot {
  const sc = () => ({ sum: NaN, count: NaN });
  return {
    running: NaN,
    waiting: NaN,
    kvUsage: NaN,
    promptTokensTotal: NaN,
    generationTokensTotal: NaN,
    prefixQueriesTotal: NaN,
    prefixHitsTotal: NaN,
    prefixHitRate: NaN,
    ttft: sc(),
    tpot: sc(),
    queueTime: sc(),
    prefillTime: sc(),
    decodeTime: sc(),
    promptTokensPerReq: sc(),
    generationTokensPerReq: sc(),
    numTokens: NaN,
    kvCapacityTokens: NaN,
    maxNumSeqs: NaN,
  };
}

export function readEngineSnapshot(samples: readonly Sample[]): EngineSnapshot {
  const s = emptySnapshot() as unknown as Record<string, number | SumCount>;
  const add = (key: string, v: number) => {
    const cur = s[key] as number;
    s[key] = Number.isNaN(cur) ? v : cur + v;
  };
  const fractions = new Map<string, { sum: number; n: number }>();
  let v0KvUsage: { sum: number; n: number } | undefined;
  for (const x of samples) {
    const g = GAUGES[x.name];
    if (g) {
      add(g, x.value);
      continue;
    }
    const f = FRACTIONS[x.name];
    if (f) {
      const acc = fractions.get(f) ?? { sum: 0, n: 0 };
      acc.sum += x.value;
      acc.n++;
      fractions.set(f, acc);
      continue;
    }
    if (x.name === 'vllm:gpu_cache_usage_perc') {
      v0KvUsage ??= { sum: 0, n: 0 };
      v0KvUsage.sum += x.value;
      v0KvUsage.n++;
      continue;
    }
    if (x.name === 'vllm:cache_config_info') {
      const blocks = Number(x.labels.num_gpu_blocks);
      const size = Number(x.labels.block_size);
      if (Number.isFinite(blocks) && Number.isFinite(size)) add('kvCapacityTokens', blocks * size);
      continue;
    }
    const suffix = x.name.endsWith('_sum') ? '_sum' : x.name.endsWith('_count') ? '_count' : undefined;
    if (!suffix) continue;
    const h = HISTOGRAMS[x.name.slice(0, -suffix.length)];
    if (!h) continue;
    const sc = s[h] as SumCount;
    const field = suffix === '_sum' ? 'sum' : 'count';
    sc[field] = Number.isNaN(sc[field]) ? x.value : sc[field] + x.value;
  }
  for (const [k, acc] of fractions) s[k] = acc.sum / acc.n;
  if (Number.isNaN(s.kvUsage as number) && v0KvUsage) s.kvUsage = v0KvUsage.sum / v0KvUsage.n;
  return s as unknown as EngineSnapshot;
}
