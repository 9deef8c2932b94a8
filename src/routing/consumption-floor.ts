import { CONSUMPTION_SLO_FAILURE } from './pending-load.js';
import type { SimpleOutputPredictor } from './predictor.js';
import type { ProfileTable } from './profiles.js';

/**
 * The smallest consumption 1/(tput x E2E) a request can be found to have on one profile, over
 * every output length the predictor could draw for its prompt right now: a lower bound that lets
 * the SLO queue know, without drawing, that a capacity check fails on every endpoint of a GPU type
 * (U + c > cap for the least U and the least c means it fails for all of them).
 *
 * NaN when some possible draw lands on a cell that is not a plain number (tput 0, i.e. an SLO
 * failure, or NaN): then the outcome is not a capacity failure for certain and the caller must
 * evaluate. Cached per (input bucket, prompt column) until the predictor's set of possible
 * predictions changes (`presenceEpoch`), which is far rarer than a trace being added.
 */
export class ConsumptionFloor {
  /** Table row of the prediction 2^k, per predictor output bucket k. */
  private readonly rows: Int32Array;
  private readonly floors: Float64Array;
  /** presenceEpoch + 1 at which floors[i] was computed; 0 = never. */
  private readonly epochs: Float64Array;

  constructor(
    readonly table: ProfileTable,
    readonly predictor: SimpleOutputPredictor,
  ) {
    this.rows = new Int32Array(predictor.outputBuckets);
    for (let k = 0; k < predictor.outputBuckets; k++) this.rows[k] = table.outIndex(predictor.prediction(k));
    this.floors = new Float64Array(predictor.inputBuckets * table.cols);
    this.epochs = new Float64Array(predictor.inputBuckets * table.cols);
  }

  /** The table row of the prediction 2^k (predictor output bucket k). */
  rowOf(k: number): number {
    return this.rows[k];
  }

  /** The floor for a prompt of `promptTokens` (see the class comment). */
  of(promptTokens: number): number {
    const flat = this.table.consumptionFlat;
    if (!flat) return Number.NaN;
    const cols = this.table.cols;
    const col = this.table.inIndex(promptTokens);
    const p = this.predictor;
    const ib = p.inputBucket(promptTokens);
    if (p.historyIn(ib) === 0) {
      // No history: the prediction is fixed (and drawn from no stream).
      return plain(flat[this.table.outIndex(p.coldPrediction(promptTokens)) * cols + col]);
    }
    const at = ib * cols + col;
    if (this.epochs[at] === p.presenceEpoch + 1) return this.floors[at];
    let floor = Infinity;
    for (let k = 0; k < p.outputBuckets; k++) {
      if (!p.canPredict(ib, k)) continue;
      const c = plain(flat[this.rows[k] * cols + col]);
      if (Number.isNaN(c)) {
        floor = Number.NaN;
        break;
      }
      if (c < floor) floor = c;
    }
    this.floors[at] = floor;
    this.epochs[at] = p.presenceEpoch + 1;
    return floor;
  }
}

/** The consumption itself, or NaN for the cells that are not a capacity figure (SLO failure, NaN). */
function plain(c: number): number {
  return c === CONSUMPTION_SLO_FAILURE ? Number.NaN : c;
}
