/**
 * Float64 building blocks of the reference forward pass: plain loops, no cleverness, so each can
 * be read against the Hugging Face modeling code line by line.
 */

/** Torch Linear layout: w is [out, in] row-major and y = x w^T + b. */
export interface RefLinear {
  w: Float64Array; // [out, in]
  b: Float64Array | null; // [out]
  out: number;
  in: number;
}

export interface RefNorm {
  w: Float64Array; // [n]
  b: Float64Array | null; // [n], LayerNorm only
}

/** y = W x + b for one vector x of length lin.in. */
export function linear(lin: RefLinear, x: Float64Array): Float64Array {
  const y = new Float64Array(lin.out); // [out]
  for (let o = 0; o < lin.out; o++) {
    let s = lin.b ? (lin.b[o] as number) : 0;
    const row = o * lin.in;
    for (let i = 0; i < lin.in; i++) s += (lin.w[row + i] as number) * (x[i] as number);
    y[o] = s;
  }
  return y;
}

/** HF LlamaRMSNorm: x / sqrt(mean(x^2) + eps) * w. */
export function rmsNorm(x: Float64Array, n: RefNorm, eps: number): Float64Array {
  let ss = 0;
  for (const v of x) ss += v * v;
  const inv = 1 / Math.sqrt(ss / x.length + eps);
  return x.map((v, i) => v * inv * (n.w[i] as number));
}

/** torch.nn.LayerNorm: biased variance, then affine. */
export function layerNorm(x: Float64Array, n: RefNorm, eps: number): Float64Array {
  let mean = 0;
  for (const v of x) mean += v;
  mean /= x.length;
  let varSum = 0;
  for (const v of x) varSum += (v - mean) * (v - mean);
  const inv = 1 / Math.sqrt(varSum / x.length + eps);
  return x.map((v, i) => (v - mean) * inv * (n.w[i] as number) + (n.b ? (n.b[i] as number) : 0));
}

/**
 * erf by the everywhere-convergent series erf(x) = 2/sqrt(pi) e^{-x^2} sum_n 2^n x^{2n+1} / (2n+1)!!
 * (all terms positive, so no cancellation); |x| >= 6 is +-1 to double precision.
 */
export function erf(x: number): number {
  const ax = Math.abs(x);
  if (ax >= 6) return Math.sign(x);
  let term = ax;
  let sum = ax;
  for (let n = 1; n < 200 && term > sum * 1e-17; n++) {
    term *= (2 * ax * ax) / (2 * n + 1);
    sum += term;
  }
  return Math.sign(x) * (2 / Math.sqrt(Math.PI)) * Math.exp(-ax * ax) * sum;
}

export type RefAct = 'silu' | 'gelu_new' | 'gelu' | 'relu';

export function activate(act: RefAct, v: number): number {
  switch (act) {
    case 'silu':
      return v / (1 + Math.exp(-v));
    case 'gelu':
      return 0.5 * v * (1 + erf(v / Math.SQRT2));
    case 'gelu_new':
      return 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v * v * v)));
    case 'relu':
      return Math.max(0, v);
  }
}

/**
 * HF rotate_half RoPE applied in place to the first `rotaryDim` entries of one head vector:
 * pairs are (i, i + rotaryDim/2), out = x*cos + rotate_half(x)*sin with rotate_half = [-x2, x1].
 */
export function applyRope(x: Float64Array, offset: number, pos: number, invFreq: Float64Array): void {
  const half = invFreq.length;
  for (let i = 0; i < half; i++) {
    const ang = pos * (invFreq[i] as number);
    const c = Math.cos(ang);
    const s = Math.sin(ang);
    const x1 = x[offset + i] as number;
    const x2 = x[offset + i + half] as number;
    x[offset + i] = x1 * c - x2 * s;
    x[offset + i + half] = x2 * c + x1 * s;
  }
}

/** Numerically stable softmax over the first n entries of row (in place). */
export function softmaxPrefix(row: Float64Array, n: number): void {
  let m = -Infinity;
  for (let j = 0; j < n; j++) m = Math.max(m, row[j] as number);
  let z = 0;
  for (let j = 0; j < n; j++) {
    const e = Math.exp((row[j] as number) - m);
    row[j] = e;
    z += e;
  }
  for (let j = 0; j < n; j++) row[j] = (row[j] as number) / z;
  for (let j = n; j < row.length; j++) row[j] = 0;
}
