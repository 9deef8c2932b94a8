import type { Simulator } from '../engine/index.js';

/** The P->D path of a served fleet: one link model for every pair. */
export interface HandoffLink {
  bandwidthGBs: number;
  latencyS: number;
}

/** A finished prefill whose KV waits for its decode server. */
export interface HandoffSource {
  /** The KV has been copied: the prefill server frees it. */
  release(): void;
}

/**
 * The rendezvous of a disaggregated request's two halves inside one `sim serve` process, keyed
 * by the bootstrap room both bodies carry (SGLang's bootstrap_room; vLLM's kv_transfer_params).
 * Either side may come first: SGLang's router sends both at once, AIBrix's vLLM path sends the
 * decode only after the prefill answered. A prefill nobody claims within `holdS` frees its KV
 * (vLLM's NIXL connector also frees unclaimed blocks after a timeout).
 */
export class KvHandoff {
  private readonly offered = new Map<number, HandoffSource>();
  private readonly claims = new Map<number, (source: HandoffSource) => void>();

  constructor(
    private readonly sim: Simulator,
    private readonly link: HandoffLink,
    private readonly holdS = 120,
  ) {}

  /** Transfer time of `bytes` over the link (each transfer alone: bandwidth sharing is not modelled here). */
  transferSeconds(bytes: number): number {
    return this.link.latencyS + bytes / (this.link.bandwidthGBs * 1e9);
  }

  offer(room: number, release: () => void): void {
    let released = false;
    const source: HandoffSource = {
      release: () => {
        if (released) return;
        released = true;
        release();
      },
    };
    const claim = this.claims.get(room);
    if (claim) {
      this.claims.delete(room);
      claim(source);
      return;
    }
    this.offered.set(room, source);
    this.sim.schedule(this.sim.now + this.holdS, () => {
      if (this.offered.get(room) === source) {
        this.offered.delete(room);
        source.release();
      }
    });
  }

  claim(room: number, onReady: (source: HandoffSource) => void): void {
    const source = this.offered.get(room);
    if (source) {
      this.offered.delete(room);
      onReady(source);
      return;
    }
    this.claims.set(room, onReady);
  }

  /** Forgets a claim whose client went away before its prefill arrived. */
  drop(room: number): void {
    this.claims.delete(room);
  }
}
