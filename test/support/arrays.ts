/** Small array helpers the tests share. */

/** Index of the largest value (the first one on ties). */
export function argmax(x: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < x.length; i++) if ((x[i] as number) > (x[best] as number)) best = i;
  return best;
}

/** The last row of a [T, V] row-major matrix. */
export function lastRow(x: Float64Array, T: number, V: number): Float64Array {
  return x.slice((T - 1) * V, T * V);
}
