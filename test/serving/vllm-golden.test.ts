/**
 * vLLM results are byte-identical to the engine before the instance was split into step clock,
 * scheduler and KV manager: the digest below was printed by the pre-split build
 * (`node test/serving/golden/vllm-world.mjs <its dist>`) and must not change.
 */
import { describe, expect, it } from 'vitest';
import * as cluster from '../../src/cluster/index.js';
import * as engine from '../../src/engine/index.js';
import * as metrics from '../../src/metrics/index.js';
import * as routing from '../../src/routing/index.js';
import * as serving from '../../src/serving/index.js';
// @ts-expect-error plain JS shared with the command line
import { vllmWorldDigest } from './golden/vllm-world.mjs';

const PRE_SPLIT_DIGEST = '9b3925300c9b65b2badf7cfe1e32b34bfa99a6db6e071cc2922b115be3b19153';

describe('vLLM engine after the split', () => {
  it('gives the pre-split timelines (preemption, chunked and whole prefill, prefix cache, push and pull)', () => {
    expect(vllmWorldDigest({ ...cluster, ...engine, ...metrics, ...routing, ...serving })).toBe(PRE_SPLIT_DIGEST);
  });
});
