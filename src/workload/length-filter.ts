/**
 * Which requests a source keeps (a dataset source draws again, a trace skips the record).
 * Benchmark clients sample ShareGPT this way, dropping a conversation outside the bounds and
 * taking another (vLLM's benchmark_serving.py and SGLang's early bench_throughput.py: prompt or
 * output under 4 tokens, prompt over 1024, prompt + output over 2048), where a cap would cut it
 * and keep its weight in the distribution.
 */
export interface LengthFilter {
  minPromptTokens?: number;
  minOutputTokens?: number;
  maxPromptTokens?: number;
  maxTotalTokens?: number;
}

/** Whether a request of these lengths passes the filter. */
export function keepsLengths(f: LengthFilter, prompt: number, output: number): boolean {
  return (
    prompt >= (f.minPromptTokens ?? 0) &&
    output >= (f.minOutputTokens ?? 0) &&
    prompt <= (f.maxPromptTokens ?? Infinity) &&
    prompt + output <= (f.maxTotalTokens ?? Infinity)
  );
}
