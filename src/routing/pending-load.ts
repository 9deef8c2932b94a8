import { SimpleOutputPredictor, type OutputPredictorOptions } from './predictor.js';
import type { ProfileTable } from './profiles.js';
import type { EndpointView, RequestView, RoutingContext } from './types.js';

/** Consumption could not be computed: no profile for the endpoint, or no throughput table. */
export const CONSUMPTION_ERROR = Number.NaN;
/** The profile's throughput is 0 for the request's bucket (AIBrix ErrorSLOFailureRequest). */
export const CONSUMPTION_SLO_FAILURE = -1;

export interface PendingLoadOptions extends OutputPredictorOptions {
  /**
   * Predict a request's output length once and reuse it (queue key, ranking, capacity checks,
   * accounting). Default false: AIBrix re-samples the predictor on every use.
   */
  sampleOnce?: boolean;
}

/**
 * AIBrix's profile-based pending load (`PendingLoadProvider` plus the gateway's
 * `addPodStats`/`donePodStats`, `pkg/cache`):
 *
 * - consumption of a request on an endpoint = 1 / (tput x E2E) at the request's bucket in the
 *   endpoint's profile (Little's law: tput x E2E requests in flight fill the endpoint); tput 0 is
 *   an SLO failure; a profile without an e2e table gives 0 (AIBrix quirk);
 * - utilization of an endpoint = the sum of the consumptions recorded at dispatch for its
 *   in-flight requests (`counters.pendingLoad`), capacity 1.0;
 * - at dispatch the consumption is computed again with a fresh prediction (AIBrix) and recorded;
 *   at completion exactly the recorded amount is subtracted;
 * - every completion feeds the output predictor (`DoneRequestTrace`).
 *
 * The same object is shared by the gateway (accounting) and the SLO policies (decisions).
 */
export class PendingLoad {
  readonly cap = 1.0;
  readonly predictor: SimpleOutputPredictor;
  readonly sampleOnce: boolean;
  private readonly recorded = new Map<number, number>();
  private readonly sampled = new Map<number, number>();

  constructor(
    /** Profiles of the model, keyed by GPU type. */
    readonly profiles: ReadonlyMap<string, ProfileTable>,
    options: PendingLoadOptions = {},
  ) {
    this.predictor = new SimpleOutputPredictor(options);
    this.sampleOnce = options.sampleOnce ?? false;
  }

  /** Predicted output tokens of `req` (a fresh draw each call unless `sampleOnce`). */
  predictOutput(req: RequestView, ctx: RoutingContext): number {
    if (!this.sampleOnce) return this.predictor.predict(req.promptTokens, ctx);
    let v = this.sampled.get(req.id);
    if (v === undefined) {
      v = this.predictor.predict(req.promptTokens, ctx);
      this.sampled.set(req.id, v);
    }
    return v;
  }

  /** Current pending load of an endpoint (AIBrix GetUtilization; 0 when never set). */
  utilization(endpoint: EndpointView): number {
    return endpoint.counters.pendingLoad ?? 0;
  }

  /**
   * 1/(tput x E2E) for `req` on `endpoint` (AIBrix GetConsumption), or CONSUMPTION_SLO_FAILURE
   * (tput 0) or CONSUMPTION_ERROR (no profile for the endpoint's GPU type, no tputs table).
   */
  consumption(req: RequestView, endpoint: EndpointView, ctx: RoutingContext): number {
    const table = this.profiles.get(endpoint.gpuType);
    if (!table) return CONSUMPTION_ERROR;
    return consumptionOf(table, this.predictOutput(req, ctx), req.promptTokens);
  }

  /** consumption() on an endpoint whose GPU type's profile is `table` (skips the lookup by GPU type). */
  consumptionIn(table: ProfileTable, req: RequestView, ctx: RoutingContext): number {
    return consumptionOf(table, this.predictOutput(req, ctx), req.promptTokens);
  }

  /** Whether the endpoint's GPU type has a profile. */
  hasProfile(endpoint: EndpointView): boolean {
    return this.profiles.has(endpoint.gpuType);
  }

  /** Records the consumption of `req` on `endpoint` at dispatch (AIBrix addPodStats). */
  add(req: RequestView, endpoint: EndpointView, ctx: RoutingContext): void {
    const c = this.consumption(req, endpoint, ctx);
    if (!(c > 0)) return; // no profile, SLO failure, or 0: nothing recorded
    const counters = endpoint.counters as { pendingLoad?: number };
    counters.pendingLoad = (counters.pendingLoad ?? 0) + c;
    this.recorded.set(req.id, c);
  }

  /** Subtracts what `add` recorded for `req`; returns the amount (0 when none). */
  release(req: RequestView, endpoint: EndpointView): number {
    this.sampled.delete(req.id);
    const c = this.recorded.get(req.id);
    if (c === undefined) return 0;
    this.recorded.delete(req.id);
    const counters = endpoint.counters as { pendingLoad?: number };
    let u = (counters.pendingLoad ?? 0) - c;
    if (Math.abs(u) < 1e-12) u = 0; // float residue after many adds and subtracts
    counters.pendingLoad = u;
    return c;
  }

  /** Forgets per-request state of a request that left without dispatch (rejected). */
  forget(req: RequestView): void {
    this.sampled.delete(req.id);
  }

  /** A completed request's lengths feed the predictor (AIBrix DoneRequestTrace). */
  observe(promptTokens: number, outputTokens: number, now: number): void {
    this.predictor.addTrace(promptTokens, outputTokens, now);
  }
}

/** 1/(tput x E2E) at the signature of (output, prompt) in one profile. */
export function consumptionOf(table: ProfileTable, outputTokens: number, promptTokens: number): number {
  const c = table.consumptionFlat;
  if (!c) return CONSUMPTION_ERROR;
  // AIBrix: no e2e table gives 0 (`if err1 != nil || err2 != nil { return 0, err1 }` with err1 == nil);
  // tput 0 is CONSUMPTION_SLO_FAILURE. Both are precomputed in the flat table.
  return c[table.outIndex(outputTokens) * table.cols + table.inIndex(promptTokens)];
}
