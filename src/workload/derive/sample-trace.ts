import { exponential, randomStream } from '../../engine/random.js';
import { MOONCAKE_BLOCK_TOKENS } from '../trace/mooncake.js';

interface Session {
  input: number;
  output: number;
  hashes: number[];
}

/**
 * A small synthetic trace in Mooncake JSONL format (not taken from any dataset): Poisson
 * arrivals at 2 req/s, chat sessions whose every prompt starts with one shared 512-token system
 * block (hash 0), and follow-up turns that extend the previous turn's prompt and answer, so
 * their leading block ids repeat. Like Mooncake, hash_ids has one id per started block.
 */
export function sampleMooncakeTrace(count = 50, seed: string | number = 'routesim-sample'): string {
  const random = randomStream(seed, 'sample-trace');
  const sessions: Session[] = [];
  let nextHash = 1;
  let t = 0;
  const lines: string[] = [];
  const uniformInt = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));
  for (let i = 0; i < count; i++) {
    t += exponential(random, 2);
    let s: Session;
    let input: number;
    let keep: number[];
    if (sessions.length > 0 && random() < 0.5) {
      s = sessions[Math.floor(random() * sessions.length)];
      input = s.input + s.output + uniformInt(30, 600);
      keep = s.hashes.slice(0, Math.floor(s.input / MOONCAKE_BLOCK_TOKENS));
    } else {
      s = { input: 0, output: 0, hashes: [] };
      sessions.push(s);
      input = MOONCAKE_BLOCK_TOKENS + uniformInt(100, 4000);
      keep = [0];
    }
    const hashes = keep.slice();
    while (hashes.length < Math.ceil(input / MOONCAKE_BLOCK_TOKENS)) hashes.push(nextHash++);
    s.input = input;
    s.output = uniformInt(10, 700);
    s.hashes = hashes;
    lines.push(
      JSON.stringify({ timestamp: Math.round(t * 1000), input_length: input, output_length: s.output, hash_ids: hashes }),
    );
  }
  return lines.join('\n') + '\n';
}
