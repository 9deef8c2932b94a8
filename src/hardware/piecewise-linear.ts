/** Piecewise-linear interpolation over sorted points, with linear extrapolation beyond them. */
import { bisectRight } from 'd3-array';

export interface PiecewiseLinear {
  at(x: number): number;
}

export interface PiecewiseOptions {
  /** Below the first point: hold its value ('clamp') or continue the first segment ('extend'). */
  below: 'clamp' | 'extend';
}

/**
 * `xs` strictly increasing, `ys` the values there. Beyond the last point the last segment
 * continues; its slope is floored at 0 so that noise in the last two measurements cannot make
 * a step time fall as the batch grows.
 */
export function piecewiseLinear(xs: ArrayLike<number>, ys: ArrayLike<number>, opts: PiecewiseOptions): PiecewiseLinear {
  const x = Float64Array.from(xs);
  const y = Float64Array.from(ys);
  const n = x.length;
  if (n === 0) throw new Error('piecewiseLinear needs at least one point');
  if (n === 1) {
    const only = y[0];
    return { at: () => only };
  }
  const firstSlope = (y[1] - y[0]) / (x[1] - x[0]);
  const lastSlope = Math.max(0, (y[n - 1] - y[n - 2]) / (x[n - 1] - x[n - 2]));
  const clampBelow = opts.below === 'clamp';
  return {
    at(v: number): number {
      if (v <= x[0]) return clampBelow ? y[0] : y[0] + (v - x[0]) * firstSlope;
      if (v >= x[n - 1]) return y[n - 1] + (v - x[n - 1]) * lastSlope;
      const i = bisectRight(x, v); // x[i-1] <= v < x[i]
      const t = (v - x[i - 1]) / (x[i] - x[i - 1]);
      return y[i - 1] + t * (y[i] - y[i - 1]);
    },
  };
}
