/** Independent references and random inputs for the metrics tests (deliberately naive code). */
import { mulberry32 } from '../../../tools/modelgen/prng';

/** Seeded PRNG (mulberry32) so every random test is reproducible. */
export function rng(seed: number): () => number {
  return mulberry32(seed).next;
}

/** Standard normal samples (Box-Muller). */
export function gaussian(rand: () => number): () => number {
  return () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
}

export function randomMatrix(rows: number, cols: number, seed: number, scale = 1): Float64Array {
  const g = gaussian(rng(seed));
  return Float64Array.from({ length: rows * cols }, () => scale * g());
}

/** Random symmetric n x n (not PSD). */
export function randomSymmetric(n: number, seed: number): Float64Array {
  const g = gaussian(rng(seed));
  const A = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) A[i * n + j] = A[j * n + i] = g();
  return A;
}

/** Orthonormal rows (k x d, k <= d) by modified Gram-Schmidt on random vectors. */
export function orthonormalRows(k: number, d: number, seed: number): Float64Array {
  const Q = randomMatrix(k, d, seed);
  for (let i = 0; i < k; i++) {
    for (let j = 0; j < i; j++) {
      let dot = 0;
      for (let c = 0; c < d; c++) dot += Q[i * d + c]! * Q[j * d + c]!;
      for (let c = 0; c < d; c++) Q[i * d + c]! -= dot * Q[j * d + c]!;
    }
    let nn = 0;
    for (let c = 0; c < d; c++) nn += Q[i * d + c]! ** 2;
    for (let c = 0; c < d; c++) Q[i * d + c]! /= Math.sqrt(nn);
  }
  return Q;
}

/** Cyclic Jacobi eigenvalues (the textbook algorithm; slow, very accurate), descending. */
export function jacobiEigenvalues(A0: ArrayLike<number>, n: number): number[] {
  const A = Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => A0[i * n + j] as number));
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    let total = 0;
    for (let p = 0; p < n; p++) for (let q = 0; q < n; q++) total += A[p]![q]! ** 2;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += A[p]![q]! ** 2;
    // Absolute for small matrices, relative (off-diagonal below 1e-17 ||A||_F) for huge or tiny scales.
    if (off < 1e-30 || off <= 1e-34 * total) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = A[p]![q]!;
        if (apq === 0) continue;
        const theta = (A[q]![q]! - A[p]![p]!) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = A[k]![p]!;
          const akq = A[k]![q]!;
          A[k]![p] = c * akp - s * akq;
          A[k]![q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = A[p]![k]!;
          const aqk = A[q]![k]!;
          A[p]![k] = c * apk - s * aqk;
          A[q]![k] = s * apk + c * aqk;
        }
      }
    }
  }
  return A.map((row, i) => row[i]!).sort((a, b) => b - a);
}

/** Naive full X X^T [rows, rows]. */
export function naiveGramRows(X: ArrayLike<number>, rows: number, d: number): Float64Array {
  const G = new Float64Array(rows * rows);
  for (let i = 0; i < rows; i++) for (let j = 0; j < rows; j++) {
    let s = 0;
    for (let c = 0; c < d; c++) s += (X[i * d + c] as number) * (X[j * d + c] as number);
    G[i * rows + j] = s;
  }
  return G;
}

/** Naive X^T X [d, d]. */
export function naiveGramCols(X: ArrayLike<number>, rows: number, d: number): Float64Array {
  const G = new Float64Array(d * d);
  for (let a = 0; a < d; a++) for (let b = 0; b < d; b++) {
    let s = 0;
    for (let t = 0; t < rows; t++) s += (X[t * d + a] as number) * (X[t * d + b] as number);
    G[a * d + b] = s;
  }
  return G;
}

/** Shannon entropy of a list of weights after normalising them to sum 1. */
export function shannonOfWeights(w: readonly number[]): number {
  const total = w.reduce((s, x) => s + x, 0);
  return w.reduce((s, x) => (x > 0 ? s - (x / total) * Math.log(x / total) : s), 0);
}
