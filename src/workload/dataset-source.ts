import type { Random } from '../engine/random.js';
import type { QuantileTableSpec, WorkloadDefinition } from './definition.js';
import { keepsLengths, type LengthFilter } from './length-filter.js';
import { prefixBlockHashes } from './prefix-hash.js';
import { QuantileTable } from './quantile-table.js';
import { DEFAULT_BLOCK_TOKENS, NO_PREFIX, newRequest } from './request.js';
import type { RequestSpec, RequestStream } from './types.js';
import { WeightedChoice } from './weighted-choice.js';

export interface LengthCaps {
  /** Prompts longer than this are cut to it (prefix hashes beyond it dropped). */
  maxPromptTokens?: number;
  /** Outputs longer than this are cut to it. */
  maxOutputTokens?: number;
  /** Draws outside these bounds are dropped and drawn again (before any cut). */
  filter?: LengthFilter;
}

/** Draws per axis of the grid that estimates the share of requests a filter keeps. */
const KEPT_SHARE_GRID = 200;

/**
 * An endless stream of synthetic requests drawn from a workload definition (arrival 0; a timing
 * layer sets it). With prefix groups, a request picks a group by weight and its prompt is the
 * group's shared prefix plus a sampled suffix; the prefix hashes are built once per group and
 * shared by all its requests. Three uniform draws per request: group, suffix, output.
 */
export class DatasetSource implements RequestStream {
  private readonly choice: WeightedChoice | undefined;
  private readonly prefixTokens: number[];
  private readonly hashes: (readonly number[])[];
  private readonly suffix: QuantileTable[];
  private readonly output: QuantileTable[];
  private readonly blockTokens: number;
  private readonly maxPrompt: number;
  private readonly maxOutput: number;
  private readonly filter: LengthFilter | undefined;

  constructor(
    def: WorkloadDefinition,
    private readonly random: Random,
    private readonly workloadClass: string,
    caps: LengthCaps = {},
  ) {
    this.maxPrompt = caps.maxPromptTokens ?? Infinity;
    this.maxOutput = caps.maxOutputTokens ?? Infinity;
    this.filter = caps.filter;
    const table = (spec: QuantileTableSpec) => new QuantileTable(spec.quantiles);
    if (def.prefixes === undefined) {
      this.choice = undefined;
      this.blockTokens = DEFAULT_BLOCK_TOKENS;
      this.prefixTokens = [0];
      this.hashes = [NO_PREFIX];
      this.suffix = [table(def.promptTokens!)];
      this.output = [table(def.outputTokens)];
      return;
    }
    const { groups, hashBlockTokens } = def.prefixes;
    this.blockTokens = hashBlockTokens;
    this.choice = new WeightedChoice(groups.map((g) => g.weight));
    this.prefixTokens = groups.map((g) => g.tokens);
    // A prompt cap shorter than the prefix keeps only the blocks that fit.
    this.hashes = groups.map((g) =>
      prefixBlockHashes(`${def.name}/${g.name}`, Math.min(g.tokens, this.maxPrompt), hashBlockTokens),
    );
    this.suffix = groups.map((g) => table(g.suffixTokens ?? def.suffixTokens!));
    this.output = groups.map((g) => table(g.outputTokens ?? def.outputTokens));
  }

  /**
   * The share of draws the filter keeps, on an even grid over each group's prompt and output
   * tables (1 without a filter). A share of 0 would make next() draw for ever; the caller reports it.
   */
  keptShare(): number {
    const f = this.filter;
    if (f === undefined) return 1;
    let share = 0;
    const groups = this.prefixTokens.length;
    for (let g = 0; g < groups; g++) {
      let kept = 0;
      for (let i = 0; i < KEPT_SHARE_GRID; i++) {
        const prompt = this.prefixTokens[g] + this.suffix[g].sample((i + 0.5) / KEPT_SHARE_GRID);
        for (let j = 0; j < KEPT_SHARE_GRID; j++) {
          if (keepsLengths(f, prompt, this.output[g].sample((j + 0.5) / KEPT_SHARE_GRID))) kept++;
        }
      }
      const weight = this.choice === undefined ? 1 : this.choice.weightShare(g);
      share += (weight * kept) / (KEPT_SHARE_GRID * KEPT_SHARE_GRID);
    }
    return share;
  }

  next(): RequestSpec {
    const random = this.random;
    let g: number;
    let prompt: number;
    let output: number;
    do {
      g = this.choice === undefined ? 0 : this.choice.pick(random());
      prompt = this.prefixTokens[g] + this.suffix[g].sample(random());
      output = this.output[g].sample(random());
    } while (this.filter !== undefined && !keepsLengths(this.filter, prompt, output));
    if (prompt > this.maxPrompt) prompt = this.maxPrompt;
    if (output > this.maxOutput) output = this.maxOutput;
    return newRequest(this.workloadClass, 0, prompt, output, this.hashes[g], this.blockTokens, undefined);
  }
}
