import { RoutingConfigError, RoutingError } from '../errors.js';

/**
 * SGLang's data-parallel dispatch inside one server (`DataParallelController`,
 * `python/sglang/srt/managers/data_parallel_controller.py`), as ONE SGLang version had it: the
 * controller after sglang #11170 (merged 2025-10-02) and before the piggy-backed load reports of
 * #11469, read from the stored copy JustinTong0323/sglang@8b7f0859c0bae17c4084f555544916bd66d617e7
 * (whose PD branch of round_robin is a fork edit; upstream sends `bootstrap_room % dp`):
 * - round_robin: a counter; in PD `bootstrap_room % dp`;
 * - shortest_queue: DPBudget, rebuilt from every load report, round_robin when it is empty;
 * - minimum_tokens: deprecated in that version: it warns and runs round_robin.
 * The working minimum_tokens of sglang #7379 (July to October 2025, when shortest_queue raised
 * NotImplementedError) is kept under its own name, `minimum_tokens_legacy` (read from the stored
 * copy g00947547/sglang_0805@3a61e2d463c5572af27ca035a670e0f69ae376e3). `follow_bootstrap_room`
 * is the later name (#16110) of this version's PD round_robin. The serving instance owns one
 * dispatcher and asks it for a rank.
 */

/** What the DP controller sees of a request. A RequestView plus a bootstrap room fits. */
export interface DpRequestView {
  readonly id: number;
  readonly promptTokens: number;
  /** SGLang PD bootstrap room (the router's; PdDispatchInfo.bootstrapRoom). Absent outside PD. */
  readonly bootstrapRoom?: number;
  /** Explicit rank (`data_parallel_rank`): overrides every method, as in SGLang. */
  readonly dataParallelRank?: number;
}

/** One DP rank's load as the controller sees it. `ranks[i]` describes rank i. */
export interface DpRankView {
  /**
   * Requests on the rank, running + waiting (`num_reqs` of SGLang's WatchLoadUpdateReq; SGLang
   * balances on it rather than on waiting requests "to balance the decode running batch").
   */
  readonly numReqs: number;
  /**
   * Tokens the rank holds: KV tokens in use plus prompt tokens of waiting requests (SGLang's
   * holding tokens / `num_tokens`).
   */
  readonly numTokens: number;
  /**
   * When this load snapshot was taken, seconds. SGLang's controller sees loads reported every
   * `load_watch_interval`; a dispatcher treats a changed stamp as a new report. Leave it out when
   * the counts are live: every pick then sees a fresh report.
   */
  readonly updatedAt?: number;
}

export type DpMethod = 'round_robin' | 'shortest_queue' | 'minimum_tokens' | 'minimum_tokens_legacy' | 'follow_bootstrap_room';

export interface DpDispatcher {
  readonly method: DpMethod;
  /** The rank (index into `ranks`, whose length is dp_size) for `req`. */
  pick(req: DpRequestView, ranks: readonly DpRankView[]): number;
}

const METHODS: readonly DpMethod[] = ['round_robin', 'shortest_queue', 'minimum_tokens', 'minimum_tokens_legacy', 'follow_bootstrap_room'];

export function knownDpMethods(): string[] {
  return [...METHODS];
}

/**
 * Creates a DP dispatcher; an unknown method is a RoutingConfigError listing the known ones.
 * `warn` receives SGLang's deprecation warning of `minimum_tokens` (once per dispatcher).
 */
export function createDpDispatcher(method: string, warn?: (message: string) => void): DpDispatcher {
  switch (method) {
    case 'round_robin':
      return new RoundRobin();
    case 'shortest_queue':
      return new ShortestQueue();
    case 'minimum_tokens':
      return new DeprecatedMinimumTokens(warn);
    case 'minimum_tokens_legacy':
      return new MinimumTokensLegacy();
    case 'follow_bootstrap_room':
      return new FollowBootstrapRoom();
    default:
      throw new RoutingConfigError(
        `unknown DP load-balance method "${method}"; known: ${METHODS.join(', ')}`,
        undefined,
        'loadBalanceMethod',
      );
  }
}

/** `maybe_external_dp_rank_routing`: the request names its rank. */
function external(req: DpRequestView, n: number): number | undefined {
  if (n <= 0) throw new RoutingError(`DP dispatch for request ${req.id} over ${n} ranks`);
  const r = req.dataParallelRank;
  if (r === undefined) return undefined;
  if (!Number.isInteger(r) || r < 0 || r >= n) {
    throw new RoutingError(`request ${req.id} names data-parallel rank ${r}, but the instance has ranks 0..${n - 1}`);
  }
  return r;
}

function roomRank(room: number, n: number): number {
  return ((room % n) + n) % n;
}

/**
 * `round_robin`: outside PD, `workers[counter]; counter = (counter + 1) % dp`. In PD (the request
 * carries a bootstrap room) SGLang's round_robin sent it to `bootstrap_room % dp` instead, since
 * the decode side derived the prefill's rank the same way (sglang #10174); the counter does not move.
 */
class RoundRobin implements DpDispatcher {
  readonly method: DpMethod = 'round_robin';
  private counter = 0;
  pick(req: DpRequestView, ranks: readonly DpRankView[]): number {
    const n = ranks.length;
    const ext = external(req, n);
    if (ext !== undefined) return ext;
    return this.fallback(req, n);
  }
  /** round_robin_scheduler, also the fallback of the other methods. */
  fallback(req: DpRequestView, n: number): number {
    if (req.bootstrapRoom !== undefined) return roomRank(req.bootstrapRoom, n);
    const r = this.counter % n;
    this.counter = (r + 1) % n;
    return r;
  }
}

/** `follow_bootstrap_room` (sglang #16110): rank = bootstrap_room % dp; a room is required. */
class FollowBootstrapRoom implements DpDispatcher {
  readonly method: DpMethod = 'follow_bootstrap_room';
  pick(req: DpRequestView, ranks: readonly DpRankView[]): number {
    const n = ranks.length;
    const ext = external(req, n);
    if (ext !== undefined) return ext;
    if (req.bootstrapRoom === undefined) {
      throw new RoutingError(`follow_bootstrap_room: request ${req.id} has no bootstrap room (only PD requests routed by a PD gateway carry one)`);
    }
    return roomRank(req.bootstrapRoom, n);
  }
}

/**
 * `shortest_queue` (DPBudget of the version above; first proposed in sglang #8024): on every load report the controller rebuilds a FIFO
 * "budget queue" from the ranks' num_reqs: repeatedly take the ranks at the current minimum (in
 * rank order) and append each (second minimum - minimum) times, raising them, until all are
 * equal (all equal from the start: empty queue). A dispatch pops the queue; an empty queue falls
 * back to round_robin (following the bootstrap room in PD). The queue is not rebuilt between
 * reports, so with stale reports a rank receives exactly the requests that level it.
 */
class ShortestQueue implements DpDispatcher {
  readonly method: DpMethod = 'shortest_queue';
  private readonly rr = new RoundRobin();
  private budget: number[] = [];
  private head = 0;
  private stamp = Number.NaN;
  pick(req: DpRequestView, ranks: readonly DpRankView[]): number {
    const n = ranks.length;
    const ext = external(req, n);
    if (ext !== undefined) return ext;
    let live = false;
    let stamp = -Infinity;
    for (const r of ranks) {
      if (r.updatedAt === undefined) live = true;
      else if (r.updatedAt > stamp) stamp = r.updatedAt;
    }
    if (live || stamp !== this.stamp) {
      this.stamp = live ? Number.NaN : stamp;
      this.rebuild(ranks);
    }
    if (this.head < this.budget.length) return this.budget[this.head++];
    return this.rr.fallback(req, n);
  }
  private rebuild(ranks: readonly DpRankView[]): void {
    const budget: number[] = [];
    const nums = ranks.map((r) => Math.max(0, Math.round(r.numReqs)));
    while (nums.some((x) => x !== nums[0])) {
      let min = Infinity;
      for (const x of nums) if (x < min) min = x;
      let second = Infinity;
      for (const x of nums) if (x > min && x < second) second = x;
      const minIdx: number[] = [];
      for (let i = 0; i < nums.length; i++) if (nums[i] === min) minIdx.push(i);
      for (let k = 0; k < second - min; k++) budget.push(...minIdx);
      for (const i of minIdx) nums[i] = second;
    }
    this.budget = budget;
    this.head = 0;
  }
}

/**
 * `minimum_tokens` of this version: `logger.warning("The 'minimum_tokens' load balancing method
 * is deprecated ... Fall back to 'round_robin_scheduler'")` on every request (here: once), then
 * round_robin (in PD: `bootstrap_room % dp`). An explicit rank still wins.
 */
class DeprecatedMinimumTokens implements DpDispatcher {
  readonly method: DpMethod = 'minimum_tokens';
  private readonly rr = new RoundRobin();
  private warned = false;
  constructor(private readonly warn?: (message: string) => void) {}
  pick(req: DpRequestView, ranks: readonly DpRankView[]): number {
    if (!this.warned) {
      this.warned = true;
      this.warn?.(
        "dpDispatch minimum_tokens: SGLang (after #11170) deprecated this method and runs round_robin instead, as here; " +
          'minimum_tokens_legacy is the token-balancing rule of sglang #7379',
      );
    }
    return this.rr.pick(req, ranks);
  }
}

/**
 * `minimum_tokens` of sglang #7379 (`minimum_tokens_legacy` here): argmin over ranks of holding
 * tokens + on-the-fly tokens, the prompt tokens of requests dispatched to the rank that its
 * reported load does not include yet; ties go to the lowest rank (`list.index(min(...))`). It
 * ignores `data_parallel_rank` and the bootstrap room, as that code did. Here a rank's on-the-fly
 * tokens are those dispatched since its last report (`updatedAt` changed: the new report includes
 * them); with live counts (no `updatedAt`) there are none.
 */
class MinimumTokensLegacy implements DpDispatcher {
  readonly method: DpMethod = 'minimum_tokens_legacy';
  private onfly: number[] = [];
  private stamps: (number | undefined)[] = [];
  pick(req: DpRequestView, ranks: readonly DpRankView[]): number {
    const n = ranks.length;
    if (n <= 0) throw new RoutingError(`DP dispatch for request ${req.id} over ${n} ranks`);
    let best = -1;
    let bestLoad = Infinity;
    for (let i = 0; i < n; i++) {
      const r = ranks[i];
      if (r.updatedAt === undefined || r.updatedAt !== this.stamps[i]) this.onfly[i] = 0;
      this.stamps[i] = r.updatedAt;
      const load = r.numTokens + (this.onfly[i] ?? 0);
      if (best < 0 || load < bestLoad) {
        best = i;
        bestLoad = load;
      }
    }
    if (ranks[best].updatedAt !== undefined) this.onfly[best] = (this.onfly[best] ?? 0) + req.promptTokens;
    return best;
  }
}
