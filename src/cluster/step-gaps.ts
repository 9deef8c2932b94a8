import type { BatchShape, TimingModel } from '../hardware/types.js';
import type { ClassGaps, GapPool } from '../metrics/index.js';

/**
 * A server's timing model that also feeds the run's inter-token gap pool. A decoding sequence's
 * previous token came out at the end of the step before (its prefill's, a decode's, or, moved in
 * from a prefill server, the first token at this step's start) and steps with decodes run back to
 * back, so each of the step's decode tokens adds one gap equal to the step's duration. Nothing in
 * the instance changes, and nothing is stored per token.
 */
export class StepGaps implements TimingModel {
  readonly name: string;

  constructor(
    private readonly inner: TimingModel,
    private readonly pool: GapPool,
    /** The per-class gaps' step log of this rank, and its index there. */
    private readonly classGaps: ClassGaps,
    private readonly log: number,
  ) {
    this.name = inner.name;
  }

  stepTime(batch: BatchShape): number {
    const d = this.inner.stepTime(batch);
    if (batch.decodeSeqs > 0) {
      this.pool.add(d, batch.decodeSeqs);
      this.classGaps.step(this.log, d);
    }
    return d;
  }
}
