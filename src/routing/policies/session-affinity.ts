import { enumOption } from '../options.js';
import { pickRandom } from '../pick.js';
import type { PolicyOptions, ScoringPolicy } from '../policy.js';
import type { EndpointView, RequestView } from '../types.js';

/**
 * AIBrix `session-affinity` (`simple_session_affinity.go`):
 * 1. header `x-session-id` (base64 "ip:port" of the pod that served the session before) names a
 *    ready pod: that pod;
 * 2. else header `x-aibrix-session-key`: rendezvous hashing, argmax FNV-1a 64 of (key, 0, address),
 *    the smaller address on a tie;
 * 3. else a random pod. The response carries `x-session-id` of the chosen pod.
 *
 * Here the request's `sessionId` plays the client: with option mode 'session-id' (default) the
 * client echoes the `x-session-id` it got back, so a session sticks to the pod that served its
 * previous request (random for its first request, or when that pod is not a candidate); with mode
 * 'session-key' the session id is sent as `x-aibrix-session-key` (endpoint ids stand for
 * addresses). Requests without a session go to a random endpoint.
 * ScoreAll: 1 for the session's pod, 0 for the others, polarity most.
 */
export function createSessionAffinity(options: PolicyOptions = {}): ScoringPolicy {
  const mode = enumOption(options, 'mode', ['session-id', 'session-key'] as const, 'session-id', 'session-affinity');
  const pinned = new Map<string, number>();

  const resolve = (req: RequestView, endpoints: readonly EndpointView[]): EndpointView | undefined => {
    const s = req.sessionId;
    if (s === undefined || s === '') return undefined;
    if (mode === 'session-id') {
      const idx = pinned.get(s);
      if (idx === undefined) return undefined;
      for (let i = 0; i < endpoints.length; i++) if (endpoints[i].index === idx) return endpoints[i];
      return undefined;
    }
    if (s.length > 256) return undefined; // AIBrix ignores session keys longer than 256 characters
    let best: EndpointView | undefined;
    let bh = 0;
    let bl = 0;
    for (let i = 0; i < endpoints.length; i++) {
      const e = endpoints[i];
      fnv1a64(s, e.id);
      const h = fnvHi;
      const l = fnvLo;
      if (!best || h > bh || (h === bh && (l > bl || (l === bl && e.id < best.id)))) {
        best = e;
        bh = h;
        bl = l;
      }
    }
    return best;
  };

  const pin = (req: RequestView, endpoint: EndpointView) => {
    if (mode === 'session-id' && req.sessionId) pinned.set(req.sessionId, endpoint.index);
  };

  return {
    name: 'session-affinity',
    polarity: 'most',
    bypassSingleEndpoint: true,
    select(req, endpoints, ctx) {
      return resolve(req, endpoints) ?? pickRandom(endpoints, ctx);
    },
    onDispatch: pin,
    postRouteUpdate: pin,
    scoreAll(req, endpoints, _ctx, scores, scored) {
      const target = resolve(req, endpoints);
      for (let i = 0; i < endpoints.length; i++) {
        scores[i] = endpoints[i] === target ? 1 : 0;
        scored[i] = 1;
      }
    },
  };
}

let fnvHi = 0;
let fnvLo = 0;

/** One FNV-1a 64 step on (fnvHi, fnvLo): xor the byte, multiply by 0x100000001b3 modulo 2^64. */
function fnvStep(byte: number): void {
  const lo = (fnvLo ^ byte) >>> 0;
  const loMul = lo * 0x1b3; // < 2^41: exact in a double
  const carry = Math.floor(loMul / 0x100000000);
  fnvHi = (fnvHi * 0x1b3 + carry + ((lo << 8) >>> 0)) >>> 0; // 2^40 = (1 << 8) in the high word
  fnvLo = loMul >>> 0;
}

/** FNV-1a 64 of key bytes, a 0 byte, then address bytes; result in fnvHi/fnvLo (no allocation). */
function fnv1a64(key: string, addr: string): void {
  fnvHi = 0xcbf29ce4;
  fnvLo = 0x84222325;
  for (let i = 0; i < key.length; i++) fnvStep(key.charCodeAt(i) & 0xff);
  fnvStep(0);
  for (let i = 0; i < addr.length; i++) fnvStep(addr.charCodeAt(i) & 0xff);
}

/** For tests: FNV-1a 64 of (key, 0, addr) as a 16-digit hex string. */
export function sessionKeyHash(key: string, addr: string): string {
  fnv1a64(key, addr);
  return fnvHi.toString(16).padStart(8, '0') + fnvLo.toString(16).padStart(8, '0');
}
