import { Agent, request } from 'node:http';
import type { ExperimentConfig } from '../experiment/schema.js';
import { CompletionStreamReader } from '../llm-http/index.js';
import { MetricsCollector, type RunSummary, type SloSpec } from '../metrics/index.js';
import type { RequestSpec, RequestStream } from '../workload/index.js';

export interface LoadOptions {
  /** Base URL of an OpenAI-compatible server or gateway (loopback). */
  url: string;
  model: string;
  stream: RequestStream;
  classes: readonly string[];
  slo: SloSpec;
  /** Stop after this many requests (default: the whole workload). */
  maxRequests?: number;
  /** Wall clock, seconds (injected at this edge). Default performance.now. */
  now?: () => number;
}

export interface LoadResult {
  summary: RunSummary;
  sent: number;
  /** Requests that did not complete, by reason (HTTP status or error). */
  failures: Map<string, number>;
}

/** Vocabulary the synthetic token ids are drawn from (below every common tokenizer's size). */
const VOCAB = 30_000;

/**
 * A prompt of `promptTokens` token ids whose blocks are equal exactly where the workload says the
 * prompts share a prefix (equal prefix hash at equal position), so a server's or router's prefix
 * cache sees the sharing the workload describes. Blocks after the shared prefix are unique.
 */
export function syntheticPrompt(req: RequestSpec): number[] {
  const ids = new Array<number>(req.promptTokens);
  const b = req.hashBlockTokens;
  for (let i = 0; i < ids.length; i++) {
    const j = Math.floor(i / b);
    const seed = j < req.prefixHashes.length ? req.prefixHashes[j] : req.id * 1_000_003 + j + 0x9e3779b9;
    ids[i] = 1 + (Math.imul((seed ^ (i % b)) >>> 0, 2654435761) >>> 0) % VOCAB;
  }
  return ids;
}

/**
 * `sim load`: sends a workload to an HTTP endpoint in real time (each request at its arrival
 * time, streamed, exactly its output length via ignore_eos), measures each request at the
 * client, and summarizes them with the same metrics as `sim run`.
 */
export async function runLoad(opts: LoadOptions): Promise<LoadResult> {
  const wall = opts.now ?? (() => performance.now() / 1000);
  const agent = new Agent({ keepAlive: true, maxSockets: 4096 });
  const collector = new MetricsCollector(opts.classes, opts.slo);
  const classIndex = new Map(opts.classes.map((c, i) => [c, i]));
  const failures = new Map<string, number>();
  const inflight = new Set<Promise<void>>();
  const t0 = wall();
  let sent = 0;
  const limit = opts.maxRequests ?? Infinity;
  for (let req = opts.stream.next(); req && sent < limit; req = opts.stream.next()) {
    const wait = (req.arrival - (wall() - t0)) * 1000;
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    sent++;
    // The run's span starts at the first send, as a simulated run's starts at its first arrival.
    collector.noteArrival(wall() - t0);
    const r = req;
    const p = send(r).then(
      (out) => {
        const k = classIndex.get(r.workloadClass) ?? 0;
        if (out.status !== 200) {
          const reason = `HTTP ${out.status}${out.message ? `: ${out.message}` : ''}`;
          failures.set(reason, (failures.get(reason) ?? 0) + 1);
          collector.recordRejection(k, reason);
          return;
        }
        collector.recordCompletion({
          classIndex: k,
          instanceIndex: 0,
          arrival: out.sentAt,
          dispatched: out.sentAt,
          enqueued: out.sentAt,
          firstScheduled: out.sentAt,
          firstToken: out.firstToken,
          finished: out.finished,
          promptTokens: r.promptTokens,
          outputTokens: out.tokens,
          cachedTokens: 0,
          preemptions: 0,
        });
      },
      (err: Error) => {
        const reason = err.message;
        failures.set(reason, (failures.get(reason) ?? 0) + 1);
        collector.recordRejection(classIndex.get(r.workloadClass) ?? 0, reason);
      },
    );
    inflight.add(p);
    void p.finally(() => inflight.delete(p));
  }
  await Promise.all(inflight);
  agent.destroy();
  // The far side is one opaque endpoint: its busy time and token counts are not known here.
  const far = { id: opts.url, gpuType: 'live', role: 'unified', busyTime: 0, preemptions: 0, promptTokensComputed: 0, tokensGenerated: 0 };
  return { summary: collector.summarize([far]), sent, failures };

  function send(req: RequestSpec): Promise<{ status: number; message?: string; sentAt: number; firstToken: number; finished: number; tokens: number }> {
    const body = JSON.stringify({
      model: opts.model,
      prompt: syntheticPrompt(req),
      max_tokens: req.outputTokens,
      min_tokens: req.outputTokens,
      ignore_eos: true,
      stream: true,
      stream_options: { include_usage: true },
    });
    const headers: Record<string, string | number> = { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'x-workload-class': req.workloadClass };
    if (req.sessionId !== undefined) headers['x-session-id'] = req.sessionId;
    return new Promise((resolve, reject) => {
      const sentAt = wall() - t0;
      let firstToken = NaN;
      let tokens = 0;
      const up = request(`${opts.url}/v1/completions`, { method: 'POST', agent, headers }, (res) => {
        const status = res.statusCode ?? 0;
        let text = '';
        const parser = new CompletionStreamReader((n) => {
          if (tokens === 0) firstToken = wall() - t0;
          tokens += n;
        });
        res.setEncoding('utf8');
        res.on('data', (c: string) => (status === 200 ? parser.push(c) : (text += c)));
        res.on('end', () => {
          const finished = wall() - t0;
          let message: string | undefined;
          if (status !== 200) {
            try {
              message = JSON.parse(text).error?.message;
            } catch {
              message = text.slice(0, 200) || undefined;
            }
          }
          resolve({ status, message, sentAt, firstToken: Number.isNaN(firstToken) ? finished : firstToken, finished, tokens: parser.usageTokens ?? tokens });
        });
        res.on('error', reject);
      });
      up.on('error', reject);
      up.end(body);
    });
  }
}

/** The SLO spec of an experiment, as `sim run` builds it. */
export function sloOf(cfg: ExperimentConfig): SloSpec {
  const s = cfg.slo;
  const targets = (t: { ttftMs?: number; tpotMs?: number; e2eMs?: number } | undefined) => ({
    ...(t?.ttftMs !== undefined && { ttft: t.ttftMs / 1000 }),
    ...(t?.tpotMs !== undefined && { tpot: t.tpotMs / 1000 }),
    ...(t?.e2eMs !== undefined && { e2e: t.e2eMs / 1000 }),
  });
  return {
    targets: targets(s),
    perClass: Object.fromEntries(Object.entries(s?.classes ?? {}).map(([c, t]) => [c, targets(t)])),
    percentile: s?.percentile ?? 99,
  };
}
