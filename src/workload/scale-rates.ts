/**
 * Source rates scaled so that they add up to `total`, the mix between sources kept. Rounded to
 * 1e-9 req/s so that 7:4 scaled to 22 gives 14, not 14.000000000000002, in results and point
 * ids; the experiment sweep's `rates:` and the capacity plan both scale through here, so a plan's
 * fleet rerun with `sim run` at the same total offers the same rates.
 */
export function scaleRates(rates: readonly number[], total: number): number[] {
  const sum = rates.reduce((a, r) => a + r, 0);
  return rates.map((r) => Math.round((r * total * 1e9) / sum) / 1e9);
}
