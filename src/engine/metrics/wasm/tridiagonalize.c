// Householder tridiagonalisation of a packed lower triangle (row i starts at i(i+1)/2): the same
// algorithm as tridiagonalizeJs in ../eigen.ts (the fused sweep: step k's rank-2 update applied in
// the sweep that accumulates step k+1's A v), with the sweep's inner loop two columns at a time in
// WebAssembly SIMD (f64x2). Compiled by scripts/build-wasm.mjs into tridiagonalizeWasm.ts, twice: plain
// SIMD, and with SINKLENS_RELAXED_SIMD (-mrelaxed-simd) for runtimes with relaxed SIMD; no libc (sqrt and
// fabs are WebAssembly instructions, zero fills become memory.fill).
#include <wasm_simd128.h>

// The inner loop's multiply-adds. With SINKLENS_RELAXED_SIMD they are relaxed-SIMD multiply-adds, which
// V8 emits as fused multiply-adds where the CPU has them (one rounding instead of two): the sweep ~20%
// faster (n = 257 and 769) in Node >= 22 and VS Code's Electron. Runtimes without relaxed SIMD (Node 20)
// refuse that module and load the plain one, whose arithmetic is a multiply, then an add.
#ifdef SINKLENS_RELAXED_SIMD
typedef double f64x2 __attribute__((vector_size(16)));
// c - a b
static inline v128_t nmadd(v128_t a, v128_t b, v128_t c) { return (v128_t)__builtin_wasm_relaxed_nmadd_f64x2((f64x2)a, (f64x2)b, (f64x2)c); }
// c + a b
static inline v128_t madd(v128_t a, v128_t b, v128_t c) { return (v128_t)__builtin_wasm_relaxed_madd_f64x2((f64x2)a, (f64x2)b, (f64x2)c); }
// c + a0 b0 + a1 b1
static inline v128_t madd2(v128_t a0, v128_t b0, v128_t a1, v128_t b1, v128_t c) { return madd(a1, b1, madd(a0, b0, c)); }
#else
static inline v128_t nmadd(v128_t a, v128_t b, v128_t c) { return wasm_f64x2_sub(c, wasm_f64x2_mul(a, b)); }
static inline v128_t madd(v128_t a, v128_t b, v128_t c) { return wasm_f64x2_add(c, wasm_f64x2_mul(a, b)); }
static inline v128_t madd2(v128_t a0, v128_t b0, v128_t a1, v128_t b1, v128_t c) { return wasm_f64x2_add(c, wasm_f64x2_add(wasm_f64x2_mul(a0, b0), wasm_f64x2_mul(a1, b1))); }
#endif

typedef unsigned long size_t;

static inline size_t rowStart(size_t i) { return (i * (i + 1)) >> 1; }

static void fill0(double *x, size_t from, size_t to) {
  for (size_t i = from; i < to; i++) x[i] = 0;
}

// Rows i and i+1 together; the j loop two columns at a time. (Four rows at a time, which shares the
// loads of q, v and nv over more rows but keeps 12 splats and 4 sums live, measured 8-10% slower at
// n = 257 and 769 under Node 20's V8.)
static void sweepPair(double *w, size_t i, size_t s, const double *v, const double *q, const double *nv, double *np) {
  const size_t r0 = rowStart(i), r1 = r0 + i + 1;
  const double v0 = v[i], v1 = v[i + 1], q0 = q[i], q1 = q[i + 1], n0 = nv[i], n1 = nv[i + 1];
  v128_t V0 = wasm_f64x2_splat(v0), V1 = wasm_f64x2_splat(v1), Q0 = wasm_f64x2_splat(q0), Q1 = wasm_f64x2_splat(q1);
  v128_t N0 = wasm_f64x2_splat(n0), N1 = wasm_f64x2_splat(n1);
  v128_t A0 = wasm_f64x2_splat(0), A1 = A0;
  size_t j = s;
  for (; j + 1 < i; j += 2) {
    v128_t qj = wasm_v128_load(q + j), vj = wasm_v128_load(v + j), nvj = wasm_v128_load(nv + j);
    v128_t a0 = nmadd(Q0, vj, nmadd(V0, qj, wasm_v128_load(w + r0 + j)));
    v128_t a1 = nmadd(Q1, vj, nmadd(V1, qj, wasm_v128_load(w + r1 + j)));
    wasm_v128_store(w + r0 + j, a0);
    wasm_v128_store(w + r1 + j, a1);
    A0 = madd(a0, nvj, A0);
    A1 = madd(a1, nvj, A1);
    wasm_v128_store(np + j, madd2(a0, N0, a1, N1, wasm_v128_load(np + j)));
  }
  double acc0 = wasm_f64x2_extract_lane(A0, 0) + wasm_f64x2_extract_lane(A0, 1);
  double acc1 = wasm_f64x2_extract_lane(A1, 0) + wasm_f64x2_extract_lane(A1, 1);
  for (; j < i; j++) {
    const double qj = q[j], vj = v[j], nvj = nv[j];
    const double a0 = w[r0 + j] - v0 * qj - q0 * vj, a1 = w[r1 + j] - v1 * qj - q1 * vj;
    w[r0 + j] = a0; w[r1 + j] = a1;
    acc0 += a0 * nvj; acc1 += a1 * nvj;
    np[j] += a0 * n0 + a1 * n1;
  }
  const double e10 = w[r1 + i] - v1 * q0 - q1 * v0;
  const double d0 = w[r0 + i] - 2 * v0 * q0, d1 = w[r1 + i + 1] - 2 * v1 * q1;
  w[r1 + i] = e10; w[r0 + i] = d0; w[r1 + i + 1] = d1;
  np[i] += e10 * n1 + acc0 + d0 * n0;
  np[i + 1] += acc1 + e10 * n0 + d1 * n1;
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
    for (; i + 1 < n; i += 2) sweepPair(w, i, s, v, q, nv, np);
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
