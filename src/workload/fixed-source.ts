import { DEFAULT_BLOCK_TOKENS, NO_PREFIX, newRequest } from './request.js';
import type { RequestSpec, RequestStream } from './types.js';

/** Every request has the same prompt and output length and shares nothing (benchmark "random" data with fixed lengths). */
export class FixedLengthSource implements RequestStream {
  constructor(
    private readonly promptTokens: number,
    private readonly outputTokens: number,
    private readonly workloadClass: string,
  ) {}

  next(): RequestSpec {
    return newRequest(this.workloadClass, 0, this.promptTokens, this.outputTokens, NO_PREFIX, DEFAULT_BLOCK_TOKENS, undefined);
  }
}
