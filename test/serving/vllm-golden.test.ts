/**
 * vLLM results are byte-identical to the engine before the instance was split into step clock,
 * scheduler and KV manager: the digest below was printed by the pre-split build
 * (`node test/serving/golden/vllm-world.mjs <its dist>`) and must not change. It was re-pinned
 * once, when AIBrix's prefix-cache policy moved to 128-character (32-token) blocks and dispatch
 * rejections got their kind: routing changes, not engine ones (the split alone kept 9b392530…).
 */
import { describe, expect, it } from 'vitest';
import * as cluster from '../../src/cluster/index.js';
import * as engine from '../../src/engine/index.js';
import * as metrics from '../../src/metrics/index.js';
import * as routing from '../../src/routing/index.js';
import * as serving from '../../src/serving/index.js';
// @ts-expect-error plain JS shared with the command line
import { vllmWorldDigest } from './golden/vllm-world.mjs';

const PRE_SPLIT_DIGEST = 'bb5b5c2a3e79e0ec84e4070773220afe93ed8f5b6a9550878bb4ceaa8b2bee64';

describe('vLLM engine after the split', () => {
  it('gives the pre-split timelines (preemption, chunked and whole prefill, prefix cache, push and pull)', () => {
    expect(vllmWorldDigest({ ...cluster, ...engine, ...metrics, ...routing, ...serving })).toBe(PRE_SPLIT_DIGEST);
  });
});
