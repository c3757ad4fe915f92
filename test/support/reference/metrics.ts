/**
 * Small float64 metric helpers over a RefResult, written straight from shared/docs/metrics.md
 * (defaults: uncentred, BOS included, Shannon entropy, tau = 0.3), so the oracle tests can compare
 * against the fixtures' expected.json and the planted-model tests can state their claims.
 */
import type { RefResult } from './forward';

export interface RefLayerMetrics {
  layer: number;
  bosNorm: number;
  medianOtherNorm: number;
  bosRatio: number;
  entropy: number;
  anisotropy: number;
  /** For block layer-1; absent for layer 0. */
  headSinkScores?: number[];
  sinkRate?: number;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

export function tokenNorms(r: RefResult, layer: number): number[] {
  const out: number[] = [];
  for (let t = 0; t < r.T; t++) {
    let s = 0;
    for (let j = 0; j < r.d; j++) s += (r.hidden[(layer * r.T + t) * r.d + j] as number) ** 2;
    out.push(Math.sqrt(s));
  }
  return out;
}

export function bosRatio(r: RefResult, layer: number): number {
  const n = tokenNorms(r, layer);
  return (n[0] as number) / median(n.slice(1));
}

/** s[k] = mean over queries i = 1..T-1 of A[block][k][i][0]. */
export function headSinkScores(r: RefResult, block: number): number[] {
  const out: number[] = [];
  for (let h = 0; h < r.H; h++) {
    let s = 0;
    for (let i = 1; i < r.T; i++) s += r.attnToBos[(block * r.H + h) * r.T + i] as number;
    out.push(s / (r.T - 1));
  }
  return out;
}

export function sinkRate(r: RefResult, block: number, tau = 0.3): number {
  const s = headSinkScores(r, block);
  return s.filter((v) => v >= tau).length / s.length;
}

/** Eigenvalues of a symmetric n x n matrix by cyclic Jacobi rotations (small n only). */
export function symEigenvalues(a: Float64Array, n: number): number[] {
  const m = Float64Array.from(a);
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += (m[p * n + q] as number) ** 2;
    if (off < 1e-30) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = m[p * n + q] as number;
        if (Math.abs(apq) < 1e-300) continue;
        const theta = ((m[q * n + q] as number) - (m[p * n + p] as number)) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = m[k * n + p] as number;
          const akq = m[k * n + q] as number;
          m[k * n + p] = c * akp - s * akq;
          m[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = m[p * n + k] as number;
          const aqk = m[q * n + k] as number;
          m[p * n + k] = c * apk - s * aqk;
          m[q * n + k] = s * apk + c * aqk;
        }
      }
    }
  }
  return Array.from({ length: n }, (_, i) => m[i * n + i] as number);
}

/** Shannon matrix entropy of h[layer] normalised by log(min(T, d)), and p1 (anisotropy). */
export function normalizedEntropy(r: RefResult, layer: number): { entropy: number; anisotropy: number } {
  const { T, d } = r;
  const X = r.hidden.subarray(layer * T * d, (layer + 1) * T * d); // [T, d]
  const n = Math.min(T, d);
  const g = new Float64Array(n * n); // [n, n]: X X^T when T <= d, else X^T X
  for (let a = 0; a < n; a++) {
    for (let b = a; b < n; b++) {
      let s = 0;
      if (T <= d) for (let j = 0; j < d; j++) s += (X[a * d + j] as number) * (X[b * d + j] as number);
      else for (let t = 0; t < T; t++) s += (X[t * d + a] as number) * (X[t * d + b] as number);
      g[a * n + b] = s;
      g[b * n + a] = s;
    }
  }
  const lam = symEigenvalues(g, n).map((v) => Math.max(v, 0));
  const total = lam.reduce((x, y) => x + y, 0);
  let h = 0;
  for (const l of lam) if (l > 0) h -= (l / total) * Math.log(l / total);
  return { entropy: h / Math.log(n), anisotropy: Math.max(...lam) / total };
}

/** Every per-layer metric of expected.json that the oracle can reproduce. */
export function refMetrics(r: RefResult): RefLayerMetrics[] {
  return Array.from({ length: r.L + 1 }, (_, l) => {
    const norms = tokenNorms(r, l);
    const out: RefLayerMetrics = {
      layer: l,
      bosNorm: norms[0] as number,
      medianOtherNorm: median(norms.slice(1)),
      bosRatio: (norms[0] as number) / median(norms.slice(1)),
      ...normalizedEntropy(r, l),
    };
    if (l > 0) {
      out.headSinkScores = headSinkScores(r, l - 1);
      out.sinkRate = sinkRate(r, l - 1);
    }
    return out;
  });
}

/**
 * Mixing of one block from the full attention (metrics.md "Mixing"): per head, the mean over the
 * queries `queries` (default 1..T-1) of -Σ_j A[i][j] log A[i][j] / log(i+1), and of the mass on keys
 * other than BOS and the query itself, 1 - A[i][0] - A[i][i].
 */
export function refMixing(r: RefResult, block: number, queries?: number[]): { rowEntropy: number[]; otherMass: number[] } {
  const qs = queries ?? Array.from({ length: r.T - 1 }, (_, i) => i + 1);
  const rowEntropy: number[] = [];
  const otherMass: number[] = [];
  // A windowed block's row has min(i + 1, W) visible keys: its entropy is normalised by their log (at least log 2).
  const W = r.windows?.[block] ?? null;
  const visible = (i: number): number => Math.max(2, W === null ? i + 1 : Math.min(i + 1, W));
  for (let h = 0; h < r.H; h++) {
    let e = 0;
    let o = 0;
    for (const i of qs) {
      const row = r.attn.subarray(((block * r.H + h) * r.T + i) * r.T, ((block * r.H + h) * r.T + i + 1) * r.T);
      let hi = 0;
      for (let j = 0; j <= i; j++) {
        const p = row[j] as number;
        if (p > 0) hi -= p * Math.log(p);
      }
      e += hi / Math.log(visible(i));
      o += 1 - (row[0] as number) - (row[i] as number);
    }
    rowEntropy.push(qs.length ? e / qs.length : 0);
    otherMass.push(qs.length ? o / qs.length : 0);
  }
  return { rowEntropy, otherMass };
}

/** Block b's writes at BOS: their norms and the attention's share <a, a+m> / ||a+m||^2 of the BOS change. */
export function refBosWrites(r: RefResult, block: number): { attnNorm: number; mlpNorm: number; attnShare: number } {
  const a = r.bosWrites.attn.subarray(block * r.d, (block + 1) * r.d);
  const m = r.bosWrites.mlp.subarray(block * r.d, (block + 1) * r.d);
  let an = 0;
  let mn = 0;
  let dot = 0;
  let sq = 0;
  for (let j = 0; j < r.d; j++) {
    const x = a[j] as number;
    const y = m[j] as number;
    an += x * x;
    mn += y * y;
    dot += x * (x + y);
    sq += (x + y) ** 2;
  }
  return { attnNorm: Math.sqrt(an), mlpNorm: Math.sqrt(mn), attnShare: sq > 0 ? dot / sq : 0 };
}
