import { numberOption } from '../options.js';
import { randomInt } from '../pick.js';
import type { PolicyOptions, RoutingPolicy } from '../policy.js';
import type { EndpointView, RequestView } from '../types.js';

interface Slot {
  count: number;
  /** Redis key expiry, seconds; Infinity when the key has no TTL. */
  expireAt: number;
}

/**
 * AIBrix `power-of-two` (`power_of_two.go`): two distinct endpoints drawn uniformly (the second
 * redrawn until it differs), the one with the smaller request count wins, the first on a tie.
 *
 * The counts live in Redis under `po2_req_count:<model>:<pod>:<t - t mod 3600>` where t is the
 * request's arrival time: INCR when routed (and EXPIRE 5 min), DECR when it completes, both on the
 * key of the request's own arrival hour. So a request only sees in-flight requests that arrived
 * in the same hour, a key untouched for 5 minutes vanishes, and a DECR on a vanished key
 * recreates it at -1 without a TTL. All of that is reproduced here (one process stands for the
 * shared Redis). Options: keyRotationS (3600), keyExpiryS (300).
 */
export function createPowerOfTwo(options: PolicyOptions = {}): RoutingPolicy {
  const rotation = numberOption(options, 'keyRotationS', 3600, { min: 1 }, 'power-of-two');
  const expiry = numberOption(options, 'keyExpiryS', 300, { min: 0 }, 'power-of-two');
  const slots: Map<number, Slot>[] = [];
  const keyOf = (req: RequestView) => req.arrival - (((req.arrival % rotation) + rotation) % rotation);
  const slotMap = (e: EndpointView) => {
    let m = slots[e.index];
    if (!m) slots[e.index] = m = new Map();
    return m;
  };
  const read = (e: EndpointView, key: number, now: number) => {
    const s = slots[e.index]?.get(key);
    return s === undefined || now >= s.expireAt ? 0 : s.count;
  };
  return {
    name: 'power-of-two',
    bypassSingleEndpoint: true,
    select(req, endpoints, ctx) {
      const n = endpoints.length;
      if (n === 0) return undefined;
      if (n === 1) return endpoints[0];
      const i1 = randomInt(n, ctx);
      let i2 = randomInt(n, ctx);
      while (i2 === i1) i2 = randomInt(n, ctx);
      const key = keyOf(req);
      const now = ctx.now();
      const c1 = read(endpoints[i1], key, now);
      const c2 = read(endpoints[i2], key, now);
      return c1 <= c2 ? endpoints[i1] : endpoints[i2];
    },
    onDispatch(req, endpoint, ctx) {
      const m = slotMap(endpoint);
      const key = keyOf(req);
      const now = ctx.now();
      let s = m.get(key);
      if (!s) m.set(key, (s = { count: 0, expireAt: Infinity }));
      if (now >= s.expireAt) s.count = 0;
      s.count++;
      s.expireAt = now + expiry;
      if (m.size > 8) {
        for (const k of m.keys()) if (k < key - 2 * rotation) m.delete(k);
      }
    },
    onComplete(req, endpoint, _info, ctx) {
      const m = slotMap(endpoint);
      const key = keyOf(req);
      const s = m.get(key);
      if (!s || ctx.now() >= s.expireAt) m.set(key, { count: -1, expireAt: Infinity });
      else s.count--;
    },
  };
}
