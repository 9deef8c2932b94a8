import { RoutingConfigError } from '../errors.js';
import { pickMinRandomTie } from '../pick.js';
import type { PolicyOptions, RoutingPolicy } from '../policy.js';
import type { EndpointView } from '../types.js';

/**
 * `class-to-gpu`: a static assignment of workload classes to GPU types, least-request inside the
 * type (random tie). Not a production router: the "Oracle" (each class on the GPU type that
 * suits it) and "Scalar" (everything on one type) baselines of AIBrix's heterogeneous-GPU
 * routing results. Option `map`: {class: GPU type}. A class not in the map, or whose type has no
 * endpoint, goes to the least-loaded endpoint of any type.
 */
export function createClassToGpu(options: PolicyOptions = {}): RoutingPolicy {
  const map = options.map;
  if (typeof map !== 'object' || map === null || Array.isArray(map) || Object.values(map).some((v) => typeof v !== 'string')) {
    throw new RoutingConfigError('class-to-gpu: option "map" must be an object {workload class: GPU type}', undefined, 'map');
  }
  const target = new Map(Object.entries(map as Record<string, string>));
  const byType = new Map<string, EndpointView[]>();
  let indexed: readonly EndpointView[] | undefined;
  const inflight = (e: EndpointView) => e.counters.inflight;
  return {
    name: 'class-to-gpu',
    select(req, endpoints, ctx) {
      if (endpoints !== indexed) {
        byType.clear();
        for (const e of endpoints) {
          let list = byType.get(e.gpuType);
          if (!list) byType.set(e.gpuType, (list = []));
          list.push(e);
        }
        indexed = endpoints;
      }
      const gpu = target.get(req.workloadClass);
      const pool = gpu !== undefined ? byType.get(gpu) : undefined;
      return pickMinRandomTie(pool && pool.length > 0 ? pool : endpoints, inflight, ctx);
    },
  };
}
