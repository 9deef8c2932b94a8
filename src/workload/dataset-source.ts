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

/** Prompt draws over which the share a prompt-plus-output bound keeps is averaged. */
const KEPT_SHARE_STEPS = 1000;

/**
 * An endless stream of synthetic requests drawn from a workload definition (arrival 0; a timing
 * layer sets it). With prefix groups, a request picks a group by weight and its prompt is the
 * group's shared prefix plus a sampled suffix; the prefix hashes are built once per group and
 * shared by all its requests. Three uniform draws per request (group, suffix, output), repeated
 * while a filter drops the draw: a dropped request's group is drawn again too, so a filter that
 * drops more of one group's requests shifts the mix towards the others.
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
   * The share of draws the filter keeps (1 without one): per group, the prompt and output bounds
   * exactly from the tables, the prompt + output bound averaged over the kept prompts; groups
   * weighted by their pick probability. The caller rejects a share too small to draw from.
   */
  keptShare(): number {
    const f = this.filter;
    if (f === undefined) return 1;
    const minOut = f.minOutputTokens ?? 1;
    let share = 0;
    for (let g = 0; g < this.prefixTokens.length; g++) {
      const prefix = this.prefixTokens[g];
      const suffix = this.suffix[g];
      const output = this.output[g];
      // u-interval of the suffix draw whose prompt meets the prompt bounds (samples are monotone in u).
      const uLo = suffix.probAtMost((f.minPromptTokens ?? 1) - prefix - 1);
      const uHi = suffix.probAtMost((f.maxPromptTokens ?? Infinity) - prefix);
      let kept = 0;
      if (uHi > uLo) {
        if (f.maxTotalTokens === undefined) {
          kept = (uHi - uLo) * output.probBetween(minOut, Infinity);
        } else {
          let sum = 0;
          for (let i = 0; i < KEPT_SHARE_STEPS; i++) {
            const prompt = prefix + suffix.sample(uLo + ((i + 0.5) / KEPT_SHARE_STEPS) * (uHi - uLo));
            sum += output.probBetween(minOut, f.maxTotalTokens - prompt);
          }
          kept = ((uHi - uLo) * sum) / KEPT_SHARE_STEPS;
        }
      }
      share += (this.choice === undefined ? 1 : this.choice.weightShare(g)) * kept;
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
