import type { PointFailure, PointRecord } from '../experiment/point-record.js';
import type { StoredResults } from '../experiment/results-dir.js';
import type { PointResult } from '../experiment/run-point.js';
import { choosePlots } from './choose-plots.js';
import { reportHtml } from './html-report.js';
import { renderSvg } from './render-svg.js';

/** The files of a report: report.html and one SVG per plot (under plots/). */
export interface ReportFiles {
  html: string;
  svgs: { name: string; svg: string }[];
}

/** Builds the report of a results directory from whatever points it holds. */
export async function buildReport(stored: StoredResults): Promise<ReportFiles> {
  const records = stored.records.filter((r): r is PointRecord => r !== undefined);
  const failed = (r: PointRecord): r is PointFailure => typeof (r as PointFailure).error === 'string';
  const results = records.filter((r): r is PointResult => !failed(r));
  const failures = records.filter(failed);
  const missing = stored.manifest.points.filter((_, i) => !stored.records[i]).map((p) => p.id);
  const figures: { plot: ReturnType<typeof choosePlots>[number]; svg: string }[] = [];
  for (const plot of choosePlots(results)) figures.push({ plot, svg: await renderSvg(plot.spec) });
  return {
    html: reportHtml({ manifest: stored.manifest, results, failures, missing, figures }),
    svgs: figures.map((f) => ({ name: f.plot.name, svg: f.svg })),
  };
}
