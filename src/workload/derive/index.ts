export { deriveWorkloads, formatDeriveReport, sampleStats } from './derive-workloads.js';
export type { DeriveOptions, DeriveReport, DeriveStatsRow } from './derive-workloads.js';
export { deriveShareGpt, SHAREGPT_FILE } from './sharegpt.js';
export { deriveBird, BIRD_FILE, BIRD_SCHEMA_TOKENS_LLAMA3, BIRD_HASH_BLOCK_TOKENS } from './bird.js';
export { definitionToYaml } from './definition-yaml.js';
export { sampleMooncakeTrace } from './sample-trace.js';
export { summarize, percentile, quantileValues, type SampleStats } from './sample-stats.js';
export { deriveShareGptAibrix, SHAREGPT_AIBRIX_FILES } from './sharegpt-aibrix.js';
export { deriveBirdAibrix, AIBRIX_BIRD_OUTPUT, AIBRIX_BIRD_PROMPT_TARGET } from './bird-aibrix.js';
