/**
 * The file names (without .svg) of every plot the report can draw under plots/. The results
 * store deletes only these on a rerun: other files a user keeps there are theirs.
 */
export const PLOT_NAMES = [
  'attainment-vs-rate',
  'attainment',
  'attainment-per-class',
  'ttft-cdf',
  'tpot-cdf',
  'tpat-cdf',
  'ttft-over-time',
  'tpot-p99-per-gpu',
  'served-per-gpu',
  'pd-breakdown',
  'xpyd-heatmap',
  'cost-vs-attainment',
] as const;

export type PlotName = (typeof PLOT_NAMES)[number];
