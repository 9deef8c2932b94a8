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

/** AIBrix's SLO queue router family: accepted on a prefill/decode pool, as AIBrix accepts it. */
const AIBRIX_SLO_FAMILY = new Set(['slo', 'slo-least-load-pulling', 'slo-least-load', 'slo-pack-load']);

/**
 * The router of a point: a PD router when the fleet has prefill/decode roles (its policy must be
 * a PD policy, or one of AIBrix's SLO family, see below), otherwise the unified policy built by
 * `unified()`.
 *
 * AIBrix's `slo` on a prefill/decode pool: AIBrix's gateway only calls the PD path for the `pd`
 * strategy (vllm-project/aibrix@e3e10f9e4aebe9aac5e7d992fb87d2648e01628b:
 * pkg/plugins/gateway/gateway.go `selectTargetPod`); every other strategy, `slo` included, gets
 * the model's ready pods whatever their `role-name` label, and the SLO queue groups them by
 * deployment (pkg/utils/pod_array.go `Indexes`). Each request goes whole to one pod, a prefill or a
 * decode pod, which serves it alone (AIBrix's PD samples run vLLM with kv_role kv_both, so either
 * role serves a plain request): no KV transfer, no disaggregation. Reproduced here by the unified
 * gateway over all instances.
 */
export async function resolveRouter(
  cfg: ExperimentConfig,
  instances: readonly InstanceSpec[],
  ctx: Ctx,
  unified: () => Promise<RoutingPolicy>,
  profiles: ProfileSet | undefined,
  model: string,
  warn: (message: string) => void = () => {},
): Promise<RouterSpec> {
  const name = cfg.router.policy;
  const sloOnPd = isDisaggregated(cfg) && AIBRIX_SLO_FAMILY.has(name.trim());
  if (sloOnPd) {
    warn(
      `router.policy ${name} on a prefill/decode fleet runs as AIBrix runs it there: the SLO router ignores roles, ` +
        'so each request is served whole by one prefill or decode instance (no KV transfer). The PD-aware SLO router is slo-pd',
    );
  }
  if (!isDisaggregated(cfg) || sloOnPd) {
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
        `dpDispatch follow_bootstrap_room needs a prefill/decode router (only PD requests carry a bootstrap room${sloOnPd ? `; ${name} routes whole requests` : ''}); use round_robin, shortest_queue or minimum_tokens`,
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
      `the fleet has prefill/decode roles, so the policy must be a PD policy (${knownPdPolicies().join(', ')}) or AIBrix's slo family, not "${name}"`,
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
  } catch (err) {
    if (err instanceof RoutingConfigError) throw new InputError(err.message, ctx.file, ctx.where(['fleet']));
    throw err;
  }
  try {
    const options = name.trim() === 'slo-pd' ? sloPdHostOptions(cfg, instances) : (cfg.router.options ?? {});
    const policy = createPdPolicy(name, options);
    return { kind: 'pd', policy, link: linkResolver(cfg, instances, ctx) };
  } catch (err) {
    if (err instanceof RoutingConfigError) throw new InputError(err.message, ctx.file, ctx.where(policyErrorPath(err, cfg.router.options)));
    throw err;
  }
}

/**
 * Where in a config a policy's complaint about its options belongs: the option when the file
 * has it (an unknown one, or a value out of range: "router.options.alpha"), else the options,
 * else the policy name.
 */
export function policyErrorPath(err: RoutingConfigError, options: Record<string, unknown> | undefined): string[] {
  if (err instanceof UnknownOptionError) return ['router', 'options', err.option];
  const path = err.field?.split('.') ?? [];
  if (options && path.length > 0 && path[0] in options) return ['router', 'options', ...path];
  return options ? ['router', 'options'] : ['router', 'policy'];
}

/**
 * `slo-pd` options the experiment knows and the user left out: the SLO targets, the router mode,
 * the KV transfer cost per prompt token over RDMA, and a step-time profile per GPU type taken from
 * the instances' own timing model (standing in for a measured profile; see docs/pd.md).
 */
function sloPdHostOptions(cfg: ExperimentConfig, instances: readonly InstanceSpec[]): Record<string, unknown> {
  const given = cfg.router.options ?? {};
  const out: Record<string, unknown> = { ...given };
  if (out.ttftS === undefined && cfg.slo?.ttftMs !== undefined) out.ttftS = cfg.slo.ttftMs / 1000;
  if (out.tpotS === undefined && cfg.slo?.tpotMs !== undefined) out.tpotS = cfg.slo.tpotMs / 1000;
  out.mode ??= cfg.router.mode;
  const rdmaGBs = cfg.pd?.rdma?.bandwidthGBs ?? DEFAULT_RDMA.bandwidthGBs;
  const kvBytes = instances.find((s) => s.kvBytesPerToken !== undefined)?.kvBytesPerToken;
  if (out.transferSPerToken === undefined && kvBytes !== undefined) out.transferSPerToken = kvBytes / (rdmaGBs * 1e9);
  if (out.profile === undefined) {
    const profile: Record<string, Record<string, number>> = {};
    for (const s of instances) {
      const p = (profile[s.gpuType] ??= {});
      const t = (prefillTokens: number, prefillSeqs: number, decodeSeqs: number, decodeContextTokens: number) =>
        s.timing.stepTime({
          prefillTokens,
          prefillSeqs,
          // prompts of 1024 tokens, computed whole
          prefillAttentionPairs: prefillSeqs * 1024 * 512,
          prefillContextTokens: prefillTokens,
          decodeSeqs,
          decodeContextTokens,
          sharedKvTokens: 0,
          sharedKvDistinctTokens: 0,
        });
      if (s.role === 'prefill' && p.prefillTokensPerS === undefined) {
        // A full step of 1024-token prompts: the prefill instance's backlog rate.
        const c = s.config.maxNumBatchedTokens;
        p.prefillTokensPerS = c / t(c, Math.max(1, Math.round(c / 1024)), 0, 0);
      }
      if (s.role === 'decode' && p.decodeBaseS === undefined) {
        const base = t(0, 0, 1, 1);
        p.decodeBaseS = base;
        p.decodePerSeqS = Math.max(0, (t(0, 0, 64, 64) - base) / 63);
        p.decodePerKvTokenS = Math.max(0, (t(0, 0, 64, 64 * 2048) - t(0, 0, 64, 64)) / (64 * 2047));
      }
    }
    out.profile = profile;
  }
  return out;
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
