export { MetricsCollector, pdTimes, type CompletedRequest, type PdTimes, type InstanceInfo, type RunSummary, type RunMetrics, type ClassSummary, REJECTION_KINDS, type RejectionKind } from './collector.js';
export { summarize, emptyDistribution, meanOf, stdOf, percentile, quantile, sortedFinite, describeSorted, quantileGrid, type Distribution } from './stats.js';
export { meetsSlo, hasTargets, type SloSpec, type SloTargets } from './slo.js';
export { Column } from './column.js';
export { blankOutcome, resetOutcome, queueTime, ttft, tpot, e2e, type RequestOutcome } from './outcome.js';
export { GapPool, weightedDistribution } from './gap-pool.js';
export { ClassGaps } from './class-gaps.js';
export { METRICS, HEADLINE, STATS, LATENCIES, PD_PARTS, findMetric, metric, latencyFamily, unitAxis, csvMetrics, classMetrics, statOf, type LatencyFamily, type MetricDef, type MetricSource, type Stat } from './catalog.js';
