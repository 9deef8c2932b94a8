/** Weighted linear least squares for a handful of unknowns, by the normal equations. */

/**
 * The x minimising sum_i w_i (a_i . x - b_i)^2. `rows` are the a_i. Solved by Gaussian
 * elimination with partial pivoting; fine for the 2-4 unknowns of the kernel fits.
 */
export function leastSquares(rows: readonly number[][], b: readonly number[], w?: readonly number[]): number[] {
  const n = rows[0].length;
  const ata = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  const atb = new Array<number>(n).fill(0);
  rows.forEach((a, i) => {
    const wi = w ? w[i] : 1;
    for (let r = 0; r < n; r++) {
      atb[r] += wi * a[r] * b[i];
      for (let c = 0; c < n; c++) ata[r][c] += wi * a[r] * a[c];
    }
  });
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(ata[r][col]) > Math.abs(ata[pivot][col])) pivot = r;
    [ata[col], ata[pivot]] = [ata[pivot], ata[col]];
    [atb[col], atb[pivot]] = [atb[pivot], atb[col]];
    for (let r = col + 1; r < n; r++) {
      const f = ata[r][col] / ata[col][col];
      for (let c = col; c < n; c++) ata[r][c] -= f * ata[col][c];
      atb[r] -= f * atb[col];
    }
  }
  const x = new Array<number>(n).fill(0);
  for (let r = n - 1; r >= 0; r--) {
    let s = atb[r];
    for (let c = r + 1; c < n; c++) s -= ata[r][c] * x[c];
    x[r] = s / ata[r][r];
  }
  return x;
}
