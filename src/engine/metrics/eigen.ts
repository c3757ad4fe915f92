/**
 * Eigenvalues of a real symmetric matrix (eigenvalues only, float64).
 *
 * Householder reduction to tridiagonal form (lower triangle, row-oriented so that every inner loop
 * runs over contiguous memory; in WebAssembly SIMD where available, wasmKernel.ts) after an exact power-of-two scaling, then `tridiagonal.ts` (implicit
 * QL, bisection when QL does not converge). Cost: ~(2/3) n^3 multiply-adds for the reduction,
 * O(n^2) for the tridiagonal. No eigenvectors are formed: the metrics only need the spectrum.
 * `borderedSpectra` and `rankOneSpectra` get the spectra with and without the BOS row from one
 * reduction, and their two tridiagonal QLs interleaved (`tridiagonalEigenvaluesPair`).
 */
import { tridiagonalEigenvalues, tridiagonalEigenvaluesPair } from './tridiagonal';
import { wasmTridiagonalize } from './wasmKernel';

/** Eigenvalues of the symmetric n x n matrix `a` (row-major; only the lower triangle is read), descending. `a` is not modified. Non-finite input gives NaNs, never an exception. */
export function symmetricEigenvalues(a: ArrayLike<number>, n: number): Float64Array {
  if (a.length < n * n) throw new Error(`symmetricEigenvalues: need ${n * n} values, got ${a.length}`);
  if (n === 0) return new Float64Array(0);
  const w = new Float64Array((n * (n + 1)) / 2); // packed lower triangle, working copy
  for (let i = 0, o = 0; i < n; i++) for (let j = 0; j <= i; j++) w[o++] = a[i * n + j] as number;
  const t = tridiagonalForm(w, n);
  return descending(t, 0, 0);
}

/**
 * Eigenvalues of a symmetric positive semi-definite matrix (a Gram matrix), descending, with
 * negative values (round-off of zero eigenvalues: |lambda| ~ eps * lambda_max) clamped to 0.
 */
export function psdEigenvalues(a: ArrayLike<number>, n: number): Float64Array {
  return clampPsd(symmetricEigenvalues(a, n));
}

/**
 * PSD spectra of a symmetric G [n, n] and of its trailing block G[1:, 1:] [n-1, n-1], descending,
 * from ONE tridiagonalisation: the top-down Householder reduction never mixes row 0 into the
 * trailing block (every reflector acts on rows >= 1 and leaves e_0 fixed), so the trailing
 * (n-1) x (n-1) block of the tridiagonal form is orthogonally similar to G[1:, 1:].
 */
export function borderedSpectra(G: ArrayLike<number>, n: number): { full: Float64Array; inner: Float64Array } {
  if (G.length < n * n) throw new Error(`borderedSpectra: need ${n * n} values, got ${G.length}`);
  if (n === 0) return { full: new Float64Array(0), inner: new Float64Array(0) };
  const w = new Float64Array((n * (n + 1)) / 2); // packed lower triangle [n, n]
  for (let i = 0, o = 0; i < n; i++) for (let j = 0; j <= i; j++) w[o++] = G[i * n + j] as number;
  const t = tridiagonalForm(w, n);
  const [full, inner] = descendingPair(t, 0, 0, 1, 0);
  return { full: clampPsd(full), inner: clampPsd(inner) };
}

/**
 * PSD spectra of a symmetric C [n, n] and of C + x x^T, descending, from ONE tridiagonalisation of
 * the bordered matrix [[0, u^T], [u, C]] with u = x / |x|: its first reflector maps u to e_1, so
 * the trailing tridiagonal T' = Q^T C Q has Q e_1 = u, hence Q^T (C + x x^T) Q = T' + |x|^2 e_1 e_1^T
 * (still tridiagonal). Half the work of two eigendecompositions. `fromGram`: the first argument is G = C + x x^T
 * (C is formed entry by entry while packing, G - x x^T in float64: no n x n copy).
 */
export function rankOneSpectra(C: ArrayLike<number>, x: ArrayLike<number>, n: number, fromGram = false): { base: Float64Array; updated: Float64Array } {
  if (C.length < n * n || x.length < n) throw new Error(`rankOneSpectra: need ${n * n} + ${n} values, got ${C.length} + ${x.length}`);
  if (n === 0) return { base: new Float64Array(0), updated: new Float64Array(0) };
  let xx = 0;
  for (let i = 0; i < n; i++) xx += (x[i] as number) ** 2;
  const inv = xx > 0 && Number.isFinite(xx) ? 1 / Math.sqrt(xx) : 0;
  const m = n + 1;
  const w = new Float64Array((m * (m + 1)) / 2); // packed lower triangle [n+1, n+1]
  let o = 1; // w[0] = 0: the border's corner
  for (let i = 0; i < n; i++) {
    const xi = x[i] as number;
    w[o++] = xi * inv;
    if (fromGram) for (let j = 0; j <= i; j++) w[o++] = (C[i * n + j] as number) + -xi * (x[j] as number);
    else for (let j = 0; j <= i; j++) w[o++] = C[i * n + j] as number;
  }
  const t = tridiagonalForm(w, m, 1);
  const [base, updated] = descendingPair(t, 1, 0, 1, Number.isFinite(xx) ? xx : NaN);
  return { base: clampPsd(base), updated: clampPsd(updated) };
}

interface Tridiagonal {
  diag: Float64Array;
  off: Float64Array;
  /** The matrix was multiplied by this power of two before the reduction. */
  scale: number;
}

/**
 * Scales the packed matrix (rows from `fixedRows` on) by a power of two so its largest entry is in
 * [1, 2) (exact; keeps squares of huge entries from overflowing and of tiny ones from underflowing:
 * hidden states span 1e-4..1e4 and their Grams 1e-8..1e8), then tridiagonalises it in place.
 * `fixedRows` = 1 leaves the border column of `rankOneSpectra` unscaled (only its direction matters).
 */
function tridiagonalForm(w: Float64Array, n: number, fixedRows = 0): Tridiagonal {
  let max = 0;
  let finite = true;
  for (let i = 0; i < n; i++) {
    const row = (i * (i + 1)) >> 1;
    for (let j = 0; j <= i; j++) {
      const v = Math.abs(w[row + j] as number);
      if (!(v <= Number.MAX_VALUE)) finite = false;
      else if (j >= fixedRows && v > max) max = v;
    }
  }
  const diag = new Float64Array(n);
  const off = new Float64Array(n); // off[i] couples i and i+1; off[n-1] = 0
  if (!finite) return { diag: diag.fill(NaN), off, scale: 1 };
  const scale = max > 0 ? 2 ** (0 - Math.floor(Math.log2(max))) : 1; // 0 - floor: never -0 (see rootFreeQL)
  if (scale !== 1) {
    for (let i = fixedRows; i < n; i++) {
      const row = (i * (i + 1)) >> 1;
      for (let j = fixedRows; j <= i; j++) w[row + j] = (w[row + j] as number) * scale;
    }
  }
  if (!wasmTridiagonalize(w, n, diag, off)) tridiagonalizeJs(w, n, diag, off);
  return { diag, off, scale };
}

/** Eigenvalues of the tridiagonal from row `from` on, plus `add` at its first diagonal entry (unscaled units), descending. */
function descending(t: Tridiagonal, from: number, add: number): Float64Array {
  const [d, e] = trailing(t, from, add);
  return unscaled(tridiagonalEigenvalues(d, e).values, t.scale);
}

/** `descending` for two trailing parts of one tridiagonal, their QLs interleaved (tridiagonalEigenvaluesPair). */
function descendingPair(t: Tridiagonal, fromA: number, addA: number, fromB: number, addB: number): [Float64Array, Float64Array] {
  const [dA, eA] = trailing(t, fromA, addA);
  const [dB, eB] = trailing(t, fromB, addB);
  const [a, b] = tridiagonalEigenvaluesPair(dA, eA, dB, eB);
  return [unscaled(a.values, t.scale), unscaled(b.values, t.scale)];
}

/** The tridiagonal from row `from` on, with `add` (unscaled units) at its first diagonal entry. */
function trailing(t: Tridiagonal, from: number, add: number): [Float64Array, Float64Array] {
  const d = t.diag.slice(from);
  if (d.length > 0) d[0] = (d[0] as number) + add * t.scale;
  return [d, t.off.slice(from)];
}

/** Eigenvalues back in the matrix's units, descending. */
function unscaled(values: Float64Array, scale: number): Float64Array {
  for (let i = 0; i < values.length; i++) values[i] = (values[i] as number) / scale;
  return values.sort().reverse();
}

/** Negative eigenvalues of a PSD matrix are round-off of zeros: clamp them to 0 (NaN stays NaN). */
function clampPsd(ev: Float64Array): Float64Array {
  for (let i = 0; i < ev.length; i++) if ((ev[i] as number) < 0) ev[i] = 0;
  return ev;
}

/**
 * Householder tridiagonalisation of the packed lower triangle `w` (row i starts at i(i+1)/2).
 * Step k annihilates column k below the sub-diagonal with a reflector P = I - v v^T / h on rows
 * k+1..n-1; the trailing block becomes A - v q^T - q v^T with p = A v / h, q = p - (v^T p / 2h) v.
 * Why fused: that rank-2 update of step k is applied in the same sweep over memory as the
 * matrix-vector product A v of step k+1 (column k+1 is corrected first so v of step k+1 is known),
 * which halves the memory traffic; n = 1024 is memory-bound. The WebAssembly kernel (wasm/tridiagonalize.c)
 * runs the same steps in SIMD and is used where it loads; this is the fallback.
 */
function tridiagonalizeJs(w: Float64Array, n: number, diag: Float64Array, off: Float64Array): void {
  let v = new Float64Array(n); // reflector of the pending (not yet applied) update
  let q = new Float64Array(n);
  let nv = new Float64Array(n); // reflector being built
  let np = new Float64Array(n);
  let pending = false;
  const col = new Float64Array(n);
  for (let k = 0; k < n - 2; k++) {
    const s = k + 1;
    // Column k (rows s..n-1) and diagonal k with the pending update of step k-1 applied.
    const vk = pending ? (v[k] as number) : 0;
    const qk = pending ? (q[k] as number) : 0;
    const dk = ((k * (k + 1)) >> 1) + k;
    w[dk] = (w[dk] as number) - 2 * vk * qk;
    let scale = 0;
    for (let i = s; i < n; i++) {
      const c = (w[((i * (i + 1)) >> 1) + k] as number) - (pending ? (v[i] as number) * qk + (q[i] as number) * vk : 0);
      col[i] = c;
      scale += Math.abs(c);
    }
    const reflect = scale > 0;
    let h = 1;
    if (reflect) {
      let sigma = 0;
      for (let i = s; i < n; i++) {
        const x = (col[i] as number) / scale;
        nv[i] = x;
        sigma += x * x;
      }
      const x0 = nv[s] as number;
      const alpha = x0 >= 0 ? -Math.sqrt(sigma) : Math.sqrt(sigma);
      off[k] = alpha * scale;
      h = sigma - x0 * alpha; // v^T v / 2 with v[s] = x0 - alpha
      nv[s] = x0 - alpha;
    } else {
      off[k] = 0;
      nv.fill(0, s, n);
    }
    // One sweep over the trailing block: apply the pending update, accumulate p = A v.
    np.fill(0, s, n);
    if (!pending) {
      // Nothing pending (first step, or the previous column was already zero): v = q = 0.
      v.fill(0, s, n);
      q.fill(0, s, n);
    }
    let i = s;
    for (; i + 3 < n; i += 4) sweepRowQuad(w, i, s, v, q, nv, np);
    for (; i + 1 < n; i += 2) sweepRowPair(w, i, s, v, q, nv, np);
    if (i < n) sweepRow(w, i, s, v, q, nv, np);
    if (reflect) {
      let vp = 0;
      for (let i = s; i < n; i++) {
        np[i] = (np[i] as number) / h;
        vp += (nv[i] as number) * (np[i] as number);
      }
      const kk = vp / (2 * h);
      for (let i = s; i < n; i++) np[i] = (np[i] as number) - kk * (nv[i] as number); // q
    }
    [v, nv] = [nv, v];
    [q, np] = [np, q];
    pending = reflect;
  }
  // Apply the last pending update to the remaining 2 x 2 block.
  if (pending) {
    for (let i = n - 2; i < n; i++) {
      const row = (i * (i + 1)) >> 1;
      for (let j = n - 2; j <= i; j++) {
        w[row + j] = (w[row + j] as number) - (v[i] as number) * (q[j] as number) - (q[i] as number) * (v[j] as number);
      }
    }
  }
  for (let i = 0; i < n; i++) diag[i] = w[((i * (i + 1)) >> 1) + i] as number;
  if (n >= 2) off[n - 2] = w[(((n - 1) * n) >> 1) + n - 2] as number;
  off[n - 1] = 0;
}

/**
 * Rows i..i+3 of the fused sweep together: each load of v, q, nv, p serves four rows (the sweep is
 * bound by those loads, not by the multiply-adds). Then the 4 x 4 lower-triangular corner.
 */
function sweepRowQuad(w: Float64Array, i: number, s: number, v: Float64Array, q: Float64Array, nv: Float64Array, np: Float64Array): void {
  const r0 = (i * (i + 1)) >> 1;
  const r1 = r0 + i + 1; // each row starts right after the previous one (row k has k+1 entries)
  const r2 = r1 + i + 2;
  const r3 = r2 + i + 3;
  const v0 = v[i] as number;
  const v1 = v[i + 1] as number;
  const v2 = v[i + 2] as number;
  const v3 = v[i + 3] as number;
  const q0 = q[i] as number;
  const q1 = q[i + 1] as number;
  const q2 = q[i + 2] as number;
  const q3 = q[i + 3] as number;
  const n0 = nv[i] as number;
  const n1 = nv[i + 1] as number;
  const n2 = nv[i + 2] as number;
  const n3 = nv[i + 3] as number;
  let acc0 = 0;
  let acc1 = 0;
  let acc2 = 0;
  let acc3 = 0;
  for (let j = s; j < i; j++) {
    const qj = q[j] as number;
    const vj = v[j] as number;
    const nvj = nv[j] as number;
    const a0 = (w[r0 + j] as number) - v0 * qj - q0 * vj;
    const a1 = (w[r1 + j] as number) - v1 * qj - q1 * vj;
    const a2 = (w[r2 + j] as number) - v2 * qj - q2 * vj;
    const a3 = (w[r3 + j] as number) - v3 * qj - q3 * vj;
    w[r0 + j] = a0;
    w[r1 + j] = a1;
    w[r2 + j] = a2;
    w[r3 + j] = a3;
    acc0 += a0 * nvj;
    acc1 += a1 * nvj;
    acc2 += a2 * nvj;
    acc3 += a3 * nvj;
    np[j] = (np[j] as number) + a0 * n0 + a1 * n1 + a2 * n2 + a3 * n3;
  }
  // The corner: element (i+a, i+b) for b < a, and the four diagonal entries.
  const e10 = (w[r1 + i] as number) - v1 * q0 - q1 * v0;
  const e20 = (w[r2 + i] as number) - v2 * q0 - q2 * v0;
  const e21 = (w[r2 + i + 1] as number) - v2 * q1 - q2 * v1;
  const e30 = (w[r3 + i] as number) - v3 * q0 - q3 * v0;
  const e31 = (w[r3 + i + 1] as number) - v3 * q1 - q3 * v1;
  const e32 = (w[r3 + i + 2] as number) - v3 * q2 - q3 * v2;
  const d0 = (w[r0 + i] as number) - 2 * v0 * q0;
  const d1 = (w[r1 + i + 1] as number) - 2 * v1 * q1;
  const d2 = (w[r2 + i + 2] as number) - 2 * v2 * q2;
  const d3 = (w[r3 + i + 3] as number) - 2 * v3 * q3;
  w[r1 + i] = e10;
  w[r2 + i] = e20;
  w[r2 + i + 1] = e21;
  w[r3 + i] = e30;
  w[r3 + i + 1] = e31;
  w[r3 + i + 2] = e32;
  w[r0 + i] = d0;
  w[r1 + i + 1] = d1;
  w[r2 + i + 2] = d2;
  w[r3 + i + 3] = d3;
  np[i] = (np[i] as number) + e10 * n1 + e20 * n2 + e30 * n3 + acc0 + d0 * n0;
  np[i + 1] = (np[i + 1] as number) + e21 * n2 + e31 * n3 + acc1 + e10 * n0 + d1 * n1;
  np[i + 2] = (np[i + 2] as number) + e32 * n3 + acc2 + e20 * n0 + e21 * n1 + d2 * n2;
  np[i + 3] = (np[i + 3] as number) + acc3 + e30 * n0 + e31 * n1 + e32 * n2 + d3 * n3;
}

/** Rows i and i+1 of the fused sweep together: each load of v, q, nv, p serves two rows. */
function sweepRowPair(w: Float64Array, i: number, s: number, v: Float64Array, q: Float64Array, nv: Float64Array, np: Float64Array): void {
  const r0 = (i * (i + 1)) >> 1;
  const r1 = r0 + i + 1; // row i+1 starts right after row i (length i+1)
  const v0 = v[i] as number;
  const q0 = q[i] as number;
  const n0 = nv[i] as number;
  const v1 = v[i + 1] as number;
  const q1 = q[i + 1] as number;
  const n1 = nv[i + 1] as number;
  let acc0 = 0;
  let acc1 = 0;
  for (let j = s; j < i; j++) {
    const qj = q[j] as number;
    const vj = v[j] as number;
    const nvj = nv[j] as number;
    const a0 = (w[r0 + j] as number) - v0 * qj - q0 * vj;
    const a1 = (w[r1 + j] as number) - v1 * qj - q1 * vj;
    w[r0 + j] = a0;
    w[r1 + j] = a1;
    acc0 += a0 * nvj;
    acc1 += a1 * nvj;
    np[j] = (np[j] as number) + a0 * n0 + a1 * n1;
  }
  const a10 = (w[r1 + i] as number) - v1 * q0 - q1 * v0; // element (i+1, i)
  w[r1 + i] = a10;
  acc1 += a10 * n0;
  const d0 = (w[r0 + i] as number) - 2 * v0 * q0;
  const d1 = (w[r1 + i + 1] as number) - 2 * v1 * q1;
  w[r0 + i] = d0;
  w[r1 + i + 1] = d1;
  np[i] = (np[i] as number) + a10 * n1 + acc0 + d0 * n0;
  np[i + 1] = (np[i + 1] as number) + acc1 + d1 * n1;
}

function sweepRow(w: Float64Array, i: number, s: number, v: Float64Array, q: Float64Array, nv: Float64Array, np: Float64Array): void {
  const row = (i * (i + 1)) >> 1;
  const vi = v[i] as number;
  const qi = q[i] as number;
  const nvi = nv[i] as number;
  let acc = 0;
  for (let j = s; j < i; j++) {
    const a = (w[row + j] as number) - vi * (q[j] as number) - qi * (v[j] as number);
    w[row + j] = a;
    acc += a * (nv[j] as number);
    np[j] = (np[j] as number) + a * nvi;
  }
  const aii = (w[row + i] as number) - 2 * vi * qi;
  w[row + i] = aii;
  np[i] = (np[i] as number) + acc + aii * nvi;
}
