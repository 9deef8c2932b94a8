import type { InstanceSpec, LinkSpec, RouterSpec } from '../cluster/index.js';
import { InputError } from '../input-error.js';
import {
  createPdPolicy,
  hasPdPolicy,
  knownPdPolicies,
  RoutingConfigError,
  UnknownOptionError,
  splitPdEndpoints,
  type ProfileSet,
  type RoutingPolicy,
} from '../routing/index.js';
import type { ExperimentConfig } from './schema.js';

/** Defaults of the KV transfer paths (see docs/pd.md for the figures behind them). */
export const DEFAULT_RDMA: LinkSpec = { bandwidthGBs: 50, latencyS: 0.4e-3 };
export const DEFAULT_NVLINK: LinkSpec = { bandwidthGBs: 300, latencyS: 0.02e-3 };

interface Ctx {
  file: string;
  where(path: readonly PropertyKey[]): string;
}

/** Whether the fleet splits prefill and decode across instances. */
export function isDisaggregated(cfg: ExperimentConfig): boolean {
  return cfg.fleet.some((e) => e.role !== 'unified');
}

/**
 * The router of a point: a PD router when the fleet has prefill/decode roles (its policy must be
 * a PD policy), otherwise the unified policy built by `unified()`.
 */
export async function resolveRouter(
  cfg: ExperimentConfig,
  instances: readonly InstanceSpec[],
  ctx: Ctx,
  unified: () => Promise<RoutingPolicy>,
  profiles: ProfileSet | undefined,
  model: string,
): Promise<RouterSpec> {
  const name = cfg.router.policy;
  if (!isDisaggregated(cfg)) {
    if (hasPdPolicy(name)) {
      throw new InputError(
        `"${name}" is a prefill/decode policy, but no fleet entry has role prefill or decode`,
        ctx.file,
        ctx.where(['router', 'policy']),
      );
    }
    // Only a PD gateway gives requests a bootstrap room; without one the dispatcher would fail at
    // the first request.
    const i = cfg.fleet.findIndex((e) => e.dpDispatch === 'follow_bootstrap_room');
    if (i >= 0) {
      throw new InputError(
        'dpDispatch follow_bootstrap_room needs a prefill/decode fleet (only PD requests carry a bootstrap room); use round_robin, shortest_queue or minimum_tokens',
        ctx.file,
        ctx.where(['fleet', i, 'dpDispatch']),
      );
    }
    if (cfg.router.pullCapacity === 'pending-load' && !profiles) {
      throw new InputError(
        'pullCapacity "pending-load" is AIBrix\'s profile-based capacity: give router.profiles (or use pullCapacity: instance)',
        ctx.file,
        ctx.where(['router', 'pullCapacity']),
      );
    }
    return { kind: 'unified', policy: await unified(), pullCapacity: cfg.router.pullCapacity, profiles, model, timeoutS: cfg.router.timeoutS };
  }
  if (cfg.router.timeoutS !== undefined) {
    throw new InputError('router.timeoutS applies to unified fleets only (the prefill/decode gateway has no timeout)', ctx.file, ctx.where(['router', 'timeoutS']));
  }
  if (!hasPdPolicy(name)) {
    throw new InputError(
      `the fleet has prefill/decode roles, so the policy must be a PD policy (${knownPdPolicies().join(', ')}), not "${name}"`,
      ctx.file,
      ctx.where(['router', 'policy']),
    );
  }
  try {
    // Checks the roles and rolesets the way the PD gateway will (no prefill, no decode, one-role roleset).
    splitPdEndpoints(
      instances.map((s, index) => ({ id: s.id, index, role: s.role, group: s.group }) as never),
      `PD policy "${name}"`,
    );
    const policy = createPdPolicy(name, cfg.router.options ?? {});
    return { kind: 'pd', policy, link: linkResolver(cfg, instances, ctx) };
  } catch (err) {
    if (err instanceof UnknownOptionError) throw new InputError(err.message, ctx.file, ctx.where(['router', 'options', err.option]));
    if (err instanceof RoutingConfigError) throw new InputError(err.message, ctx.file, ctx.where(['fleet']));
    throw err;
  }
}

/** Link of each P->D path: an explicit `pd.links` entry, else NVLink within a node, else RDMA. */
function linkResolver(cfg: ExperimentConfig, instances: readonly InstanceSpec[], ctx: Ctx): (p: string, d: string) => LinkSpec {
  const pd = cfg.pd ?? {};
  const ms = (l: { bandwidthGBs: number; latencyMs: number } | undefined, def: LinkSpec): LinkSpec =>
    l ? { bandwidthGBs: l.bandwidthGBs, latencyS: l.latencyMs / 1000 } : def;
  const rdma = ms(pd.rdma, DEFAULT_RDMA);
  const nvlink = ms(pd.nvlink, DEFAULT_NVLINK);
  const byId = new Map(instances.map((s) => [s.id, s]));
  const overrides = new Map<string, LinkSpec>();
  (pd.links ?? []).forEach((l, i) => {
    const at = (k: string) => ctx.where(['pd', 'links', i, k]);
    const from = byId.get(l.from);
    const to = byId.get(l.to);
    if (!from || from.role !== 'prefill') {
      throw new InputError(`"${l.from}" is not a prefill instance (prefill instances: ${ids(instances, 'prefill')})`, ctx.file, at('from'));
    }
    if (!to || to.role !== 'decode') {
      throw new InputError(`"${l.to}" is not a decode instance (decode instances: ${ids(instances, 'decode')})`, ctx.file, at('to'));
    }
    const base = l.kind === 'nvlink' ? nvlink : l.kind === 'rdma' ? rdma : sameNode(from, to) ? nvlink : rdma;
    overrides.set(`${l.from}->${l.to}`, {
      bandwidthGBs: l.bandwidthGBs ?? base.bandwidthGBs,
      latencyS: l.latencyMs !== undefined ? l.latencyMs / 1000 : base.latencyS,
    });
  });
  return (p, d) => overrides.get(`${p}->${d}`) ?? (sameNode(byId.get(p)!, byId.get(d)!) ? nvlink : rdma);
}

function sameNode(a: InstanceSpec, b: InstanceSpec): boolean {
  return a.node !== undefined && a.node === b.node;
}

function ids(instances: readonly InstanceSpec[], role: string): string {
  return instances.filter((s) => s.role === role).map((s) => s.id).join(', ') || '(none)';
}
