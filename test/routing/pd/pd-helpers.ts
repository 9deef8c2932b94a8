import type { EndpointRole } from '../../../src/routing/index.js';
import { endpoint, type TestEndpoint } from '../helpers.js';

type Opts = Parameters<typeof endpoint>[1] & { group?: string };

/** A prefill or decode endpoint (id "P<index>" / "D<index>" unless given). */
export function pdEp(index: number, role: EndpointRole, opts: Opts = {}): TestEndpoint {
  const { group, ...rest } = opts;
  const e = endpoint(index, { id: `${role === 'prefill' ? 'P' : role === 'decode' ? 'D' : 'U'}${index}`, ...rest });
  const w = e as unknown as { role: EndpointRole; group?: string };
  w.role = role;
  if (group !== undefined) w.group = group;
  return e;
}

/** Sets PD counters on an endpoint (the PdGateway's fields). */
export function pdCounters(
  e: TestEndpoint,
  c: { prefillInflight?: number; pendingDecode?: number; decodeRunning?: number; decodeStarted?: number; drainRate1m?: number; inflight?: number },
): TestEndpoint {
  Object.assign(e.counters, c);
  return e;
}
