/**
 * Eigenvalues of a symmetric tridiagonal matrix (diagonal d, sub-diagonal e with e[i] coupling i and
 * i+1), float64, eigenvalues only.
 *
 * `tridiagonalEigenvalues` never fails: root-free QL with a Wilkinson-type shift (fast, O(n^2); LAPACK
 * dsterf's eigenvalue-only QL) under an iteration budget, and Sturm-sequence bisection (slower, but it converges for every finite input)
 * when QL runs out of it. The deflation test is relative (LAPACK's eps * (|d_m| + |d_m+1|)) with an
 * absolute floor at max(eps^2 * ||T||, the smallest normal number): an off-diagonal below the floor moves no eigenvalue by more than
 * the floor, far below the eps * ||T|| the tridiagonalisation already costs, and it stops QL from
 * chasing underflowing couplings between numerically-zero eigenvalues (rank-deficient Grams).
 * `tridiagonalEigenvaluesPair` solves two tridiagonals with their QL sweeps interleaved (the spectra with and
 * without BOS come in pairs): each sweep is a chain of dependent operations, so two chains side by side use the
 * core's idle units; the results are bit for bit those of two separate calls.
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
  if (!allFinite(d, n) || !allFinite(e, n - 1)) return { values: new Float64Array(n).fill(NaN), method: 'ql' };
  const [values, off] = qlInputs(d, e);
  if (rootFreeQL(values, off, qlIterationsPerEigenvalue)) return { values, method: 'ql' };
  return { values: bisectionEigenvalues(d, e), method: 'bisection' };
}

/**
 * tridiagonalEigenvalues of two tridiagonals, their QL sweeps interleaved (rootFreeQLPair): the same results as
 * two calls, in ~0.6x the QL time. Each falls back to bisection on its own.
 */
export function tridiagonalEigenvaluesPair(
  dA: Float64Array,
  eA: Float64Array,
  dB: Float64Array,
  eB: Float64Array,
  qlIterationsPerEigenvalue = QL_ITERATIONS_PER_EIGENVALUE,
): [{ values: Float64Array; method: TridiagonalMethod }, { values: Float64Array; method: TridiagonalMethod }] {
  const finiteA = allFinite(dA, dA.length) && allFinite(eA, dA.length - 1);
  const finiteB = allFinite(dB, dB.length) && allFinite(eB, dB.length - 1);
  if (!finiteA || !finiteB) return [tridiagonalEigenvalues(dA, eA, qlIterationsPerEigenvalue), tridiagonalEigenvalues(dB, eB, qlIterationsPerEigenvalue)];
  const [vA, oA] = qlInputs(dA, eA);
  const [vB, oB] = qlInputs(dB, eB);
  const [okA, okB] = rootFreeQLPair(vA, oA, vB, oB, qlIterationsPerEigenvalue);
  return [
    okA ? { values: vA, method: 'ql' } : { values: bisectionEigenvalues(dA, eA), method: 'bisection' },
    okB ? { values: vB, method: 'ql' } : { values: bisectionEigenvalues(dB, eB), method: 'bisection' },
  ];
}

/** Copies QL works on in place: the diagonal, and the couplings with e[n-1] = 0. */
function qlInputs(d: Float64Array, e: Float64Array): [Float64Array, Float64Array] {
  const off = new Float64Array(d.length);
  off.set(e.subarray(0, Math.max(0, d.length - 1)));
  return [Float64Array.from(d), off];
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
 * Root-free QL (Pal-Walker-Kahan, LAPACK dsterf's QL branch) on d, e in place: works with e^2, no square root
 * per rotation (~1.7x the speed of the standard implicit QL sweep it replaced; eigenvalues equal to ~eps ||T||).
 * The matrix is first scaled by a power of two so its norm is in [1, 2) (exact; squares neither overflow nor lose
 * the couplings that matter: one below 2^-511 moves no eigenvalue by more than that). Eigenvalues are
 * left in d, unordered. False when the iteration budget is spent.
 */
function rootFreeQL(d: Float64Array, e: Float64Array, iterationsPerEigenvalue: number): boolean {
  const q = qlStart(d, e, iterationsPerEigenvalue);
  if (q === null) return true; // the zero matrix
  for (let m = nextSweep(q); m >= 0; m = nextSweep(q)) pwkSweep(q.d, q.e2, q.l, m);
  return qlFinish(q);
}

/**
 * rootFreeQL on two independent tridiagonals at once, with identical results: each sweep is one chain of
 * dependent divisions and multiplications (~27 cycles a rotation here), so two sweeps run side by side in one
 * loop (`pwkSweepPair`) take ~0.6x the time of one after the other.
 */
function rootFreeQLPair(dA: Float64Array, eA: Float64Array, dB: Float64Array, eB: Float64Array, iterationsPerEigenvalue: number): [boolean, boolean] {
  const a = qlStart(dA, eA, iterationsPerEigenvalue);
  const b = qlStart(dB, eB, iterationsPerEigenvalue);
  let mA = a === null ? -1 : nextSweep(a);
  let mB = b === null ? -1 : nextSweep(b);
  while (mA >= 0 || mB >= 0) {
    if (a !== null && b !== null && mA >= 0 && mB >= 0) pwkSweepPair(a, mA, b, mB);
    else if (a !== null && mA >= 0) pwkSweep(a.d, a.e2, a.l, mA);
    else if (b !== null) pwkSweep(b.d, b.e2, b.l, mB);
    if (a !== null && mA >= 0) mA = nextSweep(a);
    if (b !== null && mB >= 0) mB = nextSweep(b);
  }
  return [a === null || qlFinish(a), b === null || qlFinish(b)];
}

/** One root-free QL in progress: the scaled diagonal, the squared couplings, the block being reduced and the budget. */
interface QlState {
  d: Float64Array;
  e2: Float64Array;
  n: number;
  scale: number;
  floor2: number;
  /** The eigenvalue being isolated: rows below l are done. */
  l: number;
  budget: number;
  /** The budget ran out. */
  failed: boolean;
}

/** Scales (d, e) and squares the couplings; null for the zero matrix (its eigenvalues are d as given). */
function qlStart(d: Float64Array, e: Float64Array, iterationsPerEigenvalue: number): QlState | null {
  const n = d.length;
  const norm = tridiagonalNorm(d, e, n);
  if (!(norm > 0)) return null;
  // 2^k with |k| <= 1000: 2^1029 (a subnormal norm) would be Infinity; such a matrix scales to ~2^-30, still safe.
  // 0 - floor, not -floor: a norm in [1, 2) (the usual case after tridiagonalForm's scaling) would give -0, which
  // deoptimises V8's integer code for this function: it was then recompiled during the first real analysis.
  const scale = 2 ** Math.max(-1000, Math.min(1000, 0 - Math.floor(Math.log2(norm))));
  const e2 = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    d[i] = (d[i] as number) * scale;
    const ei = i < n - 1 ? (e[i] as number) * scale : 0;
    e2[i] = ei * ei;
  }
  // The deflation test (LAPACK's, with a floor), in squares and scaled units: |e| <= max(eps^2 ||T||, safmin)
  // (unscaled, so subnormal couplings still deflate) or |e| <= eps (|d_m| + |d_m+1|).
  const floor = Math.max(Number.EPSILON * Number.EPSILON * norm, MIN_NORMAL) * scale;
  return { d, e2, n, scale, floor2: floor * floor, l: 0, budget: iterationsPerEigenvalue * n, failed: false };
}

const EPS2 = Number.EPSILON * Number.EPSILON;

/**
 * Deflates what has converged (and solves 2 x 2 blocks directly) until a sweep is due; returns the end m of the
 * unreduced block q.l..m to sweep, or -1 when every eigenvalue is isolated or the budget is spent (q.failed).
 */
function nextSweep(q: QlState): number {
  const { d, e2, n, floor2 } = q;
  while (q.l < n) {
    const l = q.l;
    let m = l;
    for (; m < n - 1; m++) {
      const s = Math.abs(d[m] as number) + Math.abs(d[m + 1] as number);
      const em = e2[m] as number;
      if (em <= floor2 || em <= EPS2 * s * s) break;
    }
    if (m === l) {
      q.l++;
      continue;
    }
    if (q.budget-- <= 0) {
      q.failed = true;
      return -1;
    }
    if (m === l + 1) {
      const [a, b] = eigen2x2(d[l] as number, Math.sqrt(e2[l] as number), d[l + 1] as number);
      d[l] = a;
      d[l + 1] = b;
      e2[l] = 0;
      continue;
    }
    return m;
  }
  return -1;
}

/** Unscales the eigenvalues left in q.d; false when the budget ran out (q.d is then not the spectrum). */
function qlFinish(q: QlState): boolean {
  if (q.failed) return false;
  for (let i = 0; i < q.n; i++) q.d[i] = (q.d[i] as number) / q.scale;
  return true;
}

/** One root-free QL sweep over the unreduced block l..m (e2 holds the squared couplings). */
function pwkSweep(d: Float64Array, e2: Float64Array, l: number, m: number): void {
  const sigma = pwkShift(d, e2, l);
  const gamma = (d[m] as number) - sigma;
  pwkRotations(d, e2, l, m, m - 1, sigma, 1, 0, gamma, gamma * gamma);
  e2[l] = (sweepEnd[0] as number) * (sweepEnd[1] as number);
  d[l] = sigma + (sweepEnd[2] as number);
}

/** s, p and gamma after a sweep's last rotation (pwkRotations writes them here: no object per sweep). */
const sweepEnd = new Float64Array(3);

/**
 * Rotations from row `from` down to l of the sweep over the block l..m with shift sigma, continuing from the state
 * (c, s, gamma, p) the rotation below left (c = 1, s = 0, gamma = d_m - sigma, p = gamma^2 at the start); leaves
 * s, p and gamma after the last one in `sweepEnd`.
 */
function pwkRotations(d: Float64Array, e2: Float64Array, l: number, m: number, from: number, sigma: number, c: number, s: number, gamma: number, p: number): void {
  for (let i = from; i >= l; i--) {
    const bb = e2[i] as number;
    const r = p + bb;
    if (i !== m - 1) e2[i + 1] = s * r;
    const oldc = c;
    // One reciprocal for c and s, and gamma^2 / c as gamma^2 * (r / p): the two divisions depend only on r and
    // run side by side, off the chain through gamma (~17% faster; eigenvalues equal to ~1e-16 lambda_max).
    const inv = 1 / r;
    const rp = r / p;
    c = p * inv;
    s = bb * inv;
    const oldgam = gamma;
    const alpha = d[i] as number;
    gamma = c * (alpha - sigma) - s * oldgam;
    d[i + 1] = oldgam + (alpha - gamma);
    // r / p overflows only when c is subnormal: then gamma^2 / c as before (0 * Infinity would be NaN).
    p = c !== 0 ? (rp < Infinity ? gamma * gamma * rp : (gamma * gamma) / c) : oldc * bb;
  }
  sweepEnd[0] = s;
  sweepEnd[1] = p;
  sweepEnd[2] = gamma;
}

/** The Wilkinson-type shift of pwkSweep for the block l..m. */
function pwkShift(d: Float64Array, e2: Float64Array, l: number): number {
  const rte = Math.sqrt(e2[l] as number);
  const sigma = ((d[l + 1] as number) - (d[l] as number)) / (2 * rte);
  const r0 = hypot2(sigma, 1);
  return (d[l] as number) - rte / (sigma + (sigma >= 0 ? r0 : -r0));
}

/**
 * pwkSweep on two problems' blocks in one loop while both have rotations left, then the longer one alone: the
 * same operations in the same order for each (results bit for bit those of two pwkSweep calls).
 */
function pwkSweepPair(a: QlState, mA: number, b: QlState, mB: number): void {
  const dA = a.d;
  const eA = a.e2;
  const lA = a.l;
  const dB = b.d;
  const eB = b.e2;
  const lB = b.l;
  const sigA = pwkShift(dA, eA, lA);
  const sigB = pwkShift(dB, eB, lB);
  let cA = 1;
  let sA = 0;
  let gA = (dA[mA] as number) - sigA;
  let pA = gA * gA;
  let cB = 1;
  let sB = 0;
  let gB = (dB[mB] as number) - sigB;
  let pB = gB * gB;
  let i = mA - 1;
  let j = mB - 1;
  for (; i >= lA && j >= lB; i--, j--) {
    const bbA = eA[i] as number;
    const bbB = eB[j] as number;
    const rA = pA + bbA;
    const rB = pB + bbB;
    if (i !== mA - 1) eA[i + 1] = sA * rA;
    if (j !== mB - 1) eB[j + 1] = sB * rB;
    const ocA = cA;
    const ocB = cB;
    const invA = 1 / rA;
    const invB = 1 / rB;
    const rpA = rA / pA;
    const rpB = rB / pB;
    cA = pA * invA;
    cB = pB * invB;
    sA = bbA * invA;
    sB = bbB * invB;
    const ogA = gA;
    const ogB = gB;
    const alA = dA[i] as number;
    const alB = dB[j] as number;
    gA = cA * (alA - sigA) - sA * ogA;
    gB = cB * (alB - sigB) - sB * ogB;
    dA[i + 1] = ogA + (alA - gA);
    dB[j + 1] = ogB + (alB - gB);
    pA = cA !== 0 ? (rpA < Infinity ? gA * gA * rpA : (gA * gA) / cA) : ocA * bbA;
    pB = cB !== 0 ? (rpB < Infinity ? gB * gB * rpB : (gB * gB) / cB) : ocB * bbB;
  }
  pwkRotations(dA, eA, lA, mA, i, sigA, cA, sA, gA, pA);
  eA[lA] = (sweepEnd[0] as number) * (sweepEnd[1] as number);
  dA[lA] = sigA + (sweepEnd[2] as number);
  pwkRotations(dB, eB, lB, mB, j, sigB, cB, sB, gB, pB);
  eB[lB] = (sweepEnd[0] as number) * (sweepEnd[1] as number);
  dB[lB] = sigB + (sweepEnd[2] as number);
}

/** Eigenvalues of [[a, b], [b, c]] (LAPACK dlae2): the larger one from the sum, the other from the determinant. */
function eigen2x2(a: number, b: number, c: number): [number, number] {
  const sm = a + c;
  const adf = Math.abs(a - c);
  const ab = Math.abs(b + b);
  const [acmx, acmn] = Math.abs(a) > Math.abs(c) ? [a, c] : [c, a];
  const rt = adf > ab ? adf * Math.sqrt(1 + (ab / adf) ** 2) : adf < ab ? ab * Math.sqrt(1 + (adf / ab) ** 2) : ab * Math.SQRT2;
  if (sm === 0) return [0.5 * rt, -0.5 * rt];
  const rt1 = sm < 0 ? 0.5 * (sm - rt) : 0.5 * (sm + rt);
  return [rt1, (acmx / rt1) * acmn - (b / rt1) * b];
}

/** sqrt(a^2 + b^2) without overflow or underflow (the shift): squares directly inside [2^-500, 2^500] (exact to
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
