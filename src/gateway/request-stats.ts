import type { WriteStream } from 'node:fs';
import { PrometheusWriter } from '../llm-http/index.js';
import { openLogStream } from './log-stream.js';

/** One request as the gateway saw it (times in seconds on the gateway clock). */
export interface RequestRecord {
  id: number;
  endpoint: string;
  prefill?: string;
  status: number;
  stream: boolean;
  promptTokens: number;
  outputTokens: number;
  arrival: number;
  /** Arrival to first output token (streamed), or to the whole answer (not streamed). NaN if none. */
  ttft: number;
  e2e: number;
  /** Mean and largest gap between streamed tokens, seconds (NaN with fewer than 2 tokens). */
  itlMean: number;
  itlMax: number;
  retries: number;
  error?: string;
}

/** Upper bounds of the latency histograms, seconds. */
const BOUNDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

class Histogram {
  readonly counts = new Array<number>(BOUNDS.length).fill(0);
  sum = 0;
  count = 0;
  observe(v: number): void {
    if (!Number.isFinite(v)) return;
    const i = BOUNDS.findIndex((b) => v <= b);
    if (i >= 0) this.counts[i]++;
    this.sum += v;
    this.count++;
  }
}

export interface SloTargets {
  ttftS?: number;
  tpotS?: number;
  e2eS?: number;
}

/** Per-request records and their running aggregates, for /metrics and the request log. */
export class RequestStats {
  readonly ttft = new Histogram();
  readonly itl = new Histogram();
  readonly e2e = new Histogram();
  readonly byStatus = new Map<number, number>();
  sloJudged = 0;
  sloMet = 0;
  /** The most recent records (at least `keep`, fewer than twice that), for inspection. */
  readonly recent: RequestRecord[] = [];
  private log: WriteStream | undefined;

  constructor(
    private readonly slo: SloTargets | undefined,
    private readonly keep = 10_000,
  ) {}

  /** Appends every record from now on to `file`, one JSON line each. */
  openLog(file: string, onError: (message: string) => void): void {
    this.log = openLogStream(file, 'a', 'request log', onError);
  }

  record(r: RequestRecord, itls: readonly number[]): void {
    this.byStatus.set(r.status, (this.byStatus.get(r.status) ?? 0) + 1);
    if (r.status === 200) {
      this.ttft.observe(r.ttft);
      this.e2e.observe(r.e2e);
      for (const g of itls) this.itl.observe(g);
      if (this.slo) {
        this.sloJudged++;
        const tpot = r.outputTokens > 1 ? (r.e2e - r.ttft) / (r.outputTokens - 1) : 0;
        const ok = (this.slo.ttftS === undefined || r.ttft <= this.slo.ttftS) && (this.slo.tpotS === undefined || tpot <= this.slo.tpotS) && (this.slo.e2eS === undefined || r.e2e <= this.slo.e2eS);
        if (ok) this.sloMet++;
      }
    }
    this.recent.push(r);
    // Trimmed in batches, so keeping the window costs O(1) per request.
    if (this.recent.length >= 2 * this.keep) this.recent.splice(0, this.recent.length - this.keep);
    this.log?.write(JSON.stringify(r) + '\n');
  }

  write(w: PrometheusWriter): void {
    w.family('routesim_gateway_requests_total', 'counter', 'Requests answered, by HTTP status.');
    for (const [status, n] of [...this.byStatus].sort((a, b) => a[0] - b[0])) w.sample('routesim_gateway_requests_total', { code: String(status) }, n);
    const hist = (name: string, help: string, h: Histogram) => w.family(name, 'histogram', help).histogram(name, {}, BOUNDS, h.counts, h.sum, h.count);
    hist('routesim_gateway_ttft_seconds', 'Arrival at the gateway to the first streamed token.', this.ttft);
    hist('routesim_gateway_itl_seconds', 'Gaps between streamed tokens.', this.itl);
    hist('routesim_gateway_e2e_seconds', 'Arrival at the gateway to the last byte.', this.e2e);
    if (this.slo) {
      w.family('routesim_gateway_slo_judged_total', 'counter', 'Successful requests judged against the SLO.').sample('routesim_gateway_slo_judged_total', {}, this.sloJudged);
      w.family('routesim_gateway_slo_met_total', 'counter', 'Successful requests that met every SLO target.').sample('routesim_gateway_slo_met_total', {}, this.sloMet);
    }
  }

  close(): Promise<void> {
    return new Promise((resolve) => (this.log ? this.log.end(resolve) : resolve()));
  }
}
