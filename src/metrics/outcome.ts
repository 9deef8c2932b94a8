import type { RejectionKind } from './collector.js';

/**
 * Everything known about one request when it ends, completed or rejected: the single record the
 * metrics collector, requests.csv and the invariant tests read. Times are seconds from the start
 * of the run, -1 for an instant that did not happen (a rejected request has no first token; a
 * request that was not disaggregated has no prefill-side instants).
 *
 * The cluster fills one record per ending request and hands it on synchronously; a reader that
 * keeps it must copy it (the object may be reused for the next request).
 */
export interface RequestOutcome {
  id: number;
  classIndex: number;
  className: string;
  promptTokens: number;
  outputTokens: number;
  /** When the request reached the gateway. */
  arrival: number;
  /**
   * Client-side offsets, seconds, added to `arrival` and `firstToken` for what a client sees (the
   * front end's latency before the gateway and after the first token leaves the server). 0 while
   * the simulated path has no front end.
   */
  clientArrivalOffset: number;
  clientFirstTokenOffset: number;
  /** When the gateway sent it to an instance (after any router-side queueing); -1 if never. */
  dispatched: number;
  /** Serving instance (unified, or the decode side of a disaggregated request); -1 if none. */
  instanceIndex: number;
  instanceId: string;
  /** Prefill instance of a disaggregated request; -1 when the request was not disaggregated. */
  prefillInstanceIndex: number;
  prefillInstanceId: string;
  /** When it reached the queue of the instance that computes its prompt (the prefill side when disaggregated). */
  enqueued: number;
  /** When that instance first scheduled it. */
  firstScheduled: number;
  /** Disaggregated: prompt done on the prefill side, decode KV reserved, KV transfer done, joined a decode batch. */
  prefillDone: number;
  kvReserved: number;
  transferDone: number;
  decodeJoined: number;
  /** SGLang bootstrap: the decode side reserved its KV before the prefill started. */
  bootstrap: boolean;
  firstToken: number;
  finished: number;
  /** Prompt tokens found in the prefix cache of the instance that computed the prompt. */
  cachedTokens: number;
  /** Preemptions on both sides. */
  preemptions: number;
  /**
   * Its inter-token gaps: the durations of the last `gapCount` decode steps of step log `gapLog`
   * (its decode rank) as it ended (see ClassGaps). A request preempted on the decode side has
   * none here (gapCount 0): its gaps are taken at the class's mean remainder. -1 / 0 when none.
   */
  gapLog: number;
  gapCount: number;
  /** Null for a completed request. */
  rejection: null | { reason: string; kind: RejectionKind };
}

/** A blank record (every instant -1), to be filled by the cluster. */
export function blankOutcome(): RequestOutcome {
  return {
    id: 0,
    classIndex: 0,
    className: '',
    promptTokens: 0,
    outputTokens: 0,
    arrival: 0,
    clientArrivalOffset: 0,
    clientFirstTokenOffset: 0,
    dispatched: -1,
    instanceIndex: -1,
    instanceId: '',
    prefillInstanceIndex: -1,
    prefillInstanceId: '',
    enqueued: -1,
    firstScheduled: -1,
    prefillDone: -1,
    kvReserved: -1,
    transferDone: -1,
    decodeJoined: -1,
    bootstrap: false,
    firstToken: -1,
    finished: -1,
    cachedTokens: 0,
    preemptions: 0,
    gapLog: -1,
    gapCount: 0,
    rejection: null,
  };
}

/** Resets `o` to blank in place (no allocation per request). */
export function resetOutcome(o: RequestOutcome): RequestOutcome {
  return Object.assign(o, BLANK);
}

const BLANK = blankOutcome();

/** Router queue plus the queue of the instance that computed the prompt, seconds. */
export function queueTime(o: RequestOutcome): number {
  return o.dispatched - o.arrival + (o.firstScheduled - o.enqueued);
}

export function ttft(o: RequestOutcome): number {
  return o.firstToken - o.arrival;
}

export function e2e(o: RequestOutcome): number {
  return o.finished - o.arrival;
}

/** Mean time per output token after the first; NaN for a one-token output. */
export function tpot(o: RequestOutcome): number {
  return o.outputTokens > 1 ? (o.finished - o.firstToken) / (o.outputTokens - 1) : NaN;
}
