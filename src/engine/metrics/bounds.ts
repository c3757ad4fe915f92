/**
 * The paper's theorem tying the BOS norm to compression (metrics.md "The bound"): with
 * M = ||h0||^2, R = sum_{t>=1} ||ht||^2, c = M/R and a = (1/R) sum_{t>=1} ||ht||^2 cos^2(theta_t),
 * sigma_1^2 >= M + aR, so p_1 >= p = (c + a)/(c + 1); when p >= 1/r,
 * H_1 <= -p log p - (1-p) log(1-p) + (1-p) log(r-1).
 * All bounds refer to the raw layer (BOS included, uncentred, Shannon).
 */
import type { FloatArray } from './types';

/**
 * Relative tolerance for "non-zero" singular values: sigma_j > RANK_RTOL_SIGMA * sigma_1, i.e.
 * lambda_j > RANK_RTOL_SIGMA^2 * lambda_1 on the Gram eigenvalues. 1e-5 sits well above float64
 * round-off of a rank-deficient Gram (~1e-8 in sigma) and below any singular value that carries
 * entropy worth reporting (p_j < 1e-10).
 */
export const RANK_RTOL_SIGMA = 1e-5;

export interface TheoremBounds {
  M: number;
  R: number;
  c: number;
  a: number;
  /** Number of non-zero singular values of h (see RANK_RTOL_SIGMA). */
  r: number;
  /** Lower bound on p_1. */
  p: number;
  /** Upper bound on H_1 in nats; null when p < 1/r. */
  entropyUpperBoundRaw: number | null;
  /** The same divided by log(min(T, d)); null when p < 1/r. */
  entropyUpperBound: number | null;
}

/** Number of eigenvalues (descending) above RANK_RTOL_SIGMA^2 * lambda_1. */
export function numericalRank(eigenvalues: ArrayLike<number>): number {
  const top = eigenvalues.length ? (eigenvalues[0] as number) : 0;
  if (!(top > 0)) return 0;
  const cut = RANK_RTOL_SIGMA * RANK_RTOL_SIGMA * top;
  let r = 0;
  for (let j = 0; j < eigenvalues.length; j++) if ((eigenvalues[j] as number) > cut) r++;
  return r;
}

/** The theorem's norm terms of one layer (normTerms). */
export interface NormTerms {
  M: number;
  R: number;
  c: number;
  a: number;
  p: number;
}

/**
 * M, R, c, a from h [T, d] in float64. Degenerate cases (documented, JSON-safe): R = 0 (T = 1 or all
 * other rows zero) gives c = a = 0 and p = 1 when M > 0 (X then has rank one, so p_1 = 1);
 * M = 0 gives a = 0 (no direction) and c = 0. M and R sum every square of h in float64, where the
 * square of a float32 cannot overflow: both are finite exactly when h holds no NaN or Inf.
 */
export function normTerms(h: FloatArray, T: number, d: number): NormTerms {
  let M = 0;
  for (let j = 0; j < d; j++) M += (h[j] as number) ** 2;
  let R = 0;
  let proj = 0; // sum_t (h_t . h_0)^2 = M * sum_t ||h_t||^2 cos^2
  for (let t = 1; t < T; t++) {
    const [nn, dot] = squareAndDot(h, t * d, d);
    R += nn;
    proj += dot * dot;
  }
  if (!(R > 0)) return { M, R, c: 0, a: 0, p: M > 0 ? 1 : 0 };
  const c = M / R;
  const a = M > 0 ? proj / M / R : 0;
  return { M, R, c, a, p: (c + a) / (c + 1) };
}

/**
 * ||h[o..o+d)||^2 and its dot with row 0 (h[0..d)), in float64, two partial sums each: one sum per
 * quantity would make every add wait for the previous one.
 */
function squareAndDot(h: FloatArray, o: number, d: number): [number, number] {
  let n0 = 0;
  let n1 = 0;
  let p0 = 0;
  let p1 = 0;
  const d2 = d & ~1;
  for (let j = 0; j < d2; j += 2) {
    const a = h[o + j] as number;
    const b = h[o + j + 1] as number;
    n0 += a * a;
    n1 += b * b;
    p0 += a * (h[j] as number);
    p1 += b * (h[j + 1] as number);
  }
  if (d2 < d) {
    const a = h[o + d2] as number;
    n0 += a * a;
    p0 += a * (h[d2] as number);
  }
  return [n0 + n1, p0 + p1];
}

/** -p log p - (1-p) log(1-p) + (1-p) log(r-1), with 0 log 0 = 0; null when p < 1/r or r = 0. */
export function entropyBoundRaw(p: number, r: number): number | null {
  if (r < 1 || p < 1 / r) return null;
  const xlogx = (x: number): number => (x > 0 ? x * Math.log(x) : 0);
  const q = 1 - p;
  return -xlogx(p) - xlogx(q) + (q > 0 && r > 1 ? q * Math.log(r - 1) : 0);
}

/**
 * How r is counted. 'numerical' (default, metrics.md literally): non-zero singular values, so h[0]
 * with repeated tokens (identical embedding rows) gets its true, smaller rank and a tighter bound.
 * 'full': r = min(T, d), the generic rank, as the shared fixtures' expected.json does; a looser
 * bound that is still valid since H_1's bound grows with r.
 */
export type BoundRank = 'numerical' | 'full';

/** The theorem's quantities for h [T, d]; `eigenvalues` is the raw layer's Gram spectrum (for r). */
export function theoremBounds(h: FloatArray, T: number, d: number, eigenvalues: ArrayLike<number>, rank: BoundRank = 'numerical'): TheoremBounds {
  return boundsFromTerms(normTerms(h, T, d), T, d, eigenvalues, rank);
}

/** theoremBounds from h's norm terms (`normTerms`), when the caller has them already. */
export function boundsFromTerms(terms: NormTerms, T: number, d: number, eigenvalues: ArrayLike<number>, rank: BoundRank = 'numerical'): TheoremBounds {
  const r = rank === 'full' ? Math.min(T, d) : numericalRank(eigenvalues);
  const raw = entropyBoundRaw(terms.p, r);
  const k = Math.min(T, d);
  const entropyUpperBound = raw === null ? null : k > 1 ? raw / Math.log(k) : 0;
  return { ...terms, r, entropyUpperBoundRaw: raw, entropyUpperBound };
}

export interface BoundViolation {
  quantity: 'anisotropy' | 'entropy';
  measured: number;
  bound: number;
}

/**
 * Checks measured raw-layer p_1 (>= p) and normalised H_1 (<= bound). Tolerance: atol + rtol * |bound|;
 * the defaults absorb float32 hidden states and a float32 Gram (relative errors ~1e-6).
 */
export function checkBounds(
  measured: { anisotropy: number; entropy: number },
  bounds: { p: number; entropyUpperBound: number | null },
  tol: { rtol?: number; atol?: number } = {},
): BoundViolation[] {
  const rtol = tol.rtol ?? 1e-5;
  const atol = tol.atol ?? 1e-6;
  const out: BoundViolation[] = [];
  if (measured.anisotropy < bounds.p - (atol + rtol * Math.abs(bounds.p))) {
    out.push({ quantity: 'anisotropy', measured: measured.anisotropy, bound: bounds.p });
  }
  const hb = bounds.entropyUpperBound;
  if (hb !== null && measured.entropy > hb + atol + rtol * Math.abs(hb)) {
    out.push({ quantity: 'entropy', measured: measured.entropy, bound: hb });
  }
  return out;
}
