import { enumOption, numberOption } from '../options.js';
import { growF64, pickRandom, shuffledIndices } from '../pick.js';
import type { PolicyOptions, ScoringPolicy } from '../policy.js';
import type { EndpointView, RequestView, RoutingContext } from '../types.js';

/**
 * AIBrix `vtc-basic` (`vtc/vtc_basic.go`, `vtc/token_tracker.go`), the simplified Virtual Token
 * Counter:
 *
 *   user = the request's user (none: random endpoint)
 *   in = prompt tokens; out = ceil(1.5 x in)                    (AIBrix estimates in = ceil(chars/4))
 *   u = the user's tokens in the sliding window (5 min)
 *   bucket = max(1000, (minTokens + maxTokens) / 2)             (min/max over users' totals; 1000/8000 when none)
 *   for endpoint position i: fairness = |i - min(u / bucket, n - 1)|, util = min(running / 100, 1)
 *   score = 1 x fairness + 1 x util + U(0, 0.1); argmin; then the user's tokens += in x 1 + out x 2
 *
 * As in AIBrix, i is the position in the pod list the gateway shuffled for this request, and a
 * user's window is pruned only when that user is seen again (stale totals still count in min/max).
 * `running` is the engine's scraped num_requests_running. The user is the request's `sessionId`
 * (option user: 'session', default) or its `workloadClass` (user: 'class').
 * ScoreAll: the combined score (without updating the tracker), polarity least.
 */
export function createVtcBasic(options: PolicyOptions = {}): ScoringPolicy {
  const P = 'vtc-basic';
  const userOf = enumOption(options, 'user', ['session', 'class'] as const, 'session', P);
  const windowS = numberOption(options, 'windowS', 300, { min: 0 }, P);
  const minDefault = numberOption(options, 'minTokens', 1000, { min: 0 }, P);
  const maxDefault = numberOption(options, 'maxTokens', 8000, { min: 0 }, P);
  const maxPodLoad = numberOption(options, 'maxPodLoad', 100, { min: 1e-9 }, P);
  const wFair = numberOption(options, 'fairnessWeight', 1, {}, P);
  const wUtil = numberOption(options, 'utilizationWeight', 1, {}, P);
  const wIn = numberOption(options, 'inputTokenWeight', 1, {}, P);
  const wOut = numberOption(options, 'outputTokenWeight', 2, {}, P);

  const tracker = new TokenTracker(windowS, minDefault, maxDefault);
  let order = new Int32Array(8);
  let scoreBuf = new Float64Array(8);

  const userKey = (req: RequestView): string | undefined =>
    userOf === 'class' ? req.workloadClass : req.sessionId;

  /** Shuffles positions (the gateway's CryptoShuffle) and scores endpoint order[p] at position p. */
  const scoreShuffled = (req: RequestView, endpoints: readonly EndpointView[], ctx: RoutingContext, user: string) => {
    const n = endpoints.length;
    order = shuffledIndices(order, n, ctx);
    scoreBuf = growF64(scoreBuf, n);
    const now = ctx.now();
    const u = tracker.count(user, now);
    const bucket = Math.max(minDefault, (tracker.min() + tracker.max()) / 2);
    const norm = Math.min(u / bucket, n - 1);
    for (let p = 0; p < n; p++) {
      const e = endpoints[order[p]];
      const running = Number.isFinite(e.metrics.running) ? e.metrics.running : 0;
      const util = Math.min(running / maxPodLoad, 1);
      scoreBuf[order[p]] = wFair * Math.abs(p - norm) + wUtil * util + ctx.random() * 0.1;
    }
  };

  return {
    name: P,
    polarity: 'least',
    bypassSingleEndpoint: true,
    select(req, endpoints, ctx) {
      const n = endpoints.length;
      if (n === 0) return undefined;
      const user = userKey(req);
      if (user === undefined) return pickRandom(endpoints, ctx);
      scoreShuffled(req, endpoints, ctx, user);
      // Strict `<` over the shuffled order; the random term makes exact ties vanish.
      let best = -1;
      for (let p = 0; p < n; p++) {
        const i = order[p];
        if (best < 0 || scoreBuf[i] < scoreBuf[best]) best = i;
      }
      return endpoints[best];
    },
    onDispatch(req, _endpoint, ctx) {
      const user = userKey(req);
      if (user === undefined || user === '') return;
      tracker.update(user, req.promptTokens * wIn + Math.ceil(1.5 * req.promptTokens) * wOut, ctx.now());
    },
    scoreAll(req, endpoints, ctx, scores, scored) {
      const user = userKey(req);
      for (let i = 0; i < endpoints.length; i++) scored[i] = user === undefined ? 0 : 1;
      if (user === undefined) return;
      scoreShuffled(req, endpoints, ctx, user);
      for (let i = 0; i < endpoints.length; i++) scores[i] = scoreBuf[i];
    },
  };
}

interface UserWindow {
  ts: number[];
  tokens: number[];
  head: number;
  total: number;
}

/**
 * AIBrix InMemorySlidingWindowTokenTracker: per-user buckets keyed by the second of the update,
 * pruned (older than now - window) only when that user is read or updated; min/max over users'
 * positive totals, the defaults when there are none.
 */
export class TokenTracker {
  private readonly users = new Map<string, UserWindow>();
  private readonly minHeap = new Heap((a, b) => a < b);
  private readonly maxHeap = new Heap((a, b) => a > b);

  constructor(
    private readonly windowS: number,
    private readonly minDefault: number,
    private readonly maxDefault: number,
  ) {}

  count(user: string, now: number): number {
    const w = this.users.get(user);
    if (!w) return 0;
    this.prune(user, w, now);
    return w.total;
  }

  update(user: string, tokens: number, now: number): void {
    let w = this.users.get(user);
    if (!w) this.users.set(user, (w = { ts: [], tokens: [], head: 0, total: 0 }));
    this.prune(user, w, now);
    const ts = Math.floor(now);
    const last = w.ts.length - 1;
    if (last >= w.head && w.ts[last] === ts) w.tokens[last] += tokens;
    else {
      w.ts.push(ts);
      w.tokens.push(tokens);
    }
    this.setTotal(user, w, w.total + Math.max(0, tokens));
  }

  min(): number {
    const v = this.minHeap.top(this.valid);
    return v === undefined ? this.minDefault : v;
  }

  max(): number {
    const v = this.maxHeap.top(this.valid);
    return v === undefined ? this.maxDefault : v;
  }

  private readonly valid = (total: number, user: string) => this.users.get(user)?.total === total;

  private prune(user: string, w: UserWindow, now: number): void {
    const cutoff = Math.floor(now - this.windowS);
    let total = w.total;
    let changed = false;
    while (w.head < w.ts.length && w.ts[w.head] < cutoff) {
      total -= w.tokens[w.head];
      w.head++;
      changed = true;
    }
    if (w.head > 32 && w.head * 2 > w.ts.length) {
      w.ts.splice(0, w.head);
      w.tokens.splice(0, w.head);
      w.head = 0;
    }
    if (changed) this.setTotal(user, w, Math.max(0, total));
  }

  private setTotal(user: string, w: UserWindow, total: number): void {
    w.total = total;
    if (total > 0) {
      this.minHeap.push(total, user);
      this.maxHeap.push(total, user);
    }
  }
}

/** Binary heap of (value, user) with lazy deletion of entries that are no longer current. */
class Heap {
  private vals: number[] = [];
  private keys: string[] = [];
  constructor(private readonly before: (a: number, b: number) => boolean) {}

  push(v: number, k: string): void {
    const vals = this.vals;
    const keys = this.keys;
    let i = vals.length;
    vals.push(v);
    keys.push(k);
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.before(vals[i], vals[p])) break;
      [vals[i], vals[p]] = [vals[p], vals[i]];
      [keys[i], keys[p]] = [keys[p], keys[i]];
      i = p;
    }
  }

  top(valid: (v: number, k: string) => boolean): number | undefined {
    while (this.vals.length > 0) {
      if (valid(this.vals[0], this.keys[0])) return this.vals[0];
      this.pop();
    }
    return undefined;
  }

  private pop(): void {
    const vals = this.vals;
    const keys = this.keys;
    const lastV = vals.pop() as number;
    const lastK = keys.pop() as string;
    if (vals.length === 0) return;
    vals[0] = lastV;
    keys[0] = lastK;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < vals.length && this.before(vals[l], vals[m])) m = l;
      if (r < vals.length && this.before(vals[r], vals[m])) m = r;
      if (m === i) break;
      [vals[i], vals[m]] = [vals[m], vals[i]];
      [keys[i], keys[m]] = [keys[m], keys[i]];
      i = m;
    }
  }
}
