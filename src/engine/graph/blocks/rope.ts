/**
 * Rotary position embeddings, HF `rotate_half` convention over the first `rotaryDim` dims of each
 * head. inv_freq (with llama3 / linear scaling) is computed here in TypeScript and baked into the
 * graph as [1, rotaryDim/2]; the angles, cos and sin are computed in the graph from the prompt's own
 * positions, so the tables are [T, rotaryDim] whatever max_position_embeddings a config claims.
 * (`ropeCaches` is the same computation in TypeScript, kept as the tests' reference.)
 */
import type { CanonicalConfig, RopeScaling } from '../../arch/types';
import { DT, int, type GraphBuilder } from '../builder';

type Rope = NonNullable<CanonicalConfig['rope']>;

/**
 * inv_freq[i] = theta^(-2i/rotaryDim), i < rotaryDim/2, rounded to float32 like torch, then scaled.
 * Longrope has two tables; `long` picks the one used beyond original_max_position_embeddings.
 */
export function inverseFrequencies(rope: Rope, long = false): Float32Array {
  const half = rope.rotaryDim / 2;
  const inv = new Float32Array(half);
  const s = rope.scaling;
  for (let i = 0; i < half; i++) {
    const pow = Math.pow(rope.theta, Math.fround((2 * i) / rope.rotaryDim));
    // longrope: 1 / (ext[i] * theta^(2i/rd)) (transformers' _compute_longrope_parameters)
    inv[i] = s?.type === 'longrope' ? 1 / Math.fround(((long ? s.longFactor : s.shortFactor)[i] as number) * Math.fround(pow)) : 1 / pow;
  }
  if (s?.type === 'yarn') return yarnFrequencies(inv, rope.theta, rope.rotaryDim, s);
  return s && s.type !== 'longrope' ? scaleFrequencies(inv, s) : inv;
}

type Yarn = Extract<RopeScaling, { type: 'yarn' }>;

/**
 * transformers' `_compute_yarn_parameters`: a linear ramp over the frequency index between the dims
 * whose wavelengths make beta_fast and beta_slow rotations in the original context blends
 * extrapolation (inv, kept) into interpolation (inv / factor).
 */
function yarnFrequencies(inv: Float32Array, theta: number, dim: number, s: Yarn): Float32Array {
  const correctionDim = (rotations: number): number => (dim * Math.log(s.originalMaxPositions / (rotations * 2 * Math.PI))) / (2 * Math.log(theta));
  let low = correctionDim(s.betaFast);
  let high = correctionDim(s.betaSlow);
  if (s.truncate) {
    low = Math.floor(low);
    high = Math.ceil(high);
  }
  low = Math.max(low, 0);
  high = Math.min(high, dim - 1);
  if (low === high) high += 0.001; // transformers' guard against a zero-width ramp
  return inv.map((f, i) => {
    const ramp = Math.min(1, Math.max(0, (i - low) / (high - low))); // 0: extrapolate, 1: interpolate
    return (f / s.factor) * ramp + f * (1 - ramp);
  });
}

/** Longrope's and YaRN's attention factor multiplies cos and sin (so q.k scales by its square); 1 otherwise. */
export function ropeAttentionFactor(rope: Rope): number {
  const s = rope.scaling;
  return s?.type === 'yarn' || s?.type === 'longrope' ? s.attentionFactor : 1;
}

/** transformers' `_compute_llama3_parameters` and linear scaling (positions / factor). */
function scaleFrequencies(inv: Float32Array, s: Exclude<RopeScaling, { type: 'longrope' } | Yarn>): Float32Array {
  if (s.type === 'linear') return inv.map((f) => f / s.factor);
  const lowWavelen = s.originalMaxPositions / s.lowFreqFactor;
  const highWavelen = s.originalMaxPositions / s.highFreqFactor;
  return inv.map((f) => {
    const wavelen = (2 * Math.PI) / f;
    if (wavelen < highWavelen) return f;
    if (wavelen > lowWavelen) return f / s.factor;
    const smooth = (s.originalMaxPositions / wavelen - s.lowFreqFactor) / (s.highFreqFactor - s.lowFreqFactor);
    return (1 - smooth) * (f / s.factor) + smooth * f;
  });
}

/**
 * cos [P, rd] = cat(cos(p f), cos(p f)); sin [P, rd] = cat(-sin(p f), sin(p f)), so that
 * rotate_half(x) * sin_hf = swap_halves(x) * sin. Angles are float32 products, as in torch.
 */
export function ropeCaches(rope: Rope, positions: number): { cos: Float32Array; sin: Float32Array } {
  const long = rope.scaling?.type === 'longrope' && positions > rope.scaling.originalMaxPositions;
  const inv = inverseFrequencies(rope, long);
  const rd = rope.rotaryDim;
  const half = rd / 2;
  const m = ropeAttentionFactor(rope);
  const cos = new Float32Array(positions * rd);
  const sin = new Float32Array(positions * rd);
  for (let p = 0; p < positions; p++) {
    for (let i = 0; i < half; i++) {
      const angle = Math.fround(p * (inv[i] as number));
      const c = Math.cos(angle) * m;
      const s = Math.sin(angle) * m;
      cos[p * rd + i] = c;
      cos[p * rd + half + i] = c;
      sin[p * rd + i] = -s;
      sin[p * rd + half + i] = s;
    }
  }
  return { cos, sin };
}

/**
 * [1, rd/2] inv_freq. Longrope: both tables, and Where(T > original_max_position_embeddings, long,
 * short) in the graph, since T is dynamic (transformers picks per forward from the sequence length).
 */
function makeInvFreq(g: GraphBuilder, rope: Rope, positions: string, p: string): string {
  const inv = inverseFrequencies(rope);
  const short = g.floatTensor(`${p}/inv_freq`, [1, inv.length], inv); // [1, rd/2]
  if (rope.scaling?.type !== 'longrope') return short;
  const long = g.floatTensor(`${p}/inv_freq_long`, [1, inv.length], inverseFrequencies(rope, true)); // [1, rd/2]
  const T = g.op('Shape', `${p}/longrope/Shape`, [positions]); // [1]
  const isLong = g.op('Greater', `${p}/longrope/Greater`, [T, g.i64([rope.scaling.originalMaxPositions])]); // [1] bool
  return g.op('Where', `${p}/longrope/Where`, [isLong, long, short]); // [1, rd/2]
}

/** cos/sin [T, rd] times the attention factor when it is not 1 (longrope). */
function scaled(g: GraphBuilder, name: string, x: string, rope: Rope): string {
  const m = ropeAttentionFactor(rope);
  return m === 1 ? x : g.op('Mul', `${name}/Mul`, [x, g.f32([m], [])]);
}

/**
 * The per-position rows, shared by every layer: cos/sin [T, 1, rd] (broadcast over heads), computed from
 * `positions` [T] int64: angles = float32(p) * inv_freq, as torch does in float32. `p` names the
 * tables (Gemma 3's local RoPE gets its own).
 */
export function makeRopeTables(g: GraphBuilder, rope: Rope, positions: string, p = '/model/rotary'): { cos: string; sin: string } {
  const invFreq = makeInvFreq(g, rope, positions, p); // [1, rd/2]
  const posF = g.op('Cast', `${p}/positions/Cast`, [positions], { to: int(DT.FLOAT) }); // [T]
  const posCol = g.op('Unsqueeze', `${p}/positions/Unsqueeze`, [posF, g.i64([1])]); // [T, 1]
  const angles = g.op('Mul', `${p}/angles/Mul`, [posCol, invFreq]); // [T, rd/2]
  const c = g.op('Cos', `${p}/Cos`, [angles]); // [T, rd/2]
  const s = g.op('Sin', `${p}/Sin`, [angles]); // [T, rd/2]
  const negS = g.op('Neg', `${p}/sin/Neg`, [s]); // [T, rd/2]
  const cosT = scaled(g, `${p}/cos/scale`, g.op('Concat', `${p}/cos/Concat`, [c, c], { axis: int(-1) }), rope); // [T, rd]
  const sinT = scaled(g, `${p}/sin/scale`, g.op('Concat', `${p}/sin/Concat`, [negS, s], { axis: int(-1) }), rope); // [T, rd]
  const axis1 = g.i64([1]);
  return {
    cos: g.op('Unsqueeze', `${p}/cos/Unsqueeze`, [cosT, axis1]), // [T, 1, rd]
    sin: g.op('Unsqueeze', `${p}/sin/Unsqueeze`, [sinT, axis1]), // [T, 1, rd]
  };
}

/*
 *  x [T, n, hd] ──Split(rd | hd-rd)──► x_rot [T,n,rd]          x_pass [T,n,hd-rd]
 *                                        │  ├─Split(halves)─► x1, x2 ─Concat(x2, x1)─► swapped
 *                                        │  │                                           │
 *                                        └─Mul(cos)──────────────Add◄──────Mul(sin)─────┘
 *                                                                 │
 *                                                  Concat(rotated, x_pass) ─► [T, n, hd]
 */
export function makeRope(g: GraphBuilder, name: string, x: string, headDim: number, rotaryDim: number, tables: { cos: string; sin: string }): string {
  const half = rotaryDim / 2;
  const partial = rotaryDim < headDim;
  const [xRot, xPass] = partial
    ? g.node('Split', `${name}/Split`, [x, g.i64([rotaryDim, headDim - rotaryDim])], { axis: int(-1) }, 2)
    : [x, ''];
  const [x1, x2] = g.node('Split', `${name}/halves/Split`, [xRot as string, g.i64([half, half])], { axis: int(-1) }, 2);
  const swapped = g.op('Concat', `${name}/swap/Concat`, [x2 as string, x1 as string], { axis: int(-1) });
  const a = g.op('Mul', `${name}/cos/Mul`, [xRot as string, tables.cos]);
  const b = g.op('Mul', `${name}/sin/Mul`, [swapped, tables.sin]);
  const rotated = g.op('Add', `${name}/Add`, [a, b]); // [T, n, rd]
  return partial ? g.op('Concat', `${name}/Concat`, [rotated, xPass as string], { axis: int(-1) }) : rotated;
}
