import { PrometheusWriter } from '../llm-http/index.js';
import type { LatencySums, ServedInstance } from './served-instance.js';

/**
 * The instance's state under vLLM's metric names (V1 engine, vllm/v1/metrics/loggers.py), so a
 * router that scrapes vLLM reads a served simulation unchanged. Histograms carry only the +Inf
 * bucket, _sum and _count (what routers read: means over a window).
 */
export function vllmMetricsText(s: ServedInstance, modelName: string): string {
  const inst = s.instance;
  const labels = { model_name: modelName };
  const w = new PrometheusWriter();
  w.family('vllm:num_requests_running', 'gauge', 'Number of requests in model execution batches.').sample('vllm:num_requests_running', labels, inst.running);
  w.family('vllm:num_requests_waiting', 'gauge', 'Number of requests waiting to be processed.').sample('vllm:num_requests_waiting', labels, inst.queued);
  w.family('vllm:kv_cache_usage_perc', 'gauge', 'KV-cache usage. 1 means 100 percent usage.').sample('vllm:kv_cache_usage_perc', labels, inst.kvUsage);
  // The V0 name, still read by older routers (AIBrix reads gpu_cache_usage_perc).
  w.family('vllm:gpu_cache_usage_perc', 'gauge', 'GPU KV-cache usage. 1 means 100 percent usage.').sample('vllm:gpu_cache_usage_perc', labels, inst.kvUsage);
  w.family('vllm:prefix_cache_queries_total', 'counter', 'Prefix cache queries, in tokens.').sample('vllm:prefix_cache_queries_total', labels, inst.kv.queriedTokens);
  w.family('vllm:prefix_cache_hits_total', 'counter', 'Prefix cache hits, in tokens.').sample('vllm:prefix_cache_hits_total', labels, inst.kv.hitTokens);
  w.family('vllm:num_preemptions_total', 'counter', 'Cumulative number of preemptions.').sample('vllm:num_preemptions_total', labels, inst.preemptions);
  w.family('vllm:prompt_tokens_total', 'counter', 'Number of prefill tokens processed.').sample('vllm:prompt_tokens_total', labels, inst.promptTokensComputed);
  w.family('vllm:generation_tokens_total', 'counter', 'Number of generation tokens processed.').sample('vllm:generation_tokens_total', labels, inst.tokensGenerated);
  w.family('vllm:request_success_total', 'counter', 'Count of successfully processed requests.').sample('vllm:request_success_total', { ...labels, finished_reason: 'length' }, s.requestsFinished);
  const hist = (name: string, help: string, h: LatencySums) => w.family(name, 'histogram', help).histogram(name, labels, [], [], h.sum, h.count);
  hist('vllm:time_to_first_token_seconds', 'Histogram of time to first token in seconds.', s.ttft);
  hist('vllm:time_per_output_token_seconds', 'Histogram of time per output token in seconds.', s.tpot);
  hist('vllm:e2e_request_latency_seconds', 'Histogram of e2e request latency in seconds.', s.e2e);
  hist('vllm:request_queue_time_seconds', 'Histogram of time spent in WAITING phase for request.', s.queueTime);
  hist('vllm:request_prefill_time_seconds', 'Histogram of time spent in PREFILL phase for request.', s.prefillTime);
  hist('vllm:request_decode_time_seconds', 'Histogram of time spent in DECODE phase for request.', s.decodeTime);
  hist('vllm:request_prompt_tokens', 'Number of prefill tokens processed.', s.promptTokens);
  hist('vllm:request_generation_tokens', 'Number of generation tokens processed.', s.generationTokens);
  const c = inst.config;
  w.family('vllm:cache_config_info', 'gauge', 'Information of the LLMEngine CacheConfig.').sample(
    'vllm:cache_config_info',
    {
      block_size: String(c.blockSize),
      num_gpu_blocks: String(inst.kv.totalBlocks),
      gpu_memory_utilization: String(c.gpuMemoryUtilization),
      enable_prefix_caching: String(c.enablePrefixCaching),
    },
    1,
  );
  // Not a vLLM metric: the batch limit, so a gateway can tell free batch slots (vLLM keeps max_num_seqs in its config only).
  w.family('routesim:max_num_seqs', 'gauge', 'Most sequences in the running batch (max_num_seqs).').sample('routesim:max_num_seqs', labels, c.maxNumSeqs);
  return w.text();
}
