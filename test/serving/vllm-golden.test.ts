/**
 * vLLM results are byte-identical to the engine before the instance was split into step clock,
 * scheduler and KV manager: the digest below was printed by the pre-split build
 * (`node test/serving/golden/vllm-world.mjs <its dist>`) and must not change. Changed once on
 * purpose since: pull mode's capacity now leaves room for the prompts already queued at an
 * instance, which moves the pull world (the second) alone; the two push worlds kept their bytes.
 */
import { describe, expect, it } from 'vitest';
import * as cluster from '../../src/cluster/index.js';
import * as engine from '../../src/engine/index.js';
import * as metrics from '../../src/metrics/index.js';
import * as routing from '../../src/routing/index.js';
import * as serving from '../../src/serving/index.js';
// @ts-expect-error plain JS shared with the command line
import { vllmWorldDigest } from './golden/vllm-world.mjs';

const PRE_SPLIT_DIGEST = '826665157e38f5e0616c09f5a5831c41f2dc7ae6a1671f3b7fa13872cd57ce46';

describe('vLLM engine after the split', () => {
  it('gives the pre-split timelines (preemption, chunked and whole prefill, prefix cache, push and pull)', () => {
    expect(vllmWorldDigest({ ...cluster, ...engine, ...metrics, ...routing, ...serving })).toBe(PRE_SPLIT_DIGEST);
  });
});
