import { ConsumptionFloor } from './consumption-floor.js';
import { CONSUMPTION_ERROR, CONSUMPTION_SLO_FAILURE, type PendingLoad } from './pending-load.js';
import { pickMinRandomTie, WarnOnce } from './pick.js';
import type { QueueDecision, RouterQueue } from './policy.js';
import type { ProfileTable } from './profiles.js';
import { skipDraws } from './skip-draws.js';
import type { EndpointView, RejectionKind, RequestView, RoutingContext } from './types.js';

/**
 * AIBrix's SLO queue router (`pkg/plugins/gateway/queue/slo_queue.go`, `pkg/plugins/gateway/algorithms/queue_router.go`, and the
 * sub-routers `least_load.go`, `pack_load.go`), for one model:
 *
 * - FIFO sub-queues keyed by (round(log2 predicted output), round(log2 prompt)); only heads compete.
 * - On every trigger each head gets, per GPU type with a profile, rank = waited + expected - target
 *   (expected from the profile's e2e/ttft table, target from the first non-zero SLO of
 *   tpot > ttft > tpat > e2e). Heads are tried most urgent first (largest rank of their best GPU
 *   type); per head the GPU types are tried from the lowest rank, spilling to the next type only
 *   while its rank is <= 0.
 * - Inside a GPU type the endpoint is chosen by the variant's sub-router over the pending load
 *   U (see PendingLoad): `slo`/`slo-least-load-pulling` least U + c with U + c <= 1,
 *   `slo-pack-load` largest U + c <= 1, `slo-least-load` least U with no cap (push).
 * - A capacity failure leaves the head queued and tries the next head; any other failure (zero
 *   throughput everywhere, no endpoint) rejects the head. Nothing is rejected for waiting long.
 * - No profile at all, or a ranking error anywhere (missing e2e/ttft table, no SLO): FIFO over the
 *   heads, routed by least-request.
 *
 * Speed (`next` = `nextFast` where it applies, else `nextExhaustive`, the reference): AIBrix
 * samples the output predictor afresh for every rank and every endpoint it checks, so a trigger
 * with h heads on n endpoints draws about h x (n + 1) numbers from the router stream, and on a
 * full fleet nearly every head fails its capacity check everywhere. The fast pass decides from
 * bounds (the least pending load of a GPU type's endpoints plus the least consumption the request
 * can be predicted to have there, see ConsumptionFloor) which capacity checks certainly fail, and
 * for those only advances the stream by the draws they would have made. What remains uncertain is
 * evaluated exactly as in `nextExhaustive`, so decisions and the stream stay the same.
 */
export type SloSubRouter = 'least-load-pulling' | 'least-load' | 'pack-load';

const OK = 0;
const NO_POD = 1;
const CAPACITY = 2;
const SLO_FAILURE = 3;
const CONSUMPTION_ERR = 4;

const REASONS: Record<number, string> = {
  [NO_POD]: 'no endpoint available (AIBrix ErrorNoAvailablePod)',
  [SLO_FAILURE]:
    'no GPU type can serve this request within its SLO: the profile throughput is 0 for its bucket (AIBrix ErrorSLOFailureRequest)',
  [CONSUMPTION_ERR]: 'the profile of the chosen GPU type has no throughput table (AIBrix ErrProfileNoThroughput)',
};

interface Deployment {
  gpuType: string;
  table: ProfileTable | undefined;
  endpoints: EndpointView[];
  /** With a table and the fast pass on: the least consumption a request can have here. */
  floor: ConsumptionFloor | undefined;
  /** Per `nextFast` call: the least pending load over the endpoints (NaN if one is NaN). */
  minLoad: number;
  /** Per `nextFast` call: some endpoint has no pending load (admitIdle may let it take anything). */
  anyIdle: boolean;
}

class SubQueue {
  items: (RequestView | undefined)[] = [];
  head = 0;
  /**
   * The fast pass's bound for the head on the sole profiled GPU type: valid while the head is
   * `boundFor`, the bound is `boundBy`'s and the predictor's presenceEpoch is `boundEpoch`.
   */
  boundFor: RequestView | undefined = undefined;
  boundBy: ConsumptionFloor | undefined = undefined;
  boundEpoch = -1;
  /** ConsumptionFloor of the head. */
  floor = 0;
  /** Draws per use of the predictor for the head's prompt (1 with history, else 0). */
  perUse = 0;
  /** The head's predictor input bucket and profile column. */
  inputBucket = 0;
  col = 0;
  constructor(readonly key: number) {}
  get length(): number {
    return this.items.length - this.head;
  }
  peek(): RequestView {
    return this.items[this.head] as RequestView;
  }
  shift(): RequestView {
    const r = this.items[this.head] as RequestView;
    this.items[this.head++] = undefined;
    if (this.head === this.items.length) {
      this.items.length = 0;
      this.head = 0;
    } else if (this.head > 256 && this.head * 2 > this.items.length) {
      this.items.splice(0, this.head);
      this.head = 0;
    }
    return r;
  }
}

class Candidate {
  sub!: SubQueue;
  req!: RequestView;
  /** nextSole: position among the heads. */
  at = 0;
  /** nextSole: the draws its certainly failing capacity check makes, or -1 when uncertain. */
  skip = 0;
  n = 0;
  deps = new Int32Array(8);
  ranks = new Float64Array(8);
  push(dep: number, rank: number): void {
    if (this.n === this.deps.length) {
      const d = new Int32Array(this.n * 2);
      d.set(this.deps);
      this.deps = d;
      const r = new Float64Array(this.n * 2);
      r.set(this.ranks);
      this.ranks = r;
    }
    // Insertion keeps ranks ascending and, among equal ranks, the deployment order.
    let k = this.n++;
    while (k > 0 && this.ranks[k - 1] > rank) {
      this.ranks[k] = this.ranks[k - 1];
      this.deps[k] = this.deps[k - 1];
      k--;
    }
    this.ranks[k] = rank;
    this.deps[k] = dep;
  }
}

const inflight = (e: EndpointView) => e.counters.inflight;

export class SloQueue implements RouterQueue {
  private readonly subs = new Map<number, SubQueue>();
  private readonly order: SubQueue[] = [];
  private total = 0;
  private readonly cands: Candidate[] = [];
  private readonly sorted: Candidate[] = [];
  private gaps = new Float64Array(64);
  /** nextSole: the sole GPU type's open endpoints (see measureSole). */
  private open = new Int32Array(16);
  private deps: Deployment[] = [];
  private depsFor: readonly EndpointView[] | undefined;
  private depsLen = -1;
  private available = 0;
  private rankError = '';
  private lastCode = OK;
  private readonly warned = new WarnOnce();
  private readonly rankWarned = new Set<string>();
  private noProfileWarned = false;
  /** Whether the fast pass applies to the current deployments (see `deployments`). */
  private fastApplies = false;
  /** The one deployment with a profile, when there is exactly one (ranks then only order heads). */
  private soleProfiled: Deployment | undefined;
  /** Draws one rank makes on `soleProfiled` when the predictor has history (2 for tpot, tpat). */
  private soleRankDraws = 0;
  /** Tests: always take the exhaustive reference path. */
  exhaustiveOnly = false;
  /** Changes whenever some sub-queue's head changes (enqueue into an empty one, dequeue). */
  private headsEpoch = 0;
  /**
   * nextSole's summary of the heads' bounds (least floor, NaN if one is NaN; heads with history),
   * valid for `summaryHeads`, `summaryEpoch` (presenceEpoch) and `summaryBy`.
   */
  private summaryHeads = -1;
  private summaryEpoch = -1;
  private summaryBy: ConsumptionFloor | undefined;
  private leastFloor = 0;
  private headsWithHistory = 0;
  private readonly dispatchDecision = { kind: 'dispatch', req: undefined, endpoint: undefined } as unknown as {
    kind: 'dispatch';
    req: RequestView;
    endpoint: EndpointView;
  };
  private readonly rejectDecision = { kind: 'reject', req: undefined, reason: '', rejection: 'other' } as unknown as {
    kind: 'reject';
    req: RequestView;
    reason: string;
    rejection: RejectionKind;
  };

  constructor(
    readonly policyName: string,
    readonly subRouter: SloSubRouter,
    /** Pending-load accounting with the model's profiles; undefined without profiles. */
    readonly load: PendingLoad | undefined,
    /** Let an endpoint without pending load take a request whatever its consumption (not AIBrix). */
    readonly admitIdle = false,
    /** The model the queue serves, for AIBrix's warnings. */
    readonly modelName = '(unnamed model)',
  ) {}

  get length(): number {
    return this.total;
  }

  enqueue(req: RequestView, ctx: RoutingContext): void {
    const out = this.load ? this.load.predictOutput(req, ctx) : 1;
    const key = keyOf(out, req.promptTokens);
    let sub = this.subs.get(key);
    if (!sub) {
      sub = new SubQueue(key);
      this.subs.set(key, sub);
      this.order.push(sub);
    }
    if (sub.length === 0) this.headsEpoch++;
    sub.items.push(req);
    this.total++;
  }

  removeAll(): RequestView[] {
    const out: RequestView[] = [];
    for (const sub of this.order) while (sub.length > 0) out.push(sub.shift());
    this.total = 0;
    this.headsEpoch++;
    return out.sort((a, b) => a.arrival - b.arrival || a.id - b.id);
  }

  /** AIBrix wakes the queue when a completion released pending load and left the endpoint below 1. */
  wakeOnCompletion(endpoint: EndpointView, released: number): boolean {
    return released > 0 && this.load !== undefined && this.load.utilization(endpoint) < this.load.cap;
  }

  next(endpoints: readonly EndpointView[], ctx: RoutingContext): QueueDecision | undefined {
    if (this.total === 0) return undefined;
    const deps = this.deployments(endpoints, ctx);
    if (this.fastApplies && !this.exhaustiveOnly) return this.nextFast(endpoints, deps, ctx);
    return this.rankAndRoute(endpoints, deps, ctx, false);
  }

  /** The reference: every head ranked and every capacity check evaluated, as AIBrix does. */
  nextExhaustive(endpoints: readonly EndpointView[], ctx: RoutingContext): QueueDecision | undefined {
    if (this.total === 0) return undefined;
    return this.rankAndRoute(endpoints, this.deployments(endpoints, ctx), ctx, false);
  }

  /** `nextExhaustive`'s decision and draws, skipping the capacity checks that certainly fail. */
  private nextFast(endpoints: readonly EndpointView[], deps: Deployment[], ctx: RoutingContext): QueueDecision | undefined {
    if (this.soleProfiled) return this.nextSole(this.soleProfiled, ctx);
    for (let d = 0; d < deps.length; d++) if (deps[d].table) measureLoad(deps[d]);
    return this.rankAndRoute(endpoints, deps, ctx, true);
  }

  /**
   * nextFast with one profiled GPU type: every head has one rank, which only orders the heads, and
   * one capacity check. When every head certainly fails nothing is ranked (the order of heads that
   * all stay queued changes nothing). Otherwise the heads are ranked (the rank draws, in head
   * order, are needed for their values), and only the uncertain heads are ordered and evaluated:
   * before each, the stream skips the draws of the certain failures the exhaustive order puts
   * ahead of it (a stable sort by descending rank).
   */
  private nextSole(sole: Deployment, ctx: RoutingContext): QueueDecision | undefined {
    const pods = sole.endpoints.length;
    const floors = sole.floor as ConsumptionFloor;
    const epoch = floors.predictor.presenceEpoch;
    const cap = (this.load as PendingLoad).cap;
    const order = this.order;
    if (this.summaryHeads !== this.headsEpoch || this.summaryEpoch !== epoch || this.summaryBy !== floors) {
      this.summarizeHeads(floors);
    }
    const nOpen = this.measureSole(sole);
    const idleOpen = this.admitIdle && sole.anyIdle;
    if (!idleOpen && sole.minLoad + this.leastFloor > cap) {
      // Every head fails (each floor >= the least; IEEE addition is monotone).
      skipDraws(ctx, this.headsWithHistory * (this.soleRankDraws + pods));
      this.lastCode = CAPACITY;
      return undefined;
    }
    // Rank every head, in head order; keep the uncertain ones sorted as the exhaustive pass would.
    const table = sole.table as ProfileTable;
    const now = ctx.now();
    const uncertain = this.sorted;
    uncertain.length = 0;
    let nc = 0;
    for (let s = 0; s < order.length; s++) {
      const sub = order[s];
      if (sub.length === 0) continue;
      const cand = this.candidate(nc);
      cand.sub = sub;
      cand.req = sub.peek();
      cand.at = nc++;
      cand.n = 0;
      cand.push(0, this.soleRank(sub, cand.req, table, floors, now, ctx));
      if (!idleOpen && sole.minLoad + sub.floor > cap) {
        cand.skip = sub.perUse * pods;
        continue;
      }
      cand.skip = -1;
      let k = uncertain.length;
      uncertain.push(cand);
      while (k > 0 && uncertain[k - 1].ranks[0] < cand.ranks[0]) {
        uncertain[k] = uncertain[k - 1];
        k--;
      }
      uncertain[k] = cand;
    }
    // The certain failures between consecutive uncertain heads in the exhaustive order.
    const nu = uncertain.length;
    const gaps = this.gapDraws(nu + 1);
    for (let c = 0; c < nc; c++) {
      const cand = this.cands[c];
      if (cand.skip < 0) continue;
      let lo = 0;
      let hi = nu;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (ahead(cand, uncertain[mid])) hi = mid;
        else lo = mid + 1;
      }
      gaps[lo] += cand.skip;
    }
    for (let u = 0; u < nu; u++) {
      skipDraws(ctx, gaps[u]);
      const cand = uncertain[u];
      const e = this.subRoute(cand.req, sole.endpoints, table, ctx, cand.sub.floor, cand.sub.perUse, this.open, nOpen);
      if (e) return this.dispatch(this.dequeue(cand.sub), e);
      if (this.lastCode !== CAPACITY) return this.reject(this.dequeue(cand.sub), this.lastCode);
    }
    skipDraws(ctx, gaps[nu]);
    this.lastCode = CAPACITY;
    return undefined;
  }

  /**
   * measureLoad for the sole profiled GPU type, plus its open endpoints (`open`, in order; the
   * count is returned): those where some head may pass, i.e. not load + least floor > cap (or
   * idle, with admitIdle). The others fail for every head, whatever the draw.
   */
  private measureSole(sole: Deployment): number {
    const pods = sole.endpoints;
    if (this.open.length < pods.length) this.open = new Int32Array(pods.length);
    const open = this.open;
    const cap = (this.load as PendingLoad).cap;
    const floor = this.leastFloor;
    let n = 0;
    let least = Infinity;
    let idle = false;
    let nan = false;
    for (let p = 0; p < pods.length; p++) {
      const u = pods[p].counters.pendingLoad ?? 0;
      if (u < least) least = u;
      else if (Number.isNaN(u)) nan = true;
      if (u === 0) idle = true;
      if (!(u + floor > cap) || (u === 0 && this.admitIdle)) open[n++] = p;
    }
    sole.minLoad = nan ? Number.NaN : least;
    sole.anyIdle = idle;
    return n;
  }

  /** Refreshes every head's cached bound and their summary (see `summaryHeads`). */
  private summarizeHeads(floors: ConsumptionFloor): void {
    const p = floors.predictor;
    const epoch = p.presenceEpoch;
    let least = Infinity;
    let nan = false;
    let withHistory = 0;
    for (let s = 0; s < this.order.length; s++) {
      const sub = this.order[s];
      if (sub.length === 0) continue;
      const r = sub.peek();
      if (sub.boundFor !== r || sub.boundEpoch !== epoch || sub.boundBy !== floors) {
        sub.boundFor = r;
        sub.boundBy = floors;
        sub.boundEpoch = epoch;
        sub.floor = floors.of(r.promptTokens);
        sub.inputBucket = p.inputBucket(r.promptTokens);
        sub.col = floors.table.inIndex(r.promptTokens);
        sub.perUse = p.historyIn(sub.inputBucket) > 0 ? 1 : 0;
      }
      if (sub.floor < least) least = sub.floor;
      else if (Number.isNaN(sub.floor)) nan = true;
      withHistory += sub.perUse;
    }
    this.leastFloor = nan ? Number.NaN : least;
    this.headsWithHistory = withHistory;
    this.summaryHeads = this.headsEpoch;
    this.summaryEpoch = epoch;
    this.summaryBy = floors;
  }

  /**
   * `rank` of the head of `sub` on the sole profiled GPU type, from the lookups cached on `sub`:
   * the same draws, cells and arithmetic.
   */
  private soleRank(
    sub: SubQueue,
    req: RequestView,
    table: ProfileTable,
    floors: ConsumptionFloor,
    now: number,
    ctx: RoutingContext,
  ): number {
    const p = floors.predictor;
    const history = sub.perUse === 1;
    const row = history ? floors.rowOf(p.drawBucket(sub.inputBucket, ctx)) : table.outIndex(p.coldPrediction(req.promptTokens));
    const cell = row * table.cols + sub.col;
    const slos = table.profile.slos as NonNullable<ProfileTable['profile']['slos']>;
    switch (table.slo) {
      case 'tpot': {
        const tokens = history ? p.prediction(p.drawBucket(sub.inputBucket, ctx)) : p.coldPrediction(req.promptTokens);
        const target = (slos.tpot as number) * tokens + (slos.ttft ?? 0);
        return now - req.arrival + (table.e2eFlat as Float64Array)[cell] - target;
      }
      case 'ttft':
        return now - req.arrival + (table.ttftFlat as Float64Array)[cell] - (slos.ttft as number);
      case 'tpat': {
        const tokens = history ? p.prediction(p.drawBucket(sub.inputBucket, ctx)) : p.coldPrediction(req.promptTokens);
        const target = (slos.tpat as number) * (req.promptTokens + tokens);
        return now - req.arrival + (table.e2eFlat as Float64Array)[cell] - target;
      }
      default:
        return now - req.arrival + (table.e2eFlat as Float64Array)[cell] - (slos.e2e as number);
    }
  }

  /** A zeroed scratch array of at least `n` draw counts. */
  private gapDraws(n: number): Float64Array {
    if (this.gaps.length < n) this.gaps = new Float64Array(Math.max(n, 2 * this.gaps.length));
    this.gaps.fill(0, 0, n);
    return this.gaps;
  }

  private rankAndRoute(
    endpoints: readonly EndpointView[],
    deps: Deployment[],
    ctx: RoutingContext,
    fast: boolean,
  ): QueueDecision | undefined {
    const now = ctx.now();
    let fb: SubQueue | undefined;
    let nc = 0;
    let anyErr = false;
    for (let s = 0; s < this.order.length; s++) {
      const sub = this.order[s];
      if (sub.length === 0) continue;
      const r = sub.peek();
      // FIFO fallback candidate: the earliest head (AIBrix keeps the later one on equal times).
      if (!fb || !(fb.peek().arrival < r.arrival)) fb = sub;
      if (this.available === 0) continue;
      const cand = this.candidate(nc);
      cand.sub = sub;
      cand.req = r;
      cand.n = 0;
      for (let d = 0; d < deps.length; d++) {
        const table = deps[d].table;
        if (!table) continue;
        const rank = this.rank(r, table, now, ctx);
        if (Number.isNaN(rank)) {
          anyErr = true;
          if (!this.rankWarned.has(deps[d].gpuType)) {
            this.rankWarned.add(deps[d].gpuType);
            ctx.warn(
              `${this.policyName}: cannot rank requests with the profile of GPU type "${deps[d].gpuType}" ` +
                `(${this.rankError}); the SLO queue falls back to FIFO + least-request, as AIBrix does`,
            );
          }
          continue;
        }
        cand.push(d, rank);
      }
      if (cand.n > 0) nc++;
    }
    if (anyErr) nc = 0;
    if (nc === 0) {
      if (!fb) return undefined;
      if (this.available === 0 && !this.noProfileWarned) {
        // AIBrix logs this on every Peek (pkg/plugins/gateway/queue/slo_queue.go); once is enough here.
        this.noProfileWarned = true;
        ctx.warn(
          `${this.policyName}: SLOQueue found no profile available for model ${this.modelName}, fallback to FIFO queue ` +
            `(no profile under exactly this model name for the endpoints' deployments ${deps.map((d) => d.gpuType).join(', ') || '(none)'}; routed by least-request)`,
        );
      }
      const req = this.dequeue(fb);
      const e = pickMinRandomTie(endpoints, inflight, ctx);
      if (!e) return this.reject(req, NO_POD);
      return this.dispatch(req, e);
    }
    // Most urgent first: descending rank of each head's best GPU type, stable.
    const sorted = this.sorted;
    sorted.length = 0;
    for (let c = 0; c < nc; c++) {
      const cand = this.cands[c];
      let k = sorted.length;
      sorted.push(cand);
      while (k > 0 && sorted[k - 1].ranks[0] < cand.ranks[0]) {
        sorted[k] = sorted[k - 1];
        k--;
      }
      sorted[k] = cand;
    }
    for (let c = 0; c < sorted.length; c++) {
      const cand = sorted[c];
      const e = this.routeCandidate(cand, deps, ctx, fast);
      if (e) return this.dispatch(this.dequeue(cand.sub), e);
      if (this.lastCode !== CAPACITY) return this.reject(this.dequeue(cand.sub), this.lastCode);
    }
    return undefined;
  }

  /**
   * The decision for one request alone, as if it were the only head (used by `select`): the
   * endpoint, or undefined (capacity or SLO failure; see `lastFailure`).
   */
  decide(req: RequestView, endpoints: readonly EndpointView[], ctx: RoutingContext): EndpointView | undefined {
    const deps = this.deployments(endpoints, ctx);
    this.lastCode = OK;
    if (this.available > 0) {
      const cand = this.candidate(0);
      cand.req = req;
      cand.n = 0;
      let err = false;
      for (let d = 0; d < deps.length; d++) {
        const table = deps[d].table;
        if (!table) continue;
        const rank = this.rank(req, table, ctx.now(), ctx);
        if (Number.isNaN(rank)) err = true;
        else cand.push(d, rank);
      }
      if (!err && cand.n > 0) return this.routeCandidate(cand, deps, ctx, false);
    }
    const e = pickMinRandomTie(endpoints, inflight, ctx);
    if (!e) this.lastCode = NO_POD;
    return e;
  }

  /** Why the last `decide` returned undefined: 'capacity', or a rejection reason. */
  lastFailure(): string {
    return this.lastCode === CAPACITY ? 'capacity' : (REASONS[this.lastCode] ?? '');
  }

  /**
   * Tries the candidate's GPU types, best rank first, spilling only while the SLO still holds.
   * `fast`: a GPU type where the capacity check certainly fails is not evaluated, only its draws
   * are skipped (loads measured by `measureLoad`).
   */
  private routeCandidate(
    cand: Candidate,
    deps: readonly Deployment[],
    ctx: RoutingContext,
    fast: boolean,
  ): EndpointView | undefined {
    let last = NO_POD;
    for (let k = 0; k < cand.n; k++) {
      if (k > 0 && cand.ranks[k] > 0) break;
      const dep = deps[cand.deps[k]];
      let floor = Number.NaN;
      let perUse = 0;
      if (fast) {
        const f = dep.floor as ConsumptionFloor;
        floor = f.of(cand.req.promptTokens);
        perUse = f.predictor.historyIn(f.predictor.inputBucket(cand.req.promptTokens)) > 0 ? 1 : 0;
        // Every endpoint certainly fails (the least load plus the floor exceeds the cap; IEEE
        // addition is monotone, so every endpoint and every draw exceeds it too).
        if (!(this.admitIdle && dep.anyIdle) && dep.minLoad + floor > (this.load as PendingLoad).cap) {
          skipDraws(ctx, perUse * dep.endpoints.length);
          last = CAPACITY;
          continue;
        }
      }
      const e = this.subRoute(cand.req, dep.endpoints, dep.table as ProfileTable, ctx, floor, perUse);
      if (e) {
        this.lastCode = OK;
        return e;
      }
      last = this.lastCode;
    }
    this.lastCode = last;
    return undefined;
  }

  /**
   * AIBrix leastLoadRouter (pulling or push) and packLoadRouter over the endpoints of one GPU type.
   * `floor` (the fast pass; NaN for none): the request's ConsumptionFloor here, and `perUse` its
   * draws per prediction. An endpoint whose load plus the floor exceeds the cap certainly fails
   * its check; its prediction is only skipped on the stream (in order: pending skips are made
   * before the next endpoint that is evaluated). `open` (with `nOpen`): the only endpoints that
   * may pass, ascending; the others are skipped alike without being looked at.
   */
  private subRoute(
    req: RequestView,
    pods: readonly EndpointView[],
    table: ProfileTable,
    ctx: RoutingContext,
    floor = Number.NaN,
    perUse = 0,
    open: Int32Array | undefined = undefined,
    nOpen = 0,
  ): EndpointView | undefined {
    const load = this.load as PendingLoad;
    const cap = load.cap;
    // AIBrix updateError: once a capacity error was seen it sticks (it is the temporary one).
    let lastErr = NO_POD;
    let target: EndpointView | undefined;
    let ties = 0;
    const mode = this.subRouter;
    let best = mode === 'pack-load' ? 0 : mode === 'least-load-pulling' ? cap : Infinity;
    // load.consumption(req, pod) for every pod of this deployment (same profile), with the prompt's
    // column looked up once; the output is predicted afresh for each pod, as AIBrix does.
    const flat = table.consumptionFlat;
    const cols = table.cols;
    const col = table.inIndex(req.promptTokens);
    let skipped = 0;
    const n = open ? nOpen : pods.length;
    let after = 0;
    for (let j = 0; j < n; j++) {
      const p = open ? open[j] : j;
      if (p > after) {
        // Endpoints after..p-1 are not open: capacity failures for certain.
        skipped += (p - after) * perUse;
        lastErr = CAPACITY;
      }
      after = p + 1;
      const pod = pods[p];
      let u = load.utilization(pod);
      if (mode !== 'least-load') {
        if (u + floor > cap && !(this.admitIdle && u === 0)) {
          skipped += perUse;
          lastErr = CAPACITY;
          continue;
        }
        if (skipped > 0) {
          skipDraws(ctx, skipped);
          skipped = 0;
        }
        const out = load.predictOutput(req, ctx);
        const c = flat ? flat[table.outIndex(out) * cols + col] : CONSUMPTION_ERROR;
        if (c === CONSUMPTION_SLO_FAILURE) {
          if (lastErr !== CAPACITY) lastErr = SLO_FAILURE;
          continue;
        }
        if (Number.isNaN(c)) {
          if (lastErr !== CAPACITY) lastErr = CONSUMPTION_ERR;
          continue;
        }
        if (u + c > cap && this.admitIdle && u === 0) {
          // Deviation (option admitIdle): an endpoint with no pending load takes one request even
          // when the profile says a single request exceeds its capacity (tput x E2E < 1).
          u = cap;
        } else {
          u += c;
          if (u > cap) {
            lastErr = CAPACITY;
            continue;
          }
        }
      }
      // Ties: AIBrix takes the last (least-load, `<=`) or first (pack, `>`) pod of a list the
      // gateway shuffled; that is a uniform choice among exact ties.
      if (mode === 'pack-load') {
        if (u > best) {
          best = u;
          target = pod;
          ties = 1;
        } else if (u === best && target !== undefined) {
          ties++;
          if (ctx.random() * ties < 1) target = pod;
        }
      } else if (target === undefined || u < best) {
        best = u;
        target = pod;
        ties = 1;
      } else if (u === best) {
        ties++;
        if (ctx.random() * ties < 1) target = pod;
      }
    }
    if (pods.length > after && open) {
      skipped += (pods.length - after) * perUse;
      lastErr = CAPACITY;
    }
    skipDraws(ctx, skipped);
    this.lastCode = target ? OK : lastErr;
    return target;
  }

  /** waited + expected - target for `req` on one profile; NaN (with `rankError` set) on error. */
  private rank(req: RequestView, table: ProfileTable, now: number, ctx: RoutingContext): number {
    const load = this.load as PendingLoad;
    const slos = table.profile.slos;
    // Draw order as before: the prediction for the bucket first, then (tpot, tpat) the token count.
    const cell = table.outIndex(load.predictOutput(req, ctx)) * table.cols + table.inIndex(req.promptTokens);
    let expected: number;
    let target: number;
    switch (table.slo) {
      case 'tpot': {
        const tokens = load.predictOutput(req, ctx);
        target = (slos!.tpot as number) * tokens + (slos!.ttft ?? 0);
        if (!table.e2eFlat) return this.fail('no e2e table');
        expected = table.e2eFlat[cell];
        break;
      }
      case 'ttft':
        target = slos!.ttft as number;
        if (!table.ttftFlat) return this.fail('no ttft table');
        expected = table.ttftFlat[cell];
        break;
      case 'tpat': {
        const tokens = load.predictOutput(req, ctx);
        target = (slos!.tpat as number) * (req.promptTokens + tokens);
        if (!table.e2eFlat) return this.fail('no e2e table');
        expected = table.e2eFlat[cell];
        break;
      }
      case 'e2e':
        target = slos!.e2e as number;
        if (!table.e2eFlat) return this.fail('no e2e table');
        expected = table.e2eFlat[cell];
        break;
      default:
        return this.fail('no SLO target in slos');
    }
    return now - req.arrival + expected - target;
  }

  private fail(why: string): number {
    this.rankError = why;
    return Number.NaN;
  }

  private deployments(endpoints: readonly EndpointView[], ctx: RoutingContext): Deployment[] {
    if (endpoints === this.depsFor && endpoints.length === this.depsLen) return this.deps;
    const byType = new Map<string, Deployment>();
    const deps: Deployment[] = [];
    for (const e of endpoints) {
      let d = byType.get(e.gpuType);
      if (!d) {
        d = {
          gpuType: e.gpuType,
          table: this.load?.profiles.get(e.gpuType),
          endpoints: [],
          floor: undefined,
          minLoad: 0,
          anyIdle: false,
        };
        byType.set(e.gpuType, d);
        deps.push(d);
      }
      d.endpoints.push(e);
    }
    this.available = 0;
    for (const d of deps) {
      if (d.table) this.available++;
      else if (this.load && this.load.profiles.size > 0) {
        this.warned.warn(
          ctx,
          `missing:${d.gpuType}`,
          `${this.policyName}: profile not available for aibrix:profile_${this.modelName}_${d.gpuType}; the SLO queue never ` +
            'routes to its endpoints (AIBrix skips deployments without a profile)',
        );
      }
    }
    this.planFastPass(deps);
    this.deps = deps;
    this.depsFor = endpoints;
    this.depsLen = endpoints.length;
    return deps;
  }

  /**
   * The fast pass needs draws whose count does not depend on their values: a fresh prediction per
   * use (not sampleOnce, whose first use draws and later ones do not), a capacity check to skip
   * (not the uncapped least-load), and ranks that cannot fail (a FIFO fallback draws differently).
   */
  private planFastPass(deps: Deployment[]): void {
    const load = this.load;
    this.fastApplies = false;
    this.soleProfiled = undefined;
    if (!load || load.sampleOnce || this.subRouter === 'least-load' || this.available === 0) return;
    const profiled = deps.filter((d) => d.table);
    if (!profiled.every((d) => rankable(d.table as ProfileTable))) return;
    for (const d of profiled) d.floor = new ConsumptionFloor(d.table as ProfileTable, load.predictor);
    this.fastApplies = true;
    if (profiled.length === 1) {
      this.soleProfiled = profiled[0];
      const slo = (profiled[0].table as ProfileTable).slo;
      this.soleRankDraws = slo === 'tpot' || slo === 'tpat' ? 2 : 1;
    }
  }

  private candidate(k: number): Candidate {
    while (this.cands.length <= k) this.cands.push(new Candidate());
    return this.cands[k];
  }

  private dequeue(sub: SubQueue): RequestView {
    this.total--;
    this.headsEpoch++;
    return sub.shift();
  }

  private dispatch(req: RequestView, endpoint: EndpointView): QueueDecision {
    const d = this.dispatchDecision;
    d.req = req;
    d.endpoint = endpoint;
    return d;
  }

  private reject(req: RequestView, code: number): QueueDecision {
    const d = this.rejectDecision;
    d.req = req;
    d.reason = `${this.policyName}: ${REASONS[code]}`;
    d.rejection = code === SLO_FAILURE ? 'slo-infeasible' : 'other';
    return d;
  }
}

/**
 * Whether the exhaustive pass tries `a` before `b`: its stable sort by descending rank puts a
 * higher rank first, and equal ranks in head order.
 */
function ahead(a: Candidate, b: Candidate): boolean {
  return a.ranks[0] > b.ranks[0] || (a.ranks[0] === b.ranks[0] && a.at < b.at);
}

/** The least pending load over a deployment's endpoints, for the fast pass's bounds. */
function measureLoad(dep: Deployment): void {
  let least = Infinity;
  let idle = false;
  let nan = false;
  const pods = dep.endpoints;
  for (let p = 0; p < pods.length; p++) {
    const u = pods[p].counters.pendingLoad ?? 0;
    if (u < least) least = u;
    else if (Number.isNaN(u)) nan = true;
    if (u === 0) idle = true;
  }
  dep.minLoad = nan ? Number.NaN : least;
  dep.anyIdle = idle;
}

/**
 * Whether `rank` gives a number (never NaN) for every request on this profile: the SLO it ranks by
 * has its table, and that table and the targets are finite.
 */
function rankable(table: ProfileTable): boolean {
  const slos = table.profile.slos ?? {};
  const finite = (a: Float64Array | undefined) => a !== undefined && a.every(Number.isFinite);
  const ttft = slos.ttft ?? 0;
  switch (table.slo) {
    case 'tpot':
      return finite(table.e2eFlat) && Number.isFinite(slos.tpot) && Number.isFinite(ttft);
    case 'tpat':
      return finite(table.e2eFlat) && Number.isFinite(slos.tpat);
    case 'e2e':
      return finite(table.e2eFlat) && Number.isFinite(slos.e2e);
    case 'ttft':
      return finite(table.ttftFlat) && Number.isFinite(slos.ttft);
    default:
      return false;
  }
}

/** Sub-queue key: (round(log2 predicted output), round(log2 prompt)), as AIBrix `featuresKey`. */
export function keyOf(predictedOutput: number, promptTokens: number): number {
  const o = Math.max(0, Math.round(Math.log2(Math.max(1, predictedOutput))));
  const i = Math.max(0, Math.round(Math.log2(Math.max(1, promptTokens))));
  return o * 4096 + Math.min(i, 4095);
}
