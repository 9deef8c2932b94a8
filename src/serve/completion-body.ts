import type { ApiKind } from '../llm-http/index.js';

/** The dummy text of one output token (4 characters: one token by the 4-characters rule). */
export const TOKEN_TEXT = ' tok';

/** Builds the OpenAI response objects of one request (non-streamed body, or streamed chunks). */
export class CompletionBody {
  constructor(
    private readonly kind: ApiKind,
    private readonly id: string,
    private readonly model: string,
    private readonly created: number,
  ) {}

  private get object(): string {
    return this.kind === 'chat' ? 'chat.completion' : 'text_completion';
  }

  usage(promptTokens: number, completionTokens: number) {
    return { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens };
  }

  full(tokens: number, promptTokens: number, extra: Record<string, unknown> = {}) {
    const text = TOKEN_TEXT.repeat(tokens);
    const choice =
      this.kind === 'chat'
        ? { index: 0, message: { role: 'assistant', content: text }, logprobs: null, finish_reason: 'length' }
        : { index: 0, text, logprobs: null, finish_reason: 'length' };
    return { id: this.id, object: this.object, created: this.created, model: this.model, choices: [choice], usage: this.usage(promptTokens, tokens), ...extra };
  }

  /** The chat stream's first chunk announces the role (as vLLM does). */
  roleChunk() {
    return this.chunk({ index: 0, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null });
  }

  tokenChunk() {
    return this.chunk(
      this.kind === 'chat'
        ? { index: 0, delta: { content: TOKEN_TEXT }, logprobs: null, finish_reason: null }
        : { index: 0, text: TOKEN_TEXT, logprobs: null, finish_reason: null },
    );
  }

  finishChunk() {
    return this.chunk(
      this.kind === 'chat' ? { index: 0, delta: {}, logprobs: null, finish_reason: 'length' } : { index: 0, text: '', logprobs: null, finish_reason: 'length' },
    );
  }

  usageChunk(promptTokens: number, tokens: number) {
    return { id: this.id, object: this.chunkObject, created: this.created, model: this.model, choices: [], usage: this.usage(promptTokens, tokens) };
  }

  private get chunkObject(): string {
    return this.kind === 'chat' ? 'chat.completion.chunk' : 'text_completion';
  }

  private chunk(choice: unknown) {
    return { id: this.id, object: this.chunkObject, created: this.created, model: this.model, choices: [choice] };
  }
}
