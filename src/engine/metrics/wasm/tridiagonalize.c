// Householder tridiagonalisation of a packed lower triangle (row i starts at i(i+1)/2): the same
// algorithm as tridiagonalizeJs in ../eigen.ts (the fused sweep: step k's rank-2 update applied in
// the sweep that accumulates step k+1's A v), with the sweep's inner loop two columns at a time in
// WebAssembly SIMD (f64x2). Compiled by scripts/build-wasm.mjs into tridiagonalizeWasm.ts; no libc
// (sqrt and fabs are WebAssembly instructions, zero fills become memory.fill).
#include <wasm_simd128.h>

typedef unsigned long size_t;

static inline size_t rowStart(size_t i) { return (i * (i + 1)) >> 1; }

static void fill0(double *x, size_t from, size_t to) {
  for (size_t i = from; i < to; i++) x[i] = 0;
}

// Rows i..i+3 together; the j loop two columns at a time.
static void sweepQuad(double *w, size_t i, size_t s, const double *v, const double *q, const double *nv, double *np) {
  const size_t r0 = rowStart(i), r1 = r0 + i + 1, r2 = r1 + i + 2, r3 = r2 + i + 3;
  const double v0 = v[i], v1 = v[i + 1], v2 = v[i + 2], v3 = v[i + 3];
  const double q0 = q[i], q1 = q[i + 1], q2 = q[i + 2], q3 = q[i + 3];
  const double n0 = nv[i], n1 = nv[i + 1], n2 = nv[i + 2], n3 = nv[i + 3];
  v128_t V0 = wasm_f64x2_splat(v0), V1 = wasm_f64x2_splat(v1), V2 = wasm_f64x2_splat(v2), V3 = wasm_f64x2_splat(v3);
  v128_t Q0 = wasm_f64x2_splat(q0), Q1 = wasm_f64x2_splat(q1), Q2 = wasm_f64x2_splat(q2), Q3 = wasm_f64x2_splat(q3);
  v128_t N0 = wasm_f64x2_splat(n0), N1 = wasm_f64x2_splat(n1), N2 = wasm_f64x2_splat(n2), N3 = wasm_f64x2_splat(n3);
  v128_t A0 = wasm_f64x2_splat(0), A1 = A0, A2 = A0, A3 = A0;
  size_t j = s;
  for (; j + 1 < i; j += 2) {
    v128_t qj = wasm_v128_load(q + j), vj = wasm_v128_load(v + j), nvj = wasm_v128_load(nv + j);
    v128_t a0 = wasm_f64x2_sub(wasm_f64x2_sub(wasm_v128_load(w + r0 + j), wasm_f64x2_mul(V0, qj)), wasm_f64x2_mul(Q0, vj));
    v128_t a1 = wasm_f64x2_sub(wasm_f64x2_sub(wasm_v128_load(w + r1 + j), wasm_f64x2_mul(V1, qj)), wasm_f64x2_mul(Q1, vj));
    v128_t a2 = wasm_f64x2_sub(wasm_f64x2_sub(wasm_v128_load(w + r2 + j), wasm_f64x2_mul(V2, qj)), wasm_f64x2_mul(Q2, vj));
    v128_t a3 = wasm_f64x2_sub(wasm_f64x2_sub(wasm_v128_load(w + r3 + j), wasm_f64x2_mul(V3, qj)), wasm_f64x2_mul(Q3, vj));
    wasm_v128_store(w + r0 + j, a0);
    wasm_v128_store(w + r1 + j, a1);
    wasm_v128_store(w + r2 + j, a2);
    wasm_v128_store(w + r3 + j, a3);
    A0 = wasm_f64x2_add(A0, wasm_f64x2_mul(a0, nvj));
    A1 = wasm_f64x2_add(A1, wasm_f64x2_mul(a1, nvj));
    A2 = wasm_f64x2_add(A2, wasm_f64x2_mul(a2, nvj));
    A3 = wasm_f64x2_add(A3, wasm_f64x2_mul(a3, nvj));
    v128_t p = wasm_f64x2_add(wasm_f64x2_add(wasm_f64x2_mul(a0, N0), wasm_f64x2_mul(a1, N1)), wasm_f64x2_add(wasm_f64x2_mul(a2, N2), wasm_f64x2_mul(a3, N3)));
    wasm_v128_store(np + j, wasm_f64x2_add(wasm_v128_load(np + j), p));
  }
  double acc0 = wasm_f64x2_extract_lane(A0, 0) + wasm_f64x2_extract_lane(A0, 1);
  double acc1 = wasm_f64x2_extract_lane(A1, 0) + wasm_f64x2_extract_lane(A1, 1);
  double acc2 = wasm_f64x2_extract_lane(A2, 0) + wasm_f64x2_extract_lane(A2, 1);
  double acc3 = wasm_f64x2_extract_lane(A3, 0) + wasm_f64x2_extract_lane(A3, 1);
  for (; j < i; j++) {
    const double qj = q[j], vj = v[j], nvj = nv[j];
    const double a0 = w[r0 + j] - v0 * qj - q0 * vj, a1 = w[r1 + j] - v1 * qj - q1 * vj;
    const double a2 = w[r2 + j] - v2 * qj - q2 * vj, a3 = w[r3 + j] - v3 * qj - q3 * vj;
    w[r0 + j] = a0; w[r1 + j] = a1; w[r2 + j] = a2; w[r3 + j] = a3;
    acc0 += a0 * nvj; acc1 += a1 * nvj; acc2 += a2 * nvj; acc3 += a3 * nvj;
    np[j] += a0 * n0 + a1 * n1 + a2 * n2 + a3 * n3;
  }
  const double e10 = w[r1 + i] - v1 * q0 - q1 * v0, e20 = w[r2 + i] - v2 * q0 - q2 * v0, e21 = w[r2 + i + 1] - v2 * q1 - q2 * v1;
  const double e30 = w[r3 + i] - v3 * q0 - q3 * v0, e31 = w[r3 + i + 1] - v3 * q1 - q3 * v1, e32 = w[r3 + i + 2] - v3 * q2 - q3 * v2;
  const double d0 = w[r0 + i] - 2 * v0 * q0, d1 = w[r1 + i + 1] - 2 * v1 * q1, d2 = w[r2 + i + 2] - 2 * v2 * q2, d3 = w[r3 + i + 3] - 2 * v3 * q3;
  w[r1 + i] = e10; w[r2 + i] = e20; w[r2 + i + 1] = e21; w[r3 + i] = e30; w[r3 + i + 1] = e31; w[r3 + i + 2] = e32;
  w[r0 + i] = d0; w[r1 + i + 1] = d1; w[r2 + i + 2] = d2; w[r3 + i + 3] = d3;
  np[i] += e10 * n1 + e20 * n2 + e30 * n3 + acc0 + d0 * n0;
  np[i + 1] += e21 * n2 + e31 * n3 + acc1 + e10 * n0 + d1 * n1;
  np[i + 2] += e32 * n3 + acc2 + e20 * n0 + e21 * n1 + d2 * n2;
  np[i + 3] += acc3 + e30 * n0 + e31 * n1 + e32 * n2 + d3 * n3;
}

static void sweepOne(double *w, size_t i, size_t s, const double *v, const double *q, const double *nv, double *np) {
  const size_t row = rowStart(i);
  const double vi = v[i], qi = q[i], nvi = nv[i];
  double acc = 0;
  for (size_t j = s; j < i; j++) {
    const double a = w[row + j] - vi * q[j] - qi * v[j];
    w[row + j] = a;
    acc += a * nv[j];
    np[j] += a * nvi;
  }
  const double aii = w[row + i] - 2 * vi * qi;
  w[row + i] = aii;
  np[i] += acc + aii * nvi;
}

// w: the packed lower triangle (overwritten); diag, off: n doubles each (off[i] couples i and i+1);
// scratch: 5 n doubles.
__attribute__((export_name("tridiagonalize")))
void tridiagonalize(double *w, int n_, double *diag, double *off, double *scratch) {
  const size_t n = (size_t)n_;
  double *v = scratch, *q = scratch + n, *nv = scratch + 2 * n, *np = scratch + 3 * n, *col = scratch + 4 * n;
  fill0(scratch, 0, 5 * n);
  int pending = 0;
  for (size_t k = 0; k + 2 < n; k++) {
    const size_t s = k + 1;
    const double vk = pending ? v[k] : 0, qk = pending ? q[k] : 0;
    const size_t dk = rowStart(k) + k;
    w[dk] = w[dk] - 2 * vk * qk;
    double scale = 0;
    for (size_t i = s; i < n; i++) {
      const double c = w[rowStart(i) + k] - (pending ? v[i] * qk + q[i] * vk : 0);
      col[i] = c;
      scale += __builtin_fabs(c);
    }
    const int reflect = scale > 0;
    double h = 1;
    if (reflect) {
      double sigma = 0;
      for (size_t i = s; i < n; i++) {
        const double x = col[i] / scale;
        nv[i] = x;
        sigma += x * x;
      }
      const double x0 = nv[s];
      const double alpha = x0 >= 0 ? -__builtin_sqrt(sigma) : __builtin_sqrt(sigma);
      off[k] = alpha * scale;
      h = sigma - x0 * alpha;
      nv[s] = x0 - alpha;
    } else {
      off[k] = 0;
      fill0(nv, s, n);
    }
    fill0(np, s, n);
    if (!pending) {
      fill0(v, s, n);
      fill0(q, s, n);
    }
    size_t i = s;
    for (; i + 3 < n; i += 4) sweepQuad(w, i, s, v, q, nv, np);
    for (; i < n; i++) sweepOne(w, i, s, v, q, nv, np);
    if (reflect) {
      double vp = 0;
      for (size_t i2 = s; i2 < n; i2++) {
        np[i2] = np[i2] / h;
        vp += nv[i2] * np[i2];
      }
      const double kk = vp / (2 * h);
      for (size_t i2 = s; i2 < n; i2++) np[i2] = np[i2] - kk * nv[i2];
    }
    double *t = v; v = nv; nv = t;
    t = q; q = np; np = t;
    pending = reflect;
  }
  if (pending) {
    for (size_t i = n - 2; i < n; i++) {
      const size_t row = rowStart(i);
      for (size_t j = n - 2; j <= i; j++) w[row + j] = w[row + j] - v[i] * q[j] - q[i] * v[j];
    }
  }
  for (size_t i = 0; i < n; i++) diag[i] = w[rowStart(i) + i];
  if (n >= 2) off[n - 2] = w[rowStart(n - 1) + n - 2];
  off[n - 1] = 0;
}
