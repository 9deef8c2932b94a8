import { REJECTION_KINDS, type ClassSummary, type RejectionKind, type RunMetrics } from './collector.js';
import type { Distribution } from './stats.js';

/** What a metric is read from: a point's result (the experiment's PointResult satisfies it). */
export interface MetricSource {
  completed: number;
  rejected: number;
  cost_per_hour: number;
  metrics: RunMetrics;
  summary: {
    rejections_by_kind?: Record<RejectionKind, number>;
    utilization_by_role?: Record<string, number>;
    classes?: Record<string, ClassSummary>;
  };
}

/** One metric every output reads: its name, unit, which way is better, and its names in the benchmarks. */
export interface MetricDef {
  name: string;
  unit: 'ms' | 'req/s' | 'tok/s' | 'share' | 'count' | '$/h';
  better: 'lower' | 'higher';
  /** Older names that still select it (`sim compare --metrics`). */
  aliases?: readonly string[];
  /** Key in vLLM benchmark_serving's result JSON, and in SGLang bench_serving's, when they report it. */
  vllm?: string;
  sglang?: string;
  /** One line for docs and help. */
  description: string;
  /** Short name for plot axes, legends and titles ("P99 TTFT", "SLO attainment"). */
  label: string;
  /** Plots: 'auto' draws a log axis when the values span more than a factor of 20; absent: linear. */
  log?: 'auto';
  /** A latency statistic: the distribution it reads and the statistic (for per-GPU or per-class reads). */
  of?: { field: LatencyField; stat: Stat };
  /** Null when the source does not have it (e.g. a result written before the metric existed). */
  get(r: MetricSource): number | null;
}

export const STATS = ['mean', 'median', 'std', 'p90', 'p95', 'p99'] as const;
export type Stat = (typeof STATS)[number];

/** One statistic of a distribution; the median of results that only stored it as p50. */
export function statOf(d: Distribution | undefined, stat: Stat): number | null {
  if (!d) return null;
  const v = stat === 'median' ? (d.median ?? d.p50) : d[stat];
  return v === undefined ? null : v;
}

type LatencyField = 'ttft_ms' | 'tpot_ms' | 'itl_ms' | 'e2e_ms' | 'queue_ms' | 'router_queue_ms' | 'instance_queue_ms' | 'tpat_ms';

/** One latency and its six statistics. */
export interface LatencyFamily {
  key: string;
  field: LatencyField;
  /** Short name for plots. */
  label: string;
  vllm?: string;
  sglang?: string;
  description: string;
}

export const LATENCIES: readonly LatencyFamily[] = [
  { key: 'ttft', field: 'ttft_ms', label: 'TTFT', vllm: 'ttft', sglang: 'ttft', description: 'time to first token, arrival to first output token' },
  { key: 'tpot', field: 'tpot_ms', label: 'TPOT', vllm: 'tpot', sglang: 'tpot', description: 'time per output token after the first, per request: (E2E - TTFT) / (output - 1)' },
  { key: 'itl', field: 'itl_ms', label: 'ITL', vllm: 'itl', sglang: 'itl', description: 'inter-token latency: every gap between consecutive tokens of every request, pooled' },
  { key: 'e2e', field: 'e2e_ms', label: 'E2E latency', vllm: 'e2el', sglang: 'e2e_latency', description: 'end-to-end latency, arrival to last token' },
  { key: 'queue', field: 'queue_ms', label: 'Queue time', description: 'queueing before the prompt is first scheduled: router queue + instance queue' },
  { key: 'router_queue', field: 'router_queue_ms', label: 'Router queue time', description: 'waiting in the router queue, arrival to dispatch' },
  { key: 'instance_queue', field: 'instance_queue_ms', label: 'Instance queue time', description: "waiting in the queue of the instance that computes the prompt" },
  { key: 'tpat', field: 'tpat_ms', label: 'Latency per token', description: 'time per all tokens, E2E / (prompt + output) (AIBrix)' },
];

/** The latency family of this key (ttft, tpot, ...). */
export function latencyFamily(key: string): LatencyFamily {
  const f = LATENCIES.find((x) => x.key === key);
  if (!f) throw new Error(`no latency ${key} in the metric catalog`);
  return f;
}

const STAT_LABELS: Record<Stat, string> = { mean: 'Mean', median: 'Median', std: 'Std of', p90: 'P90', p95: 'P95', p99: 'P99' };

const STAT_WORDS: Record<Stat, string> = { mean: 'mean', median: 'median', std: 'standard deviation', p90: '90th percentile', p95: '95th percentile', p99: '99th percentile' };

function latencyMetrics(f: LatencyFamily): MetricDef[] {
  return STATS.map((stat) => ({
    name: `${f.key}_${stat}_ms`,
    unit: 'ms' as const,
    // A spread is neither better nor worse; compare treats a wider one as worse.
    better: 'lower' as const,
    aliases: stat === 'median' ? [`${f.key}_p50_ms`] : undefined,
    vllm: f.vllm && `${stat}_${f.vllm}_ms`,
    sglang: f.sglang && (stat === 'p95' ? undefined : `${stat}_${f.sglang}_ms`),
    description: `${STAT_WORDS[stat]} of ${f.description}`,
    label: `${STAT_LABELS[stat]} ${f.label}`,
    log: 'auto' as const,
    of: { field: f.field, stat },
    get: (r: MetricSource) => statOf(r.metrics[f.field] as Distribution | undefined, stat),
  }));
}

const num = (x: number | null | undefined): number | null => (x === undefined ? null : x);

/** Every metric, in the order summary.csv lists them after its headline columns. */
export const METRICS: readonly MetricDef[] = [
  { name: 'completed', label: 'Completed requests', unit: 'count', better: 'higher', vllm: 'completed', sglang: 'completed', description: 'requests completed', get: (r) => r.completed },
  { name: 'rejected', label: 'Rejected requests', unit: 'count', better: 'lower', description: 'requests rejected, every reason', get: (r) => r.rejected },
  ...LATENCIES.flatMap(latencyMetrics),
  { name: 'throughput_rps', label: 'Throughput', unit: 'req/s', better: 'higher', vllm: 'request_throughput', sglang: 'request_throughput', description: 'completed requests per second of the run (first arrival to last completion)', get: (r) => r.metrics.throughput_rps },
  { name: 'input_tokens_per_s', label: 'Input token throughput', unit: 'tok/s', better: 'higher', sglang: 'input_throughput', description: 'prompt tokens of completed requests per second', get: (r) => num(r.metrics.input_tokens_per_s) },
  { name: 'output_tokens_per_s', label: 'Output token throughput', unit: 'tok/s', better: 'higher', vllm: 'output_throughput', sglang: 'output_throughput', description: 'output tokens of completed requests per second', get: (r) => r.metrics.output_tokens_per_s },
  { name: 'total_tokens_per_s', label: 'Total token throughput', unit: 'tok/s', better: 'higher', vllm: 'total_token_throughput', sglang: 'total_throughput', description: 'prompt + output tokens of completed requests per second', get: (r) => num(r.metrics.total_tokens_per_s) },
  { name: 'goodput_rps', label: 'Goodput', unit: 'req/s', better: 'higher', vllm: 'request_goodput', description: 'completed requests meeting every SLO target of their class, per second', get: (r) => r.metrics.goodput_rps },
  { name: 'slo_attainment', label: 'SLO attainment', unit: 'share', better: 'higher', description: 'share of requests (rejections count as misses) meeting every target of their class', get: (r) => r.metrics.slo_attainment },
  { name: 'slo_attainment_ttft', label: 'TTFT attainment', unit: 'share', better: 'higher', description: 'share of requests meeting the TTFT target', get: (r) => r.metrics.slo_attainment_ttft },
  { name: 'slo_attainment_tpot', label: 'TPOT attainment', unit: 'share', better: 'higher', description: 'share of requests meeting the TPOT target', get: (r) => r.metrics.slo_attainment_tpot },
  { name: 'slo_attainment_e2e', label: 'E2E attainment', unit: 'share', better: 'higher', description: 'share of requests meeting the E2E target', get: (r) => num(r.metrics.slo_attainment_e2e) },
  { name: 'slo_attainment_tpat', label: 'TPAT attainment', unit: 'share', better: 'higher', description: 'share of requests meeting the TPAT target', get: (r) => num(r.metrics.slo_attainment_tpat) },
  ...REJECTION_KINDS.map(
    (k): MetricDef => ({
      name: `rejected_${k.replace(/-/g, '_')}`,
      label: `Rejected (${k})`,
      unit: 'count',
      better: 'lower',
      description: `requests rejected as ${k}`,
      get: (r) => num(r.summary.rejections_by_kind?.[k]),
    }),
  ),
  ...(['unified', 'prefill', 'decode'] as const).map(
    (role): MetricDef => ({
      name: `utilization_${role}`,
      label: `Utilization (${role})`,
      unit: 'share',
      better: 'higher',
      description: `mean busy share of the ${role} instances over the run`,
      get: (r) => num(r.summary.utilization_by_role?.[role]),
    }),
  ),
  { name: 'prefix_cache_hit_rate', label: 'Prefix cache hit rate', unit: 'share', better: 'higher', description: 'prompt tokens found in a prefix cache, of all prompt tokens of completed requests', get: (r) => r.metrics.prefix_cache_hit_rate },
  { name: 'preemptions', label: 'Preemptions', unit: 'count', better: 'lower', description: 'preemptions of completed requests', get: (r) => r.metrics.preemptions },
  { name: 'cost_per_hour', label: 'Fleet cost', unit: '$/h', better: 'lower', description: 'catalog cost of the fleet per hour', get: (r) => r.cost_per_hour },
];

/** summary.csv's first columns, in their long-standing order (the median was called p50 there before). */
export const HEADLINE = [
  'completed',
  'rejected',
  'ttft_median_ms',
  'ttft_p99_ms',
  'tpot_median_ms',
  'tpot_p99_ms',
  'e2e_median_ms',
  'e2e_p99_ms',
  'throughput_rps',
  'output_tokens_per_s',
  'slo_attainment',
  'goodput_rps',
  'cost_per_hour',
];

/** The metric with this name or alias, or undefined. */
export function findMetric(name: string): MetricDef | undefined {
  return METRICS.find((m) => m.name === name || m.aliases?.includes(name));
}

/** summary.csv's metric columns: the headline ones, then every other metric in catalog order. */
export function csvMetrics(): MetricDef[] {
  const head = HEADLINE.map((n) => findMetric(n)!);
  return [...head, ...METRICS.filter((m) => !HEADLINE.includes(m.name))];
}

/** Per-class metrics of the classes named: completions and SLO attainment ("slo_attainment.<class>"). */
export function classMetrics(classes: readonly string[]): MetricDef[] {
  return classes.flatMap((c): MetricDef[] => [
    { name: `completed.${c}`, label: `Completed requests (${c})`, unit: 'count', better: 'higher', description: `requests of class ${c} completed`, get: (r) => num(r.summary.classes?.[c]?.completed) },
    { name: `slo_attainment.${c}`, label: `SLO attainment (${c})`, unit: 'share', better: 'higher', description: `SLO attainment of class ${c}`, get: (r) => num(r.summary.classes?.[c]?.slo_attainment) },
    { name: `ttft_p99_ms.${c}`, label: `P99 TTFT (${c})`, log: 'auto', of: { field: 'ttft_ms', stat: 'p99' }, unit: 'ms', better: 'lower', description: `99th percentile TTFT of class ${c}`, get: (r) => statOf(r.summary.classes?.[c]?.ttft_ms, 'p99') },
    { name: `tpot_p99_ms.${c}`, label: `P99 TPOT (${c})`, log: 'auto', of: { field: 'tpot_ms', stat: 'p99' }, unit: 'ms', better: 'lower', description: `99th percentile TPOT of class ${c}`, get: (r) => statOf(r.summary.classes?.[c]?.tpot_ms, 'p99') },
    { name: `itl_p99_ms.${c}`, label: `P99 ITL (${c})`, log: 'auto', of: { field: 'itl_ms', stat: 'p99' }, unit: 'ms', better: 'lower', description: `99th percentile ITL of class ${c} (its requests' gaps pooled)`, get: (r) => statOf(r.summary.classes?.[c]?.itl_ms, 'p99') },
  ]);
}

/** The metric with this name (or alias); throws when the catalog has none (a typo in the code). */
export function metric(name: string): MetricDef {
  const m = findMetric(name);
  if (!m) throw new Error(`no metric ${name} in the metric catalog`);
  return m;
}

/** How a unit reads on an axis: shares as percentages (values × `factor`), counts bare. */
export function unitAxis(unit: MetricDef['unit']): { text: string; factor: number } {
  switch (unit) {
    case 'share':
      return { text: '%', factor: 100 };
    case 'count':
      return { text: '', factor: 1 };
    case '$/h':
      return { text: '$/hour', factor: 1 };
    default:
      return { text: unit, factor: 1 };
  }
}

/** The parts of a disaggregated request's time to first token (summary.pd), in the order they happen. */
export const PD_PARTS = [
  { key: 'prefill_queue_ms', label: 'prefill queue', description: "waiting in the prefill instance's queue" },
  { key: 'prefill_compute_ms', label: 'prefill', description: 'first scheduling to the end of the prompt on the prefill instance' },
  { key: 'kv_wait_ms', label: 'KV wait', description: 'waiting for KV blocks on the decode instance' },
  { key: 'transfer_ms', label: 'transfer', description: 'moving the KV over the P->D link' },
  { key: 'decode_wait_ms', label: 'decode wait', description: "from the KV's arrival to a batch slot on the decode instance" },
] as const;
