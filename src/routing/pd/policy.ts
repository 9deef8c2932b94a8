import { PdFleetError } from '../errors.js';
import type { PolicyOptions } from '../policy.js';
import type { CompletionInfo, EndpointView, RequestView, RoutingContext } from '../types.js';

/**
 * The (prefill, decode) pair a PD policy picked. `prefill === decode` means "no disaggregation":
 * the decode endpoint runs the prompt itself (llm-d's decode-first policy does this for prompts
 * whose non-cached part is below its threshold); the host then sends the request to that one
 * endpoint as a normal request, with no KV transfer.
 */
export interface PdPair {
  readonly prefill: EndpointView;
  readonly decode: EndpointView;
}

/**
 * A prefill/decode routing policy: picks a (prefill, decode) pair for a request. One file per
 * policy, registered by name (src/routing/pd/registry.ts).
 *
 * `selectPair` must not mutate the views. The lists hold the candidates: in push mode every
 * prefill and decode endpoint, in pull mode those that have capacity now (a list may then be
 * empty). It returns undefined when no acceptable pair exists now (push: the request is rejected;
 * pull: it stays queued). The returned prefill endpoint must come from `prefill`, or be the
 * decode endpoint itself; the decode endpoint must come from `decode`.
 *
 * Side effects of a decision (indexing a prefix, advancing a tree) go in `onDispatch`, which the
 * PdGateway calls once the pair is actually sent.
 */
export interface PdRoutingPolicy {
  readonly name: string;
  selectPair(
    req: RequestView,
    prefill: readonly EndpointView[],
    decode: readonly EndpointView[],
    ctx: RoutingContext,
  ): PdPair | undefined;
  /** The gateway dispatched `req` to the pair (its counters have already moved). */
  onDispatch?(req: RequestView, prefill: EndpointView, decode: EndpointView, ctx: RoutingContext): void;
  /** The prompt of `req` finished on `prefill` (the KV transfer to `decode` starts). */
  onPrefillDone?(req: RequestView, prefill: EndpointView, decode: EndpointView, ctx: RoutingContext): void;
  /** `req` completed on `decode`. */
  onComplete?(req: RequestView, prefill: EndpointView, decode: EndpointView, info: CompletionInfo, ctx: RoutingContext): void;
}

export type PdPolicyFactory = (options: PolicyOptions) => PdRoutingPolicy;

/** Roleset of an endpoint: its group, or the one implicit roleset "" when endpoints have none. */
export function rolesetOf(e: EndpointView): string {
  return e.group ?? '';
}

/** The endpoints of a PD fleet by role. */
export interface PdEndpoints {
  readonly prefill: readonly EndpointView[];
  readonly decode: readonly EndpointView[];
}

/**
 * Splits a prefill/decode fleet by role and checks it is routable:
 * - at least one prefill and one decode endpoint;
 * - no endpoint with role "unified" (a PD gateway routes prefill and decode endpoints only);
 * - either every endpoint has a group (AIBrix roleset) or none has;
 * - every roleset has both roles (AIBrix `eligiblePDRolesets` would silently skip it; here it is
 *   bad input).
 * Throws PdFleetError (a RoutingConfigError) with a message naming the endpoints at fault.
 */
export function splitPdEndpoints(endpoints: readonly EndpointView[], what = 'prefill/decode routing'): PdEndpoints {
  const prefill: EndpointView[] = [];
  const decode: EndpointView[] = [];
  const unified: string[] = [];
  for (const e of endpoints) {
    if (e.role === 'prefill') prefill.push(e);
    else if (e.role === 'decode') decode.push(e);
    else unified.push(e.id);
  }
  if (unified.length > 0) {
    throw new PdFleetError(
      `${what} takes prefill and decode endpoints only; ${list(unified)} ${unified.length === 1 ? 'has' : 'have'} role "unified"`,
    );
  }
  if (prefill.length === 0) {
    throw new PdFleetError(`${what} needs at least one prefill endpoint; the fleet has none (decode: ${list(decode.map((e) => e.id))})`);
  }
  if (decode.length === 0) {
    throw new PdFleetError(`${what} needs at least one decode endpoint; the fleet has none (prefill: ${list(prefill.map((e) => e.id))})`);
  }
  const grouped = endpoints.filter((e) => e.group !== undefined);
  if (grouped.length > 0 && grouped.length < endpoints.length) {
    const bare = endpoints.filter((e) => e.group === undefined).map((e) => e.id);
    throw new PdFleetError(`${list(bare)} ${bare.length === 1 ? 'has' : 'have'} no roleset (group) while other endpoints do; give every endpoint a group, or none`);
  }
  const roles = new Map<string, { prefill: string[]; decode: string[] }>();
  for (const e of endpoints) {
    const g = rolesetOf(e);
    let r = roles.get(g);
    if (!r) roles.set(g, (r = { prefill: [], decode: [] }));
    (e.role === 'prefill' ? r.prefill : r.decode).push(e.id);
  }
  for (const [g, r] of roles) {
    if (r.prefill.length === 0 || r.decode.length === 0) {
      const has = r.prefill.length > 0 ? 'prefill' : 'decode';
      const lacks = has === 'prefill' ? 'decode' : 'prefill';
      const ids = has === 'prefill' ? r.prefill : r.decode;
      throw new PdFleetError(`roleset "${g}" has ${has} endpoints (${list(ids)}) but no ${lacks} endpoint; every roleset needs both roles`);
    }
  }
  return { prefill, decode };
}

function list(ids: readonly string[]): string {
  const shown = ids.slice(0, 6).join(', ');
  return ids.length > 6 ? `${shown}, ... (${ids.length} in all)` : shown;
}
