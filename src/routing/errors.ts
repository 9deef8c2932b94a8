/**
 * The routing library's own error classes. It imports nothing from the rest of the project, so a
 * host (the simulator's CLI, a live gateway) maps them to its own reporting: every
 * `RoutingConfigError` is bad user input (exit code 2 in the CLI), a `PolicyRuntimeError` is a
 * policy that failed while routing one request.
 */

/** Base class of every error the routing library throws on purpose. */
export class RoutingError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RoutingError';
  }
}

/** Bad configuration: unknown policy, malformed option, malformed file. */
export class RoutingConfigError extends RoutingError {
  constructor(
    message: string,
    /** The file at fault, when there is one. */
    readonly source?: string,
    /** The field path ("tputs[2][3]", "weights") or "line 12" within the source. */
    readonly field?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'RoutingConfigError';
  }

  /** "source: field: message", leaving out the parts that are unknown. */
  format(): string {
    return [this.source, this.field, this.message].filter(Boolean).join(': ');
  }
}

/** A policy name that no factory is registered for. */
export class UnknownPolicyError extends RoutingConfigError {
  constructor(
    readonly policy: string,
    known: readonly string[],
  ) {
    super(`unknown routing policy "${policy}"; known policies: ${known.join(', ')}`, undefined, 'policy');
    this.name = 'UnknownPolicyError';
  }
}

/** A prefill/decode policy name that no PD factory is registered for. */
export class UnknownPdPolicyError extends RoutingConfigError {
  constructor(
    readonly policy: string,
    known: readonly string[],
  ) {
    super(`unknown prefill/decode routing policy "${policy}"; known PD policies: ${known.join(', ')}`, undefined, 'policy');
    this.name = 'UnknownPdPolicyError';
  }
}

/**
 * A fleet a prefill/decode gateway cannot route over: no prefill or no decode endpoint, a
 * roleset (endpoint group) with only one role, an endpoint with role "unified".
 */
export class PdFleetError extends RoutingConfigError {
  constructor(message: string) {
    super(message, undefined, 'fleet');
    this.name = 'PdFleetError';
  }
}

/** Policy options the policy does not know (a misspelling would otherwise be ignored). */
export class UnknownOptionError extends RoutingConfigError {
  constructor(
    message: string,
    readonly option: string,
  ) {
    super(message, undefined, option);
    this.name = 'UnknownOptionError';
  }
}

/** A multi-strategy string (`a:w,b`) that AIBrix's parser would refuse. */
export class StrategyFormatError extends RoutingConfigError {
  constructor(
    message: string,
    readonly strategy: string,
  ) {
    super(`${message} (in routing strategy "${strategy}")`, undefined, 'policy');
    this.name = 'StrategyFormatError';
  }
}

/** A profile that is not in AIBrix's profile schema. `field` names the offending field. */
export class ProfileFormatError extends RoutingConfigError {
  constructor(message: string, source: string | undefined, field: string | undefined) {
    super(message, source, field);
    this.name = 'ProfileFormatError';
  }
}

/** A custom policy module that does not export the policy interface. */
export class PolicyModuleError extends RoutingConfigError {
  constructor(message: string, source: string, options?: { cause?: unknown }) {
    super(message, source, undefined, options);
    this.name = 'PolicyModuleError';
  }
}

/** A policy threw while routing a request. Carries the policy name and the request id. */
export class PolicyRuntimeError extends RoutingError {
  constructor(
    readonly policy: string,
    readonly requestId: number,
    /** What the gateway was doing: "select", "onDispatch", "queue.next", ... */
    readonly phase: string,
    cause: unknown,
  ) {
    const why = cause instanceof Error ? cause.message : String(cause);
    super(`routing policy "${policy}" failed in ${phase} for request ${requestId}: ${why}`, { cause });
    this.name = 'PolicyRuntimeError';
  }
}
