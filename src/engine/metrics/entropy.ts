/**
 * Matrix-based entropy of a layer (metrics.md "Matrix-based entropy"): the Rényi entropy of the
 * normalised spectrum p_j = lambda_j / sum lambda of the Gram matrix of X = h[l] (after the
 * options), normalised by log(min(n, d)) where n is the number of rows used.
 *
 * Options, applied in this order: excludeBos (drop row 0), rowNormalize (unit-norm rows; zero rows
 * stay zero), center (subtract the mean of the rows used).
 */
import { DEFAULT_ENTROPY } from '../../shared/defaults';
import type { EntropyOptions } from '../../shared/result';
import { borderedSpectra, psdEigenvalues, rankOneSpectra } from './eigen';
import type { FloatArray } from './types';

export { DEFAULT_ENTROPY };

export interface EntropyResult {
  /** H_alpha / log(min(n, d)) in [0, 1]; 0 when min(n, d) <= 1 or X = 0. */
  entropy: number;
  /** H_alpha in nats. */
  entropyRaw: number;
  /** p_1 = lambda_1 / sum lambda; 0 when X = 0. */
  anisotropy: number;
  /** Rows used (T, or T - 1 with excludeBos). */
  rows: number;
  /** Gram eigenvalues, descending, clamped to >= 0 (length min(n, d)). */
  eigenvalues: Float64Array;
}

/** Rényi entropy (nats) of a probability vector; alpha = 1 Shannon, 0 Hartley (log of the support size), Infinity min-entropy. */
export function renyiEntropy(p: ArrayLike<number>, alpha: number): number {
  if (!(alpha >= 0)) throw new Error(`renyiEntropy: alpha must be >= 0, got ${alpha}`);
  let acc = 0;
  if (alpha === 1) {
    for (let j = 0; j < p.length; j++) {
      const x = p[j] as number;
      if (x > 0) acc -= x * Math.log(x);
    }
    return acc;
  }
  if (alpha === Infinity) {
    let max = 0;
    for (let j = 0; j < p.length; j++) max = Math.max(max, p[j] as number);
    return max > 0 ? -Math.log(max) : 0;
  }
  for (let j = 0; j < p.length; j++) {
    const x = p[j] as number;
    if (x > 0) acc += alpha === 0 ? 1 : Math.pow(x, alpha);
  }
  return acc > 0 ? Math.log(acc) / (1 - alpha) : 0;
}

/** Entropy figures of a Gram spectrum (descending, >= 0); `normRank` = min(n, d). */
export function spectrumEntropy(eigenvalues: Float64Array, alpha: number, normRank: number, rows: number): EntropyResult {
  let total = 0;
  for (const l of eigenvalues) total += l;
  if (!(total > 0)) return { entropy: 0, entropyRaw: 0, anisotropy: 0, rows, eigenvalues };
  const p = eigenvalues.map((l) => l / total);
  const entropyRaw = renyiEntropy(p, alpha);
  const entropy = normRank > 1 ? entropyRaw / Math.log(normRank) : 0;
  return { entropy, entropyRaw, anisotropy: p[0] as number, rows, eigenvalues };
}

/** The rows of h [T, d] the options select, as float64 [n, d], with rowNormalize and center applied. */
export function prepareRows(h: FloatArray, T: number, d: number, opts: EntropyOptions): { X: Float64Array; n: number } {
  const start = opts.excludeBos ? 1 : 0;
  const n = Math.max(0, T - start);
  const X = new Float64Array(n * d); // [n, d]
  for (let i = 0; i < n * d; i++) X[i] = h[start * d + i] as number;
  if (opts.rowNormalize) {
    for (let t = 0; t < n; t++) {
      let s = 0;
      for (let j = t * d; j < (t + 1) * d; j++) s += (X[j] as number) ** 2;
      const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
      for (let j = t * d; j < (t + 1) * d; j++) X[j] = (X[j] as number) * inv;
    }
  }
  if (opts.center && n > 0) {
    const mu = columnMean(X, n, d);
    for (let t = 0; t < n; t++) for (let j = 0; j < d; j++) X[t * d + j] = (X[t * d + j] as number) - (mu[j] as number);
  }
  return { X, n };
}

/** The smaller Gram matrix of X [n, d]: X X^T [n, n] when n <= d, else X^T X [d, d]. Float64, full (symmetric). */
export function smallGram(X: Float64Array, n: number, d: number): { G: Float64Array; m: number } {
  if (n <= d) return { G: rowGram(X, n, d), m: n };
  // X^T X as dot products of the rows of X^T: contiguous, and G is written once (not n times).
  const Xt = new Float64Array(d * n); // [d, n]
  for (let t = 0; t < n; t++) for (let j = 0; j < d; j++) Xt[j * n + t] = X[t * d + j] as number;
  return { G: rowGram(Xt, d, n), m: d };
}

/**
 * G[a][b] = Y_a . Y_b for the rows of Y [m, len]. Four rows b per pass over row a, so each load of
 * Y_a feeds four multiply-adds (the kernel dominates the metrics' run time for long prompts).
 */
export function rowGram(Y: Float64Array, m: number, len: number): Float64Array {
  const G = new Float64Array(m * m); // [m, m]
  for (let a = 0; a < m; a++) {
    const ra = a * len;
    let b = 0;
    for (; b + 3 <= a; b += 4) {
      const r0 = b * len;
      const r1 = r0 + len;
      const r2 = r1 + len;
      const r3 = r2 + len;
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      for (let j = 0; j < len; j++) {
        const x = Y[ra + j] as number;
        s0 += x * (Y[r0 + j] as number);
        s1 += x * (Y[r1 + j] as number);
        s2 += x * (Y[r2 + j] as number);
        s3 += x * (Y[r3 + j] as number);
      }
      G[a * m + b] = G[b * m + a] = s0;
      G[a * m + b + 1] = G[(b + 1) * m + a] = s1;
      G[a * m + b + 2] = G[(b + 2) * m + a] = s2;
      G[a * m + b + 3] = G[(b + 3) * m + a] = s3;
    }
    for (; b <= a; b++) {
      const rb = b * len;
      let s = 0;
      for (let j = 0; j < len; j++) s += (Y[ra + j] as number) * (Y[rb + j] as number);
      G[a * m + b] = G[b * m + a] = s;
    }
  }
  return G;
}

/** Matrix entropy of h [T, d] computed from the rows themselves. */
export function matrixEntropy(h: FloatArray, T: number, d: number, opts: EntropyOptions = DEFAULT_ENTROPY): EntropyResult {
  const { X, n } = prepareRows(h, T, d, opts);
  const { G, m } = smallGram(X, n, d);
  return spectrumEntropy(psdEigenvalues(G, m), opts.alpha, Math.min(n, d), n);
}

/**
 * Matrix entropy from a precomputed gram = X^T X [d, d] of the raw h [T, d] (all T rows; the graph
 * can supply it for long prompts). excludeBos subtracts x0 x0^T and center subtracts n mu mu^T
 * algebraically, so h is only read row-wise in O(T d). rowNormalize rescales the rows, which the
 * Gram cannot express: it throws, and `layerEntropy` falls back to the direct path. Accuracy: a
 * float32 gram carries absolute errors ~1e-7 x lambda_max, amplified by the centering subtraction
 * when the mean dominates.
 */
export function matrixEntropyFromGram(gram: FloatArray, h: FloatArray, T: number, d: number, opts: EntropyOptions = DEFAULT_ENTROPY): EntropyResult {
  if (opts.rowNormalize) throw new Error('matrixEntropyFromGram: rowNormalize needs the rows themselves');
  const G = new Float64Array(d * d); // [d, d]
  for (let i = 0; i < d * d; i++) G[i] = gram[i] as number;
  const start = opts.excludeBos ? 1 : 0;
  const n = Math.max(0, T - start);
  if (opts.excludeBos && T > 0) rankOneUpdate(G, d, h.subarray(0, d), -1);
  if (opts.center && n > 0) {
    const mu = columnMean(h.subarray(start * d, T * d), n, d);
    rankOneUpdate(G, d, mu, -n);
  }
  return spectrumEntropy(psdEigenvalues(G, d), opts.alpha, Math.min(n, d), n);
}

/**
 * The Gram spectra of the raw layer (BOS included) and of the layer without BOS, from ONE Gram and
 * ONE tridiagonalisation: with X X^T the second is the spectrum of the trailing block (rows and
 * columns 1..T-1, `borderedSpectra`); with X^T X (or a supplied gram, T > d) it is that of
 * G - x0 x0^T, and G is its rank-one update (`rankOneSpectra`). The run computes both for every
 * layer, so this halves the eigen work. `gram` (X^T X [d, d]) and `gramRows` (X X^T [T, T]) are the
 * graph's float32 Grams (a GEMM instead of a JS loop); each is used on its side only.
 */
export function rawAndExclBosSpectra(h: FloatArray, T: number, d: number, gram?: FloatArray, gramRows?: FloatArray): { raw: Float64Array; excl: Float64Array } {
  if (T > d) {
    const G = gram ? gram.subarray(0, d * d) : smallGram(prepareRows(h, T, d, DEFAULT_ENTROPY).X, T, d).G; // [d, d]
    // C = G - x0 x0^T (the Gram without BOS) is formed while packing: no [d, d] float64 copy.
    const { base, updated } = rankOneSpectra(G, h.subarray(0, d), d, true);
    return { raw: updated, excl: base };
  }
  // The graph's float32 Gram is packed straight into the float64 working triangle (no [T, T] float64 copy).
  const G = gramRows ? gramRows.subarray(0, T * T) : smallGram(prepareRows(h, T, d, DEFAULT_ENTROPY).X, T, d).G; // [T, T]
  const { full, inner } = borderedSpectra(G, T);
  return { raw: full, excl: inner };
}

/** Chooses the path: the supplied Gram when it is the smaller matrix and the options allow it, else the rows. */
export function layerEntropy(h: FloatArray, T: number, d: number, opts: EntropyOptions, gram?: FloatArray): EntropyResult {
  const n = T - (opts.excludeBos ? 1 : 0);
  if (gram && !opts.rowNormalize && n > d) return matrixEntropyFromGram(gram, h, T, d, opts);
  return matrixEntropy(h, T, d, opts);
}

function columnMean(X: FloatArray, n: number, d: number): Float64Array {
  const mu = new Float64Array(d); // [d]
  for (let t = 0; t < n; t++) for (let j = 0; j < d; j++) mu[j] = (mu[j] as number) + (X[t * d + j] as number);
  for (let j = 0; j < d; j++) mu[j] = (mu[j] as number) / n;
  return mu;
}

/** G += s * x x^T (G [d, d] full). */
function rankOneUpdate(G: Float64Array, d: number, x: FloatArray, s: number): void {
  for (let a = 0; a < d; a++) {
    const xa = s * (x[a] as number);
    for (let b = 0; b < d; b++) G[a * d + b] = (G[a * d + b] as number) + xa * (x[b] as number);
  }
}
