/**
 * What a router and a simulated engine need from an OpenAI-style request body: the prompt's
 * length in tokens, hashes of its leading blocks (prefix identity), the output budget and
 * whether to stream. There is no tokenizer here: a prompt given as token ids is counted exactly,
 * text is counted at 4 characters per token (OpenAI's rule of thumb for English).
 */

/** Characters per token for prompts given as text. */
export const CHARS_PER_TOKEN = 4;
/** Tokens per prefix-hash block: vLLM's default KV block size, so a simulated engine's prefix cache can use the hashes. */
export const HASH_BLOCK_TOKENS = 16;
/** Output budget when the request names none (vLLM: up to the context; here a bounded default). */
export const DEFAULT_MAX_TOKENS = 256;

export type ApiKind = 'completions' | 'chat';

export interface ParsedRequest {
  kind: ApiKind;
  model: string | undefined;
  promptTokens: number;
  /** Chained hashes of the prompt's full blocks of HASH_BLOCK_TOKENS tokens. */
  prefixHashes: number[];
  maxTokens: number;
  stream: boolean;
  /** stream_options.include_usage: a last chunk with usage. */
  includeUsage: boolean;
  /** OpenAI `user` field (a session or tenant key for session-aware policies). */
  user: string | undefined;
}

/** A body that is not a valid request: the HTTP layer answers 400 with this message. */
export class BadRequestError extends Error {}

/** Parses and checks a JSON request body for /v1/completions or /v1/chat/completions. */
export function parseRequestBody(kind: ApiKind, body: unknown): ParsedRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new BadRequestError('request body must be a JSON object');
  const b = body as Record<string, unknown>;
  let pieces: PromptPieces;
  if (kind === 'completions') {
    if (b.prompt === undefined) throw new BadRequestError('missing field "prompt"');
    pieces = promptPieces(b.prompt);
  } else {
    if (!Array.isArray(b.messages) || b.messages.length === 0) throw new BadRequestError('field "messages" must be a non-empty array');
    pieces = { text: b.messages.map(messageText).join('\n') };
  }
  const maxTokens = b.max_completion_tokens ?? b.max_tokens ?? DEFAULT_MAX_TOKENS;
  if (!Number.isInteger(maxTokens) || (maxTokens as number) < 1) throw new BadRequestError('max_tokens must be a positive integer');
  if (b.stream !== undefined && typeof b.stream !== 'boolean') throw new BadRequestError('stream must be a boolean');
  const opts = b.stream_options as Record<string, unknown> | undefined;
  const { tokens, hashes } = tokensAndHashes(pieces);
  return {
    kind,
    model: typeof b.model === 'string' ? b.model : undefined,
    promptTokens: tokens,
    prefixHashes: hashes,
    maxTokens: maxTokens as number,
    stream: b.stream === true,
    includeUsage: typeof opts === 'object' && opts !== null && opts.include_usage === true,
    user: typeof b.user === 'string' ? b.user : undefined,
  };
}

type PromptPieces = { text: string } | { ids: readonly number[] };

function promptPieces(prompt: unknown): PromptPieces {
  if (typeof prompt === 'string') return { text: prompt };
  if (Array.isArray(prompt)) {
    if (prompt.length === 1 && typeof prompt[0] === 'string') return { text: prompt[0] };
    if (prompt.length > 0 && prompt.every((t) => Number.isInteger(t))) return { ids: prompt as number[] };
    if (prompt.length === 1 && Array.isArray(prompt[0]) && prompt[0].every((t: unknown) => Number.isInteger(t))) return { ids: prompt[0] };
  }
  throw new BadRequestError('prompt must be a string or an array of token ids (one prompt per request)');
}

function messageText(m: unknown): string {
  if (typeof m !== 'object' || m === null) throw new BadRequestError('each message must be an object');
  const c = (m as Record<string, unknown>).content;
  if (typeof c === 'string') return c;
  if (Array.isArray(c)) return c.map((p) => (typeof p === 'object' && p !== null && typeof (p as { text?: unknown }).text === 'string' ? (p as { text: string }).text : '')).join('');
  if (c === null || c === undefined) return '';
  throw new BadRequestError('message content must be a string or an array of parts');
}

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** Token count and chained FNV-1a hashes of each full block (a block's hash covers everything before it). */
function tokensAndHashes(p: PromptPieces): { tokens: number; hashes: number[] } {
  const hashes: number[] = [];
  let h = FNV_OFFSET;
  if ('ids' in p) {
    for (let i = 0; i < p.ids.length; i++) {
      const id = p.ids[i];
      for (let k = 0; k < 4; k++) h = Math.imul(h ^ ((id >>> (8 * k)) & 0xff), FNV_PRIME) >>> 0;
      if ((i + 1) % HASH_BLOCK_TOKENS === 0) hashes.push(h);
    }
    return { tokens: Math.max(1, p.ids.length), hashes };
  }
  const text = p.text;
  const blockChars = HASH_BLOCK_TOKENS * CHARS_PER_TOKEN;
  for (let i = 0; i < text.length; i++) {
    h = Math.imul(h ^ text.charCodeAt(i), FNV_PRIME) >>> 0;
    if ((i + 1) % blockChars === 0) hashes.push(h);
  }
  return { tokens: Math.max(1, Math.ceil(text.length / CHARS_PER_TOKEN)), hashes };
}
