import { ProfileFormatError, RoutingConfigError } from './errors.js';
import { parsePyJson, pyFloat, pyIntOrFloat, pyString } from './pyjson.js';

/**
 * AIBrix GPU profiles (`pkg/cache/model_gpu_profile.go`, written by the GPU optimizer's
 * `gen_profile.py`), read and written in AIBrix's exact layout:
 *
 * ```json
 * {"gpu": "<deployment>", "cost": 1.0, "tputs": [[...]], "indexes": [[out ticks], [in ticks]],
 *  "created": 1748888478.25, "e2e": [[...]], "ttft": [[...]], "slos": {"percentile": 99, "e2e": 5.0}}
 * ```
 *
 * Tables are indexed `[output bucket][input bucket]`. `tputs` is the highest request rate (RPS)
 * that met the SLO in the benchmark sweep (0 = no rate met it), `e2e`/`ttft` the mean latencies
 * at that rate. Lookups snap a request's (predicted output, prompt) to the nearest tick in log2
 * space, clamped at both ends (`GetSignature`, SignatureTolerance 0.5).
 */

export interface AibrixSlos {
  /** Percentile the latency SLOs were filtered at: 0 (mean), 50, 90, 99. */
  percentile?: number;
  /** Minimum request throughput, RPS. */
  tput?: number;
  /** Minimum token throughput, tokens/s. */
  tt?: number;
  /** End-to-end latency target, seconds. */
  e2e?: number;
  /** Time-to-first-token target, seconds. */
  ttft?: number;
  /** Time per (input + output) token target, seconds. */
  tpat?: number;
  /** Time per output token target, seconds. */
  tpot?: number;
}

export interface AibrixProfile {
  /** AIBrix's deployment name (the JSON field is called "gpu"). */
  gpu: string;
  cost?: number;
  /** Max RPS that met the SLO, [out][in]; 0 = no benchmarked rate met it. */
  tputs?: number[][];
  /** [output token ticks, input token ticks], ascending. */
  indexes: number[][];
  /** Unix seconds; the newest profile of a (model, deployment) wins. */
  created?: number;
  e2e?: number[][];
  ttft?: number[][];
  tpot?: number[][];
  slos?: AibrixSlos;
}

const TABLES = ['tputs', 'e2e', 'ttft', 'tpot'] as const;
type TableName = (typeof TABLES)[number];
const SLO_KEYS = ['percentile', 'tput', 'tt', 'e2e', 'ttft', 'tpat', 'tpot'] as const;
const TOP_KEYS = ['gpu', 'cost', 'tputs', 'indexes', 'created', 'e2e', 'ttft', 'tpot', 'slos'] as const;

/**
 * Parses an AIBrix profile from JSON text (or an already parsed object) and validates its
 * structure. Throws ProfileFormatError naming the field when a field is missing or mistyped.
 * Problems AIBrix tolerates at load time but that change routing (zero-throughput buckets, a
 * missing e2e table, no SLO, NaN cells) are reported through `warn`; see `profileIssues`.
 * Unknown top-level fields are ignored (as Go's decoder ignores them) with a warning.
 */
export function parseAibrixProfile(
  json: string | unknown,
  source?: string,
  warn?: (message: string) => void,
): AibrixProfile {
  const raw = typeof json === 'string' ? parsePyJson(json, source) : json;
  const fail = (field: string, msg: string): never => {
    throw new ProfileFormatError(`${msg} (AIBrix profile schema)`, source, field);
  };
  if (!isRecord(raw)) return fail('(root)', 'expected a JSON object');
  if (!('gpu' in raw)) fail('gpu', 'missing field "gpu" (the deployment name)');
  if (!('indexes' in raw)) fail('indexes', 'missing field "indexes" ([output ticks, input ticks])');

  const out: Record<string, unknown> = {};
  for (const key of Object.keys(raw)) {
    const v = raw[key];
    switch (key) {
      case 'gpu':
        if (typeof v !== 'string' || v === '') fail('gpu', `expected a non-empty string, got ${describe(v)}`);
        out.gpu = v;
        break;
      case 'cost':
      case 'created':
        if (typeof v !== 'number') fail(key, `expected a number, got ${describe(v)}`);
        out[key] = v;
        break;
      case 'indexes':
        out.indexes = parseIndexes(v, fail);
        break;
      case 'tputs':
      case 'e2e':
      case 'ttft':
      case 'tpot':
        if (v === null) break; // Go decodes null as a missing table
        out[key] = parseTable(v, key, fail);
        break;
      case 'slos':
        if (v === null) break;
        // Go's decoder would ignore an unknown SLO key, and the queue would then fall back to FIFO
        // for lack of a target: a misspelled metric is an error here instead.
        out.slos = parseSlos(v, fail, (k) =>
          fail(`slos.${k}`, `"${k}" is not one of AIBrix's profile SLOs (${SLO_KEYS.join(', ')})`),
        );
        break;
      default:
        warn?.(`${where(source)}unknown field "${key}" ignored (AIBrix's gateway ignores it too)`);
    }
  }
  const profile = out as unknown as AibrixProfile;
  const [outs, ins] = profile.indexes;
  for (const t of TABLES) {
    const table = profile[t];
    if (!table) continue;
    if (table.length !== outs.length) {
      fail(t, `has ${table.length} rows but indexes[0] lists ${outs.length} output ticks`);
    }
    for (let r = 0; r < table.length; r++) {
      if (table[r].length !== ins.length) {
        fail(`${t}[${r}]`, `has ${table[r].length} columns but indexes[1] lists ${ins.length} input ticks`);
      }
    }
  }
  if (warn) for (const issue of profileIssues(profile)) warn(`${where(source)}${issue}`);
  return profile;
}

/**
 * Writes a profile in the layout `gen_profile.py` produces (Python `json.dumps` defaults).
 * Fields are written in the profile object's key order; a profile written by AIBrix round-trips
 * byte for byte (`serializeAibrixProfile(parseAibrixProfile(text)) === text`).
 */
export function serializeAibrixProfile(profile: AibrixProfile): string {
  const parts: string[] = [];
  const p = profile as unknown as Record<string, unknown>;
  for (const key of Object.keys(p)) {
    const v = p[key];
    if (v === undefined || !(TOP_KEYS as readonly string[]).includes(key)) continue;
    let s: string;
    switch (key) {
      case 'gpu':
        s = pyString(v as string);
        break;
      case 'cost':
      case 'created':
        s = pyFloat(v as number);
        break;
      case 'indexes':
        s = `[${(v as number[][]).map((row) => `[${row.map(pyIntOrFloat).join(', ')}]`).join(', ')}]`;
        break;
      case 'slos': {
        const slos = v as Record<string, number | undefined>;
        const inner: string[] = [];
        for (const k of Object.keys(slos)) {
          const x = slos[k];
          if (x === undefined || !(SLO_KEYS as readonly string[]).includes(k)) continue;
          inner.push(`${pyString(k)}: ${k === 'percentile' ? pyIntOrFloat(x) : pyFloat(x)}`);
        }
        s = `{${inner.join(', ')}}`;
        break;
      }
      default:
        s = `[${(v as number[][]).map((row) => `[${row.map(pyFloat).join(', ')}]`).join(', ')}]`;
    }
    parts.push(`${pyString(key)}: ${s}`);
  }
  return `{${parts.join(', ')}}`;
}

/**
 * What AIBrix's gateway does with this profile's weak spots, one sentence each. Empty when the
 * profile is complete. Used for warnings at load time.
 */
export function profileIssues(profile: AibrixProfile): string[] {
  const issues: string[] = [];
  const name = `profile "${profile.gpu}"`;
  const bad = firstNonFinite(profile);
  if (bad) {
    issues.push(
      `${name} has ${bad.value} at ${bad.field}: AIBrix's gateway cannot load it (Go's JSON decoder rejects NaN/Infinity), ` +
        'so it is ignored and that deployment counts as having no profile',
    );
  }
  if (!profile.tputs) {
    issues.push(
      `${name} has no "tputs" table: slo and slo-pack-load reject requests they try to place on this deployment ` +
        '(AIBrix ErrProfileNoThroughput)',
    );
  } else {
    const zeros = zeroCells(profile);
    if (zeros.length > 0) {
      const total = profile.indexes[0].length * profile.indexes[1].length;
      const examples = zeros
        .slice(0, 3)
        .map(([o, i]) => `out=${profile.indexes[0][o]},in=${profile.indexes[1][i]}`)
        .join('; ');
      issues.push(
        `${name}: ${zeros.length} of ${total} buckets have tputs 0 (no benchmarked rate met the SLO; e.g. ${examples}); ` +
          'slo and slo-pack-load reject requests in these buckets when no other GPU type can take them (AIBrix ErrorSLOFailureRequest)',
      );
    }
  }
  if (!profile.e2e) {
    issues.push(
      `${name} has no "e2e" table: the SLO queue cannot rank requests on it and falls back to FIFO + least-request ` +
        'for every request, and its pending-load consumption counts as 0 (both as in AIBrix)',
    );
  }
  const slo = chosenSlo(profile.slos);
  if (!slo) {
    issues.push(`${name} has no SLO target in "slos": the SLO queue falls back to FIFO + least-request (AIBrix errNoSLO)`);
  } else if (slo === 'ttft' && !profile.ttft) {
    issues.push(
      `${name} targets slos.ttft but has no "ttft" table: the SLO queue falls back to FIFO + least-request (AIBrix ErrProfileNoTTFT)`,
    );
  }
  return issues;
}

/** Whether AIBrix's gateway could load the profile at all (no NaN or Infinity anywhere). */
export function isLoadableByAibrix(profile: AibrixProfile): boolean {
  return firstNonFinite(profile) === undefined;
}

/** The SLO the SLO queue ranks by: the first non-zero of tpot, ttft, tpat, e2e. */
export function chosenSlo(slos: AibrixSlos | undefined): 'tpot' | 'ttft' | 'tpat' | 'e2e' | undefined {
  if (!slos) return undefined;
  if ((slos.tpot ?? 0) > 0) return 'tpot';
  if ((slos.ttft ?? 0) > 0) return 'ttft';
  if ((slos.tpat ?? 0) > 0) return 'tpat';
  if ((slos.e2e ?? 0) > 0) return 'e2e';
  return undefined;
}

/**
 * Index of the tick nearest to `value` in log2 space (AIBrix `GetSignature` for one dimension):
 * clamped at both ends; between two ticks, the lower one when log2(value) is below their midpoint.
 */
export function nearestTick(ticksLog2: Float64Array, value: number): number {
  const n = ticksLog2.length;
  if (n <= 1) return 0;
  const v = Math.log2(value);
  if (v < ticksLog2[0]) return 0;
  if (v > ticksLog2[n - 1]) return n - 1;
  let left = 0;
  let right = n - 1;
  while (left < right - 1) {
    const mid = (left + right) >> 1;
    const t = ticksLog2[mid];
    if (v < t) right = mid;
    else if (v > t) left = mid;
    else return mid;
  }
  return v < ticksLog2[left] + (ticksLog2[right] - ticksLog2[left]) * 0.5 ? left : right;
}

/** A profile prepared for lookups: log2 ticks computed once. */
export class ProfileTable {
  readonly outTicks: Float64Array;
  readonly inTicks: Float64Array;
  constructor(readonly profile: AibrixProfile) {
    this.outTicks = Float64Array.from(profile.indexes[0], Math.log2);
    this.inTicks = Float64Array.from(profile.indexes[1], Math.log2);
  }
  outIndex(outputTokens: number): number {
    return nearestTick(this.outTicks, outputTokens);
  }
  inIndex(promptTokens: number): number {
    return nearestTick(this.inTicks, promptTokens);
  }
  /** Cell of a table at the signature of (output, prompt) tokens; undefined when the table is missing. */
  lookup(table: TableName, outputTokens: number, promptTokens: number): number | undefined {
    const t = this.profile[table];
    if (!t) return undefined;
    return t[this.outIndex(outputTokens)][this.inIndex(promptTokens)];
  }
}

/**
 * Profiles keyed by (model, GPU type). AIBrix keys them by (model, deployment name), exactly and
 * case-sensitively (the Redis key `aibrix:profile_<model>_<deployment>`,
 * vllm-project/aibrix@e3e10f9e:pkg/cache/model_gpu_profile.go ModelGPUProfileKey, looked up in
 * pkg/cache/cache_impl.go GetModelProfileByDeploymentName); here a deployment is the set of
 * endpoints with the same `gpuType`. When several profiles are added for the same key the newest
 * by `created` wins, as in AIBrix's profile cache. Profiles AIBrix could not load (NaN/Infinity)
 * are not added.
 */
export class ProfileSet {
  private readonly byModel = new Map<string, Map<string, ProfileTable>>();

  /** Adds a profile; returns false (after a warning) when AIBrix could not have loaded it. */
  add(model: string, gpuType: string, profile: AibrixProfile, warn?: (message: string) => void): boolean {
    if (!isLoadableByAibrix(profile)) {
      warn?.(`profile for model "${model}" on GPU type "${gpuType}" ignored: it contains NaN or Infinity`);
      return false;
    }
    let m = this.byModel.get(model);
    if (!m) this.byModel.set(model, (m = new Map()));
    const old = m.get(gpuType);
    if (old && (old.profile.created ?? 0) > (profile.created ?? 0)) return true;
    m.set(gpuType, new ProfileTable(profile));
    return true;
  }

  /** The profile for a GPU type of `model` (or of the only model when `model` is omitted). */
  get(gpuType: string, model?: string): ProfileTable | undefined {
    return this.forModel(model)?.get(gpuType);
  }

  /** All profiles of a model, keyed by GPU type. Without `model`: the only model's, if exactly one. */
  forModel(model?: string): ReadonlyMap<string, ProfileTable> | undefined {
    if (model !== undefined) return this.byModel.get(model);
    if (this.byModel.size === 1) return this.byModel.values().next().value;
    return undefined;
  }

  models(): string[] {
    return [...this.byModel.keys()].sort();
  }

  get size(): number {
    let n = 0;
    for (const m of this.byModel.values()) n += m.size;
    return n;
  }

  /**
   * The profiles of the model a policy uses. A model with no profile under exactly that name is
   * AIBrix's profile miss: an empty map (the SLO queue then warns and falls back to FIFO +
   * least-request). Without `model`, the only model's; several models are a config error.
   */
  resolveModel(model: string | undefined, who: string): ReadonlyMap<string, ProfileTable> {
    if (model !== undefined) return this.byModel.get(model) ?? new Map();
    if (this.byModel.size === 0) return new Map();
    if (this.byModel.size > 1) {
      throw new RoutingConfigError(
        `${who}: profiles cover several models (${this.models().join(', ')}); set the option "model"`,
        undefined,
        'model',
      );
    }
    return this.byModel.values().next().value as ReadonlyMap<string, ProfileTable>;
  }
}

// ---------------------------------------------------------------------------------------------

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return `string ${JSON.stringify(v.length > 40 ? v.slice(0, 40) + '...' : v)}`;
  return typeof v === 'object' ? 'an object' : `${typeof v} ${String(v)}`;
}

function where(source: string | undefined): string {
  return source ? `${source}: ` : '';
}

function parseIndexes(v: unknown, fail: (f: string, m: string) => never): number[][] {
  if (!Array.isArray(v)) return fail('indexes', `expected [[output ticks], [input ticks]], got ${describe(v)}`);
  if (v.length !== 2) return fail('indexes', `expected 2 tick lists ([output ticks], [input ticks]), got ${v.length}`);
  const res: number[][] = [];
  for (let d = 0; d < 2; d++) {
    const row = v[d];
    if (!Array.isArray(row) || row.length === 0) return fail(`indexes[${d}]`, `expected a non-empty array of ticks, got ${describe(row)}`);
    const ticks: number[] = [];
    for (let k = 0; k < row.length; k++) {
      const x = row[k];
      if (typeof x !== 'number' || !Number.isFinite(x) || x <= 0) {
        fail(`indexes[${d}][${k}]`, `expected a positive token count, got ${describe(x)}`);
      }
      if (k > 0 && x <= ticks[k - 1]) fail(`indexes[${d}][${k}]`, `ticks must be strictly ascending (${ticks[k - 1]} then ${x})`);
      ticks.push(x as number);
    }
    res.push(ticks);
  }
  return res;
}

function parseTable(v: unknown, name: string, fail: (f: string, m: string) => never): number[][] {
  if (!Array.isArray(v)) return fail(name, `expected a table (array of rows), got ${describe(v)}`);
  const rows: number[][] = [];
  for (let r = 0; r < v.length; r++) {
    const row = v[r];
    if (!Array.isArray(row)) return fail(`${name}[${r}]`, `expected a row (array of numbers), got ${describe(row)}`);
    const cells: number[] = [];
    for (let c = 0; c < row.length; c++) {
      const x = row[c];
      if (typeof x !== 'number') fail(`${name}[${r}][${c}]`, `expected a number, got ${describe(x)}`);
      if ((x as number) < 0) fail(`${name}[${r}][${c}]`, `expected a non-negative number, got ${x}`);
      cells.push(x as number);
    }
    rows.push(cells);
  }
  return rows;
}

function parseSlos(v: unknown, fail: (f: string, m: string) => never, unknownKey: (k: string) => void): AibrixSlos {
  if (!isRecord(v)) return fail('slos', `expected an object, got ${describe(v)}`);
  const out: Record<string, number> = {};
  for (const k of Object.keys(v)) {
    const x = v[k];
    if (!(SLO_KEYS as readonly string[]).includes(k)) {
      unknownKey(k);
      continue;
    }
    if (typeof x !== 'number' || !Number.isFinite(x) || x < 0) {
      fail(`slos.${k}`, `expected a non-negative number, got ${describe(x)}`);
    }
    if (k === 'percentile' && !Number.isInteger(x)) fail('slos.percentile', `expected an integer (0, 50, 90 or 99), got ${x}`);
    out[k] = x as number;
  }
  return out as AibrixSlos;
}

function firstNonFinite(profile: AibrixProfile): { field: string; value: number } | undefined {
  for (const t of TABLES) {
    const table = profile[t];
    if (!table) continue;
    for (let r = 0; r < table.length; r++) {
      for (let c = 0; c < table[r].length; c++) {
        const x = table[r][c];
        if (!Number.isFinite(x)) return { field: `${t}[${r}][${c}]`, value: x };
      }
    }
  }
  for (const k of ['cost', 'created'] as const) {
    const x = profile[k];
    if (x !== undefined && !Number.isFinite(x)) return { field: k, value: x };
  }
  return undefined;
}

function zeroCells(profile: AibrixProfile): Array<[number, number]> {
  const res: Array<[number, number]> = [];
  const t = profile.tputs;
  if (!t) return res;
  for (let o = 0; o < t.length; o++) for (let i = 0; i < t[o].length; i++) if (t[o][i] === 0) res.push([o, i]);
  return res;
}
