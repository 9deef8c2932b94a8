import { blockHash, blockStride, sharedBlocks } from './blocks.js';
import { Lru } from './lru.js';
import { growF64 } from './pick.js';
import type { EndpointView, RequestView, RoutingContext } from './types.js';

/**
 * llm-d's approximate prefix producer (`approx-prefix-cache-producer`), used by `llm-d` and by
 * both profiles of `llm-d-pd`: `blockTokens`-token blocks, at most `maxBlocks` per prompt, none for
 * prompts shorter than one block; a block counts for every endpoint holding it, in order, until a
 * block nobody holds; after the pick the prompt's blocks go into the chosen endpoint's LRU,
 * evictions removing the endpoint from the index.
 *
 * LRU size per endpoint, fixed when its LRU is created (its first add), as llm-d does
 * (llm-d/llm-d-inference-scheduler@520af47896e5f06e43d09aca281a1149187b0ffd:
 * pkg/epp/framework/plugins/requestcontrol/dataproducer/approximateprefix/plugin.go `makeserver`,
 * indexer.go `Add`): with `autoTune` (llm-d's default) the endpoint's KV block count
 * (`metrics.kvBlocks`, vLLM `cache_config_info` num_gpu_blocks) when it reports one, else
 * `lruCapacity` (llm-d's `lruCapacityPerServer`, 31250).
 *
 * Deviation: the requests' prefix hashes stand in for llm-d's chained xxh64 over 4-chars-per-token
 * blocks (see blocks.ts); the unique rest of a prompt takes LRU capacity as one entry.
 */
export class LlmDPrefixIndex {
  private readonly index = new Map<number, number[]>();
  private readonly lrus = new Map<number, Lru<null>>();
  private readonly caps = new Map<number, number>();
  private warnedHbt = -1; // request block size already warned about
  stride = 1;
  /** Router blocks of the prompt (capped), and of them the shared (hashable) ones. */
  blocks = 0;
  shared = 0;
  /** matched[i]: blocks of the prompt that endpoint i holds, after `match`. */
  matched = new Float64Array(8);

  constructor(
    private readonly P: string,
    private readonly blockTokens: number,
    private readonly maxBlocks: number,
    private readonly lruCapacity: number,
    private readonly autoTune = true,
  ) {}

  /** The LRU size an endpoint's index gets when it is created. */
  capacityFor(endpoint: EndpointView): number {
    const blocks = endpoint.metrics.kvBlocks;
    return this.autoTune && blocks !== undefined && Number.isFinite(blocks) && blocks > 0 ? blocks : this.lruCapacity;
  }

  /** Sets stride, blocks and shared for `req` (warns once per request block size that does not fit). */
  geometry(req: RequestView, ctx: RoutingContext): void {
    const stride = blockStride(req, this.blockTokens);
    if (stride * req.hashBlockTokens !== this.blockTokens && this.warnedHbt !== req.hashBlockTokens) {
      this.warnedHbt = req.hashBlockTokens;
      ctx.warn(
        `${this.P}: requests hash ${req.hashBlockTokens}-token blocks; llm-d's ${this.blockTokens}-token blocks are ` +
          `approximated by ${stride * req.hashBlockTokens}-token blocks`,
      );
    }
    const size = stride * req.hashBlockTokens;
    this.stride = stride;
    this.blocks = req.promptTokens < size ? 0 : Math.min(this.maxBlocks, Math.ceil(req.promptTokens / size));
    this.shared = Math.min(sharedBlocks(req, stride), this.blocks);
  }

  /** Tokens of one router block for the last geometry. */
  blockSize(req: RequestView): number {
    return this.stride * req.hashBlockTokens;
  }

  /** Fills `matched` for `endpoints` (call geometry first). */
  match(req: RequestView, endpoints: readonly EndpointView[]): void {
    const matched = (this.matched = growF64(this.matched, endpoints.length));
    for (let i = 0; i < endpoints.length; i++) matched[i] = 0;
    for (let j = 0; j < this.shared; j++) {
      const pods = this.index.get(blockHash(req, this.stride, j));
      if (!pods || pods.length === 0) break;
      for (let i = 0; i < endpoints.length; i++) if (pods.includes(endpoints[i].index)) matched[i]++;
    }
  }

  /** Records the prompt's blocks for `endpoint`, the one it was sent to. */
  add(req: RequestView, endpoint: EndpointView, ctx: RoutingContext): void {
    this.geometry(req, ctx);
    let lru = this.lrus.get(endpoint.index);
    let cap = this.caps.get(endpoint.index);
    if (!lru || cap === undefined) {
      this.lrus.set(endpoint.index, (lru = new Lru<null>()));
      this.caps.set(endpoint.index, (cap = this.capacityFor(endpoint)));
    }
    for (let j = 0; j < this.shared; j++) {
      const h = blockHash(req, this.stride, j);
      if (lru.touch(h)) continue;
      lru.put(h, null);
      const pods = this.index.get(h);
      if (pods) pods.push(endpoint.index);
      else this.index.set(h, [endpoint.index]);
    }
    const rest = this.blocks - this.shared;
    if (rest > 0) lru.put(-(req.id + 0.5), null, rest); // the prompt's unique blocks, as one entry
    while (lru.weight > cap) {
      const k = (lru.shift() as { key: number }).key;
      const pods = this.index.get(k);
      if (pods) {
        const at = pods.indexOf(endpoint.index);
        if (at >= 0) pods.splice(at, 1);
        if (pods.length === 0) this.index.delete(k);
      }
    }
  }
}
