import type { RoutingPolicy } from './policy.js';
import type { CompletionInfo, EndpointView, RequestView, RoutingContext } from './types.js';

export type RouterMode = 'push' | 'pull';

export interface GatewayOptions {
  policy: RoutingPolicy;
  mode: RouterMode;
  endpoints: readonly EndpointView[];
  ctx: RoutingContext;
  /** Sends the request to the endpoint (the simulator enqueues it at the instance). */
  dispatch(req: RequestView, endpoint: EndpointView): void;
  /** The request cannot be routed (push mode: policy returned nothing). */
  reject(req: RequestView, reason: string): void;
  /** Pull mode: whether the endpoint can take this request now. Default: reported free slots. */
  hasCapacity?(req: RequestView, endpoint: EndpointView): boolean;
}

/**
 * The gateway: keeps the counters the router owns, calls the policy, and in pull mode holds the
 * router-side queue that is drained whenever an endpoint may have gained capacity.
 */
export class Gateway {
  private readonly queue: RequestView[] = [];
  private queueHead = 0;
  private readonly eligible: EndpointView[] = [];

  constructor(private readonly opts: GatewayOptions) {}

  get queued(): number {
    return this.queue.length - this.queueHead;
  }

  /** A request arrives at the gateway. */
  submit(req: RequestView): void {
    if (this.opts.mode === 'push') {
      this.route(req, this.opts.endpoints, true);
    } else {
      this.queue.push(req);
      this.drain();
    }
  }

  /** `req` completed on `endpoint`. */
  complete(req: RequestView, endpoint: EndpointView, info: CompletionInfo): void {
    const c = endpoint.counters as MutableCounters;
    c.inflight--;
    c.inflightPromptTokens -= req.promptTokens;
    c.completed++;
    this.opts.policy.onComplete?.(req, endpoint, info, this.opts.ctx);
    if (this.opts.mode === 'pull') this.drain();
  }

  /** Pull mode: an endpoint reports new capacity without a completion (e.g. a prefill finished). */
  capacityChanged(): void {
    if (this.opts.mode === 'pull') this.drain();
  }

  /** Offers queued requests, in FIFO order, to the endpoints that report capacity. */
  private drain(): void {
    const { endpoints } = this.opts;
    const hasCapacity = this.opts.hasCapacity ?? defaultHasCapacity;
    while (this.queueHead < this.queue.length) {
      const req = this.queue[this.queueHead];
      const eligible = this.eligible;
      eligible.length = 0;
      for (let i = 0; i < endpoints.length; i++) {
        if (hasCapacity(req, endpoints[i])) eligible.push(endpoints[i]);
      }
      if (eligible.length === 0 || !this.route(req, eligible, false)) break;
      this.queue[this.queueHead++] = undefined as unknown as RequestView;
      if (this.queueHead > 1024 && this.queueHead * 2 > this.queue.length) {
        this.queue.splice(0, this.queueHead);
        this.queueHead = 0;
      }
    }
  }

  private route(req: RequestView, candidates: readonly EndpointView[], rejectIfNone: boolean): boolean {
    const { policy, ctx } = this.opts;
    const endpoint = policy.select(req, candidates, ctx);
    if (!endpoint) {
      if (rejectIfNone) this.opts.reject(req, `policy ${policy.name} selected no endpoint`);
      return false;
    }
    const c = endpoint.counters as MutableCounters;
    c.inflight++;
    c.inflightPromptTokens += req.promptTokens;
    c.dispatched++;
    policy.onDispatch?.(req, endpoint, ctx);
    this.opts.dispatch(req, endpoint);
    return true;
  }
}

type MutableCounters = { -readonly [K in keyof EndpointView['counters']]: EndpointView['counters'][K] };

function defaultHasCapacity(_req: RequestView, endpoint: EndpointView): boolean {
  return endpoint.capacity().freeSlots > 0;
}
