/**
 * Eigenvalues of a symmetric tridiagonal matrix (diagonal d, sub-diagonal e with e[i] coupling i and
 * i+1), float64, eigenvalues only.
 *
 * `tridiagonalEigenvalues` never fails: implicit QL with Wilkinson shifts (fast, O(n^2)) under an
 * iteration budget, and Sturm-sequence bisection (slower, but it converges for every finite input)
 * when QL runs out of it. The deflation test is relative (LAPACK's eps * (|d_m| + |d_m+1|)) with an
 * absolute floor at max(eps^2 * ||T||, the smallest normal number): an off-diagonal below the floor moves no eigenvalue by more than
 * the floor, far below the eps * ||T|| the tridiagonalisation already costs, and it stops QL from
 * chasing underflowing couplings between numerically-zero eigenvalues (rank-deficient Grams).
 */

/** QL sweeps allowed per eigenvalue before falling back to bisection (LAPACK allows 30). */
const QL_ITERATIONS_PER_EIGENVALUE = 30;
/** The smallest normal float64 (LAPACK's safmin). */
const MIN_NORMAL = 2 ** -1022;

/** Which method produced the eigenvalues (tests and diagnostics). */
export type TridiagonalMethod = 'ql' | 'bisection';

/**
 * Eigenvalues of the tridiagonal (d, e); e[n-1] is ignored. Inputs are not modified. Non-finite
 * input gives all-NaN output (no method converges on it; the caller reports the layer).
 */
export function tridiagonalEigenvalues(
  d: Float64Array,
  e: Float64Array,
  qlIterationsPerEigenvalue = QL_ITERATIONS_PER_EIGENVALUE,
): { values: Float64Array; method: TridiagonalMethod } {
  const n = d.length;
  const values = Float64Array.from(d);
  if (!allFinite(d, n) || !allFinite(e, n - 1)) return { values: values.fill(NaN), method: 'ql' };
  const off = new Float64Array(n);
  off.set(e.subarray(0, Math.max(0, n - 1)));
  if (implicitQL(values, off, qlIterationsPerEigenvalue)) return { values, method: 'ql' };
  return { values: bisectionEigenvalues(d, e), method: 'bisection' };
}

function allFinite(x: Float64Array, n: number): boolean {
  for (let i = 0; i < n; i++) if (!Number.isFinite(x[i] as number)) return false;
  return true;
}

/** max |d_i| + |e_i| + |e_i-1|: the infinity norm, an upper bound on every |eigenvalue|. */
function tridiagonalNorm(d: Float64Array, e: Float64Array, n: number): number {
  let norm = 0;
  for (let i = 0; i < n; i++) {
    const row = Math.abs(d[i] as number) + (i < n - 1 ? Math.abs(e[i] as number) : 0) + (i > 0 ? Math.abs(e[i - 1] as number) : 0);
    if (row > norm) norm = row;
  }
  return norm;
}

/**
 * Implicit QL with Wilkinson shifts (tqli without eigenvectors) on d, e in place; eigenvalues are
 * left in d, unordered. Returns false when the iteration budget is spent (d, e are then garbage).
 */
function implicitQL(d: Float64Array, e: Float64Array, iterationsPerEigenvalue: number): boolean {
  const n = d.length;
  // Subnormal couplings are deflated too: QL's shift arithmetic loses them anyway and never converges.
  const floor = Math.max(Number.EPSILON * Number.EPSILON * tridiagonalNorm(d, e, n), MIN_NORMAL);
  let budget = iterationsPerEigenvalue * n;
  for (let l = 0; l < n; l++) {
    for (;;) {
      let m = l;
      for (; m < n - 1; m++) {
        const em = Math.abs(e[m] as number);
        if (em <= floor || em <= Number.EPSILON * (Math.abs(d[m] as number) + Math.abs(d[m + 1] as number))) break;
      }
      if (m === l) break;
      if (budget-- <= 0) return false;
      qlSweep(d, e, l, m);
    }
  }
  return true;
}

/** sqrt(a^2 + b^2) without overflow or underflow: squares directly inside [2^-500, 2^500] (exact to
 * an ulp, like Math.hypot, which V8 runs several times slower), scaled by the larger outside it. */
function hypot2(a: number, b: number): number {
  const x = Math.abs(a);
  const y = Math.abs(b);
  const big = x > y ? x : y;
  if (big < 2 ** 500 && big > 2 ** -500) return Math.sqrt(x * x + y * y);
  if (!(big > 0)) return big === 0 ? 0 : Math.hypot(a, b); // 0, or NaN (Math.hypot's rules)
  const u = x / big;
  const v = y / big;
  return big === Infinity ? Infinity : big * Math.sqrt(u * u + v * v);
}

/** One implicit QL sweep with a Wilkinson shift over the unreduced block l..m. */
function qlSweep(d: Float64Array, e: Float64Array, l: number, m: number): void {
  let g = ((d[l + 1] as number) - (d[l] as number)) / (2 * (e[l] as number));
  let r = hypot2(g, 1);
  g = (d[m] as number) - (d[l] as number) + (e[l] as number) / (g + (g >= 0 ? r : -r));
  let s = 1;
  let c = 1;
  let p = 0;
  for (let i = m - 1; i >= l; i--) {
    const f = s * (e[i] as number);
    const b = c * (e[i] as number);
    r = hypot2(f, g);
    e[i + 1] = r;
    if (r === 0) {
      // Underflow: the block splits here; deflate and let the caller rescan.
      d[i + 1] = (d[i + 1] as number) - p;
      e[m] = 0;
      return;
    }
    s = f / r;
    c = g / r;
    g = (d[i + 1] as number) - p;
    r = ((d[i] as number) - g) * s + 2 * c * b;
    p = s * r;
    d[i + 1] = g + p;
    g = c * r - b;
  }
  d[l] = (d[l] as number) - p;
  e[l] = g;
  e[m] = 0;
}

/**
 * Number of eigenvalues of (d, e) below x, by the Sturm sequence of the LDL^T pivots of T - x I.
 * A pivot that would be smaller than `pivmin` is replaced by -pivmin (LAPACK dlaebz), so the count
 * is exact in floating point and never divides by zero.
 */
export function sturmCount(d: Float64Array, e: Float64Array, x: number, pivmin: number): number {
  const n = d.length;
  let count = 0;
  let q = (d[0] as number) - x;
  if (Math.abs(q) < pivmin) q = -pivmin;
  if (q < 0) count++;
  for (let i = 1; i < n; i++) {
    const ei = e[i - 1] as number;
    q = (d[i] as number) - x - (ei * ei) / q;
    if (Math.abs(q) < pivmin) q = -pivmin;
    if (q < 0) count++;
  }
  return count;
}

/**
 * All eigenvalues of (d, e) by bisection on Sturm counts, ascending. Each is bracketed in the
 * Gershgorin interval and halved until the bracket is below 2 eps max(|lo|, |hi|) + pivmin:
 * ~60 counts of O(n) per eigenvalue, O(60 n^2) in all.
 */
export function bisectionEigenvalues(d: Float64Array, e: Float64Array): Float64Array {
  const n = d.length;
  const out = new Float64Array(n);
  if (n === 0) return out;
  let lo = Infinity;
  let hi = -Infinity;
  let maxE2 = 0;
  for (let i = 0; i < n; i++) {
    const r = (i < n - 1 ? Math.abs(e[i] as number) : 0) + (i > 0 ? Math.abs(e[i - 1] as number) : 0);
    lo = Math.min(lo, (d[i] as number) - r);
    hi = Math.max(hi, (d[i] as number) + r);
    if (i < n - 1) maxE2 = Math.max(maxE2, (e[i] as number) ** 2);
  }
  const norm = Math.max(Math.abs(lo), Math.abs(hi));
  const pivmin = Number.MIN_VALUE * 2 ** 60 * Math.max(1, maxE2); // keeps 1/q finite
  const pad = 2 * Number.EPSILON * norm + pivmin;
  lo -= pad;
  hi += pad;
  for (let k = 0; k < n; k++) {
    // The k-th smallest: the smallest x with count(x) > k.
    let a = lo;
    let b = hi;
    for (let it = 0; it < 200 && b - a > 2 * Number.EPSILON * Math.max(Math.abs(a), Math.abs(b)) + pivmin; it++) {
      const mid = 0.5 * (a + b);
      if (mid === a || mid === b) break;
      if (sturmCount(d, e, mid, pivmin) > k) b = mid;
      else a = mid;
    }
    out[k] = 0.5 * (a + b);
    lo = a; // eigenvalues come in ascending order: the next one is not below this one's bracket
  }
  return out;
}
