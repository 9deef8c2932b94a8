import { RoutingConfigError } from '../errors.js';
import { boolOption, numberOption, optionalNumberOption } from '../options.js';
import { PendingLoad } from '../pending-load.js';
import type { PolicyFactory, PolicyOptions, RoutingPolicy } from '../policy.js';
import { ProfileSet } from '../profiles.js';
import { SloQueue, type SloSubRouter } from '../slo-queue.js';

export type SloPolicyName = 'slo' | 'slo-least-load-pulling' | 'slo-least-load' | 'slo-pack-load';

const SUB_ROUTER: Record<SloPolicyName, SloSubRouter> = {
  slo: 'least-load-pulling',
  'slo-least-load-pulling': 'least-load-pulling',
  'slo-least-load': 'least-load',
  'slo-pack-load': 'pack-load',
};

/**
 * The AIBrix SLO family (`slo.go`, see SloQueue): `slo` = `slo-least-load-pulling` (pull, least
 * pending load under the cap), `slo-pack-load` (pull, best-fit packing under the cap) and
 * `slo-least-load` (least pending load, no cap: the queue drains at once, i.e. push). All of them
 * route through the policy's own SloQueue, whatever the gateway mode.
 *
 * Options:
 * - profiles: ProfileSet (AIBrix profiles by model and GPU type). Without it, or with no profile
 *   for the endpoints' GPU types, the queue is FIFO + least-request (warned once), as in AIBrix.
 * - model: which model's profiles (optional when the set covers one model).
 * - sampleOnce: predict each request's output length once (default false: AIBrix re-samples the
 *   predictor on every use).
 * - predictorWindowS (240), predictorStartTime (0): the output predictor's window and origin.
 * - admitIdle (false): let an endpoint with no pending load take a request even when the profile
 *   says one request alone exceeds its capacity (tput x E2E < 1). AIBrix has no such rule: such a
 *   request waits forever in pull and pack modes.
 */
export function sloFactory(name: SloPolicyName): PolicyFactory {
  return (options: PolicyOptions = {}) => createSlo(name, options);
}

export function createSlo(name: SloPolicyName, options: PolicyOptions = {}): RoutingPolicy {
  const profiles = options.profiles;
  if (profiles !== undefined && !(profiles instanceof ProfileSet)) {
    throw new RoutingConfigError(`${name}: option "profiles" must be a ProfileSet (see loadAibrixProfile)`, undefined, 'profiles');
  }
  const model = options.model;
  if (model !== undefined && typeof model !== 'string') {
    throw new RoutingConfigError(`${name}: option "model" must be a string`, undefined, 'model');
  }
  const sampleOnce = boolOption(options, 'sampleOnce', false, name);
  const windowS = numberOption(options, 'predictorWindowS', 240, { min: 1 }, name);
  const startTime = optionalNumberOption(options, 'predictorStartTime', {}, name);
  const tables = profiles?.resolveModel(model, name);
  const load =
    tables && tables.size > 0 ? new PendingLoad(tables, { sampleOnce, windowS, startTime }) : undefined;
  const admitIdle = boolOption(options, 'admitIdle', false, name);
  const only = profiles?.models();
  const queue = new SloQueue(name, SUB_ROUTER[name], load, admitIdle, model ?? (only?.length === 1 ? only[0] : undefined));
  return {
    name,
    queue,
    pendingLoad: load,
    bypassSingleEndpoint: true,
    /** The decision for this request alone (the gateway uses the queue instead). */
    select(req, endpoints, ctx) {
      return queue.decide(req, endpoints, ctx);
    },
  };
}
