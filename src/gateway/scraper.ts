import { request, type Agent } from 'node:http';
import { parsePrometheusText } from '../llm-http/index.js';
import { readEngineSnapshot, type EngineSnapshot } from './engine-snapshot.js';
import { SIGNALS, type LiveEndpoint, type Signal } from './live-endpoint.js';
import { staleSocket } from './upstream.js';

/** Refresh interval per signal, seconds; 0 = scrape before every routing decision. */
export type RefreshIntervals = Record<Signal, number>;

export interface ScraperOptions {
  endpoints: readonly LiveEndpoint[];
  intervals: RefreshIntervals;
  /** Gateway time, seconds. */
  now(): number;
  agent: Agent;
  timeoutMs: number;
  /** After each refresh (pull mode re-offers its queue: capacity may have changed). */
  onRefresh(): void;
  /** A scrape failed (the endpoint is marked unhealthy) or succeeded again (healthy). */
  onHealth(endpoint: LiveEndpoint, healthy: boolean, reason: string): void;
}

/**
 * Scrapes every endpoint's /metrics on each signal group's interval and copies the signals of
 * that group into the endpoint views, the live counterpart of the simulation's metric refresher.
 * Concurrent requests for the same endpoint share one scrape.
 */
export class Scraper {
  private readonly groups: { interval: number; signals: Signal[] }[] = [];
  /** The interval timer of each signal group. */
  private readonly timers = new Map<number, NodeJS.Timeout>();
  private readonly inflight = new Map<LiveEndpoint, Promise<EngineSnapshot | undefined>>();
  private stopped = false;

  constructor(private readonly opts: ScraperOptions) {
    const byInterval = new Map<number, Signal[]>();
    for (const s of SIGNALS) byInterval.set(opts.intervals[s], [...(byInterval.get(opts.intervals[s]) ?? []), s]);
    for (const [interval, signals] of [...byInterval].sort((a, b) => a[0] - b[0])) this.groups.push({ interval, signals });
  }

  /** Signals scraped before every decision (interval 0). */
  get liveSignals(): Signal[] {
    return this.groups.find((g) => g.interval === 0)?.signals ?? [];
  }

  /** One refresh of every signal, then the timers. Resolves once the first scrape is in. */
  async start(): Promise<void> {
    await this.refresh(SIGNALS);
    // A fixed cadence, as the simulation's refresher ticks; a scrape still under way when the
    // next tick comes is shared, not repeated.
    for (const g of this.groups) {
      if (g.interval === 0) continue;
      this.timers.set(g.interval, setInterval(() => void this.refresh(g.signals), g.interval * 1000));
    }
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers.values()) clearInterval(t);
  }

  /** Scrapes every endpoint and applies `signals`. */
  async refresh(signals: readonly Signal[]): Promise<void> {
    await Promise.all(
      this.opts.endpoints.map(async (e) => {
        const snap = await this.scrape(e);
        if (snap && !this.stopped) e.apply(snap, signals, this.opts.now());
      }),
    );
    if (!this.stopped) this.opts.onRefresh();
  }

  private scrape(e: LiveEndpoint): Promise<EngineSnapshot | undefined> {
    let p = this.inflight.get(e);
    if (!p) {
      p = fetchText(`${e.spec.url}/metrics`, this.opts.agent, this.opts.timeoutMs).then(
        (text) => {
          e.scrapes++;
          if (!e.healthy) this.opts.onHealth(e, true, 'metrics scrape succeeded');
          return readEngineSnapshot(parsePrometheusText(text));
        },
        (err: Error) => {
          e.scrapeErrors++;
          if (e.healthy) this.opts.onHealth(e, false, `metrics scrape failed: ${err.message}`);
          return undefined;
        },
      );
      p.finally(() => this.inflight.delete(e));
      this.inflight.set(e, p);
    }
    return p;
  }
}

function fetchText(url: string, agent: Agent, timeoutMs: number, retry = true): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent, timeout: timeoutMs }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => (res.statusCode === 200 ? resolve(text) : reject(new Error(`HTTP ${res.statusCode}`))));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    // A kept-alive socket the server had just closed: ask once more on a fresh one.
    req.on('error', (err) => (retry && staleSocket(req, err) ? fetchText(url, agent, timeoutMs, false).then(resolve, reject) : reject(err)));
    req.end();
  });
}
