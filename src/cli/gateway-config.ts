import { dirname, isAbsolute, resolve } from 'node:path';
import { loadProfiles } from '../experiment/load-profiles.js';
import { policyErrorPath } from '../experiment/resolve-router.js';
import { withTranspiledModule } from '../experiment/typescript-module.js';
import { gatewayConfigSchema, type GatewayConfig } from '../gateway/config.js';
import type { CoreRouter } from '../gateway/router-core.js';
import { InputError } from '../input-error.js';
import { checkGatewayLogFiles } from './gateway-log-files.js';
import {
  createPdPolicy,
  createPolicy,
  hasPdPolicy,
  knownPdPolicies,
  loadPolicyModule,
  RoutingConfigError,
  splitPdEndpoints,
  type ProfileSet,
  type RoutingPolicy,
} from '../routing/index.js';
import { readYamlFile } from '../yaml-input.js';

/**
 * Reads and checks a gateway config file and builds its router: the same validation, policy
 * registry, custom modules and profiles as experiment files, and the same one-line errors.
 */
export async function loadGatewayConfig(
  file: string,
  warn: (m: string) => void,
  /** Set when a gateway is about to write the config's logs (not when replaying one of them). */
  opts: { writesLogs?: boolean } = {},
): Promise<{ config: GatewayConfig; router: CoreRouter }> {
  const input = readYamlFile(file);
  const checked = input.check(gatewayConfigSchema, input.data);
  const where = input.where;
  const baseDir = dirname(file);
  // Log files, like every other path in the file, are relative to it, not to the working directory.
  const at = (p: string | undefined) => (p === undefined || isAbsolute(p) ? p : resolve(baseDir, p));
  const config: GatewayConfig = checked.log
    ? { ...checked, log: { decisions: at(checked.log.decisions), requests: at(checked.log.requests) } }
    : checked;
  if (opts.writesLogs) checkGatewayLogFiles(config.log, file, where);
  const ids = new Map<string, number>();
  config.endpoints.forEach((e, i) => {
    const id = e.name ?? new URL(e.url).host;
    if (ids.has(id)) throw new InputError(`endpoint "${id}" appears twice (endpoints[${ids.get(id)}] and endpoints[${i}]); give each a distinct name`, file, where(['endpoints', i]));
    ids.set(id, i);
  });
  const r = config.router;
  const disaggregated = config.endpoints.some((e) => e.role !== 'unified');
  const optionsError = (err: unknown): never => {
    if (err instanceof RoutingConfigError) throw new InputError(err.message, file, where(policyErrorPath(err, r.options)));
    throw err;
  };
  if (disaggregated) {
    if (!hasPdPolicy(r.policy)) {
      throw new InputError(`the endpoints have prefill/decode roles, so the policy must be a PD policy (${knownPdPolicies().join(', ')}), not "${r.policy}"`, file, where(['router', 'policy']));
    }
    try {
      splitPdEndpoints(
        config.endpoints.map((e, index) => ({ id: e.name ?? e.url, index, role: e.role, group: e.roleset }) as never),
        `PD policy "${r.policy}"`,
      );
    } catch (err) {
      if (err instanceof RoutingConfigError) throw new InputError(err.message, file, where(['endpoints']));
      throw err;
    }
    let policy;
    try {
      policy = createPdPolicy(r.policy, r.options ?? {});
    } catch (err) {
      optionsError(err);
    }
    return { config, router: { kind: 'pd', policy: policy!, pullSkipBlocked: r.pullSkipBlocked } };
  }
  if (hasPdPolicy(r.policy)) {
    throw new InputError(`"${r.policy}" is a prefill/decode policy, but no endpoint has role prefill or decode`, file, where(['router', 'policy']));
  }
  let profiles: ProfileSet | undefined;
  if (r.profiles) {
    const gpus = [...new Set(config.endpoints.map((e) => e.gpu))];
    profiles = loadProfiles(isAbsolute(r.profiles) ? r.profiles : resolve(baseDir, r.profiles), config.model, gpus, warn, { file, field: where(['router', 'profiles']) });
  }
  if (r.pullCapacity === 'pending-load' && !profiles) {
    throw new InputError('pullCapacity "pending-load" is AIBrix\'s profile-based capacity: give router.profiles (or use pullCapacity: instance)', file, where(['router', 'pullCapacity']));
  }
  const options = { ...r.options, ...(profiles && { profiles, model: config.model }) };
  let policy: RoutingPolicy;
  try {
    if (/^\.{0,2}\/|\.(m?js|ts)$/.test(r.policy)) {
      const path = isAbsolute(r.policy) ? r.policy : resolve(baseDir, r.policy);
      const factory = path.endsWith('.ts') ? await withTranspiledModule(path, loadPolicyModule) : await loadPolicyModule(path);
      policy = factory(options);
    } else policy = createPolicy(r.policy, options);
  } catch (err) {
    if (err instanceof InputError) throw err;
    return optionsError(err);
  }
  return {
    config,
    router: { kind: 'unified', policy, pullCapacity: r.pullCapacity, pullSkipBlocked: r.pullSkipBlocked, profiles, model: config.model, strategyHeader: r.strategyHeader },
  };
}
