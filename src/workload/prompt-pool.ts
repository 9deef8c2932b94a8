import type { Random } from '../engine/random.js';
import { hashString53 } from './prefix-hash.js';
import { newRequest } from './request.js';
import type { RequestSpec, RequestStream } from './types.js';

export interface PromptPoolSpec {
  /** S distinct shared system prefixes. */
  prefixes: number;
  /** Q questions per prefix: the pool holds S × Q prompts. */
  questions: number;
  prefixTokens: number;
  questionTokens: number;
  outputTokens: number;
  /** cyclic: prompt i mod (S·Q) of an order shuffled once; random: a uniform draw per request. */
  order: 'cyclic' | 'random';
  /** Cyclic order only: shuffle the pool once before cycling (default true), else prefix-major order. */
  shuffle: boolean;
}

/**
 * A fixed pool of S shared system prefixes × Q questions, as inference-perf's shared_prefix data
 * generator builds (kubernetes-sigs/inference-perf@7de5ef2:
 * inference_perf/datagen/synthetic/shared_prefix_datagen.py: request i uses prompt i mod pool).
 *
 * Prefix hashes cover every full block of the prompt at `blockTokens` (the engine's KV block):
 * blocks wholly inside the system prefix are shared by the prefix's Q prompts, later blocks are
 * the prompt's own, so a repeat of the same prompt hits the cache for all its full blocks.
 */
export class PromptPoolSource implements RequestStream {
  private readonly hashes: (readonly number[])[] = [];
  private readonly order: Int32Array;
  private readonly promptTokens: number;
  private i = 0;

  constructor(
    private readonly spec: PromptPoolSpec,
    private readonly random: Random,
    private readonly workloadClass: string,
    /** Distinguishes this pool's hashes from every other source's. */
    key: string,
    private readonly blockTokens: number,
    maxPromptTokens = Infinity,
  ) {
    const size = spec.prefixes * spec.questions;
    const prompt = Math.min(spec.prefixTokens + spec.questionTokens, maxPromptTokens);
    this.promptTokens = prompt;
    const blocks = Math.floor(prompt / blockTokens);
    const shared = Math.floor(Math.min(spec.prefixTokens, prompt) / blockTokens);
    for (let g = 0; g < spec.prefixes; g++) {
      for (let q = 0; q < spec.questions; q++) {
        const h = new Array<number>(blocks);
        for (let b = 0; b < blocks; b++) h[b] = hashString53(b < shared ? `${key}/p${g}#${b}` : `${key}/p${g}q${q}#${b}`);
        this.hashes.push(Object.freeze(h));
      }
    }
    this.order = new Int32Array(size);
    for (let k = 0; k < size; k++) this.order[k] = k;
    if (spec.order === 'cyclic' && spec.shuffle) {
      // Fisher–Yates, once, from this source's stream.
      for (let k = size - 1; k > 0; k--) {
        const j = Math.floor(random() * (k + 1));
        const t = this.order[k];
        this.order[k] = this.order[j];
        this.order[j] = t;
      }
    }
  }

  /** Number of prompts in the pool. */
  get size(): number {
    return this.order.length;
  }

  next(): RequestSpec {
    const size = this.order.length;
    const p = this.spec.order === 'cyclic' ? this.order[this.i++ % size] : Math.floor(this.random() * size);
    return newRequest(this.workloadClass, 0, this.promptTokens, this.spec.outputTokens, this.hashes[p], this.blockTokens, undefined);
  }
}
