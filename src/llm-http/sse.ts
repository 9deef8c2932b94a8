/**
 * Server-sent events as OpenAI-compatible servers stream them: `data: <json>\n\n` per chunk and
 * `data: [DONE]\n\n` at the end.
 */

export function sseData(payload: unknown): string {
  return `data: ${JSON.stringify(payload)}\n\n`;
}

export const SSE_DONE = 'data: [DONE]\n\n';

export const SSE_HEADERS = {
  'content-type': 'text/event-stream',
  'cache-control': 'no-cache',
  connection: 'keep-alive',
} as const;

/**
 * Splits a byte stream into SSE events and hands each event's data to `onData` (the text after
 * `data:`, lines joined). Keeps a partial event between chunks.
 */
export class SseParser {
  private buffer = '';

  constructor(private readonly onData: (data: string) => void) {}

  push(chunk: string): void {
    this.buffer += chunk;
    for (;;) {
      const end = this.eventEnd();
      if (end < 0) return;
      const raw = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + (this.buffer.startsWith('\r\n\r\n', end) ? 4 : 2));
      const data: string[] = [];
      for (const line of raw.split(/\r?\n/)) {
        if (line.startsWith('data:')) data.push(line.slice(line.startsWith('data: ') ? 6 : 5));
      }
      if (data.length > 0) this.onData(data.join('\n'));
    }
  }

  private eventEnd(): number {
    const a = this.buffer.indexOf('\n\n');
    const b = this.buffer.indexOf('\r\n\r\n');
    if (a < 0) return b;
    if (b < 0) return a;
    return Math.min(a, b);
  }
}

/**
 * Output tokens a streamed chunk carries: vLLM and SGLang send one token per chunk (text or
 * delta.content); chunks without text (role announcement, usage, finish) carry none.
 */
export function chunkTokens(chunk: unknown): number {
  if (typeof chunk !== 'object' || chunk === null) return 0;
  const choices = (chunk as { choices?: unknown }).choices;
  if (!Array.isArray(choices)) return 0;
  let n = 0;
  for (const c of choices) {
    if (typeof c !== 'object' || c === null) continue;
    const text = (c as { text?: unknown }).text;
    const delta = (c as { delta?: { content?: unknown } }).delta;
    if ((typeof text === 'string' && text !== '') || (typeof delta?.content === 'string' && delta.content !== '')) n++;
  }
  return n;
}

/** usage.completion_tokens of a response or final chunk, if present. */
export function usageCompletionTokens(body: unknown): number | undefined {
  const u = (body as { usage?: { completion_tokens?: unknown } } | null)?.usage;
  return typeof u?.completion_tokens === 'number' ? u.completion_tokens : undefined;
}

/**
 * The completion stream of an OpenAI-style server, read chunk by chunk: calls `onTokens(n)` for
 * every chunk that carries output tokens and keeps the last `usage.completion_tokens` seen.
 * Chunks that are not JSON and the final `[DONE]` are skipped.
 */
export class CompletionStreamReader {
  /** usage.completion_tokens of the last chunk that had one. */
  usageTokens: number | undefined;
  private readonly sse: SseParser;

  constructor(onTokens: (n: number) => void) {
    this.sse = new SseParser((data) => {
      if (data === '[DONE]') return;
      let chunk: unknown;
      try {
        chunk = JSON.parse(data);
      } catch {
        return;
      }
      const usage = usageCompletionTokens(chunk);
      if (usage !== undefined) this.usageTokens = usage;
      const n = chunkTokens(chunk);
      if (n > 0) onTokens(n);
    });
  }

  push(chunk: string): void {
    this.sse.push(chunk);
  }
}
