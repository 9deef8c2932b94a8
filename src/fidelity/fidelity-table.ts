import { formatTable } from '../report/table.js';
import { METRICS, type FidelityReport, type MedianRow, type Metric } from './fidelity.js';

const LABELS: Record<Metric, string> = {
  ttftMean: 'TTFT mean',
  ttftP90: 'TTFT p90',
  ttftP99: 'TTFT p99',
  tpotMean: 'TPOT mean',
  e2eMean: 'E2E mean',
  e2eP90: 'E2E p90',
  e2eP99: 'E2E p99',
};

const pct = (v: number | undefined, signed: boolean) =>
  v === undefined ? '' : `${signed && v > 0 ? '+' : ''}${(v * 100).toFixed(1)}%`;

/** The terminal report: signed error per run and scope (APE is its magnitude), then the medians. */
export function formatFidelity(report: FidelityReport): string {
  const header = ['run', 'scope', 'model', ...METRICS.map((m) => LABELS[m])];
  const rows: string[][] = [];
  for (const r of report.runs) {
    if (r.skipped) continue;
    const model = r.model.split('/').pop()! + (r.cpuOffload ? ' *' : '');
    for (const s of r.scopes) rows.push([r.id, s.scope, model, ...METRICS.map((m) => pct(s.error[m], true))]);
  }
  const medianRows = (label: string, m: MedianRow) => [
    [`median APE`, label, `${m.runs} runs`, ...METRICS.map((k) => pct(m.ape[k], false))],
    [`median signed`, label, '', ...METRICS.map((k) => pct(m.signed[k], true))],
  ];
  rows.push(...medianRows('all', report.medians.all), ...medianRows('no offload', report.medians.noOffload));
  const columns = header.map((h, i) => ({ header: h, value: (row: string[]) => row[i] }));
  return [
    `Signed error of the simulated client-side latency against the measured, ${report.seeds.length} seed(s) (${report.seeds.join(', ')}) averaged; * = cpu_offload run (lower confidence).`,
    formatTable(rows, columns),
    ...remarks(report),
  ].join('\n');
}

/** The whole-run rows and the medians as a Markdown table (signed error per metric), for docs. */
export function formatFidelityMarkdown(report: FidelityReport): string {
  const header = ['run', 'model', 'TP', ...METRICS.map((m) => LABELS[m])];
  const out = [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`];
  for (const r of report.runs) {
    if (r.skipped) continue;
    const model = r.model.split('/').pop()! + (r.cpuOffload ? ' *' : '');
    out.push(`| ${r.id} | ${model} | ${r.tp ?? ''} | ${METRICS.map((m) => pct(r.scopes[0].error[m], true)).join(' | ')} |`);
  }
  const m = report.medians;
  out.push(`| **median APE** (${m.all.runs} runs) | | | ${METRICS.map((k) => `**${pct(m.all.ape[k], false)}**`).join(' | ')} |`);
  out.push(`| median signed | | | ${METRICS.map((k) => pct(m.all.signed[k], true)).join(' | ')} |`);
  out.push(`| median APE, no cpu_offload (${m.noOffload.runs} runs) | | | ${METRICS.map((k) => pct(m.noOffload.ape[k], false)).join(' | ')} |`);
  const below = remarks(report);
  return [...out, ...(below.length > 0 ? ['', ...below.map((line) => `- ${line}`)] : [])].join('\n');
}

/** The lines under a table: skipped runs with their reasons, then each note with the runs it applies to. */
function remarks(report: FidelityReport): string[] {
  const skipped: string[] = [];
  const notes = new Map<string, string[]>();
  for (const r of report.runs) {
    if (r.skipped) skipped.push(`skipped ${r.id}: ${r.skipped}`);
    else if (r.note) notes.set(r.note, [...(notes.get(r.note) ?? []), r.id]);
  }
  return [...skipped, ...[...notes].map(([note, ids]) => `note ${ids.join(', ')}: ${note}`)];
}
