import { describe, expect, it } from 'vitest';
import { CompletionStreamReader } from '../../src/llm-http/index.js';

describe('CompletionStreamReader', () => {
  it('counts token chunks split anywhere across pushes and keeps the last usage', () => {
    const counts: number[] = [];
    const reader = new CompletionStreamReader((n) => counts.push(n));
    const stream =
      'data: {"choices":[{"delta":{"role":"assistant"}}]}\n\n' +
      'data: {"choices":[{"text":"a"}]}\n\n' +
      'data: not json\n\n' +
      'data: {"choices":[{"text":"b"},{"text":"c"}]}\r\n\r\n' +
      'data: {"choices":[],"usage":{"completion_tokens":3}}\n\n' +
      'data: [DONE]\n\n';
    // Byte-at-a-time pushes exercise the partial-event buffer.
    for (const ch of stream) reader.push(ch);
    expect(counts).toEqual([1, 2]);
    expect(reader.usageTokens).toBe(3);
  });

  it('reports no usage when the server sends none', () => {
    const reader = new CompletionStreamReader(() => {});
    reader.push('data: {"choices":[{"text":"x"}]}\n\ndata: [DONE]\n\n');
    expect(reader.usageTokens).toBeUndefined();
  });
});
