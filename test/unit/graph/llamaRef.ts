/**
 * A plain-loop float64 forward of the llama path (RMSNorm, RoPE with HF rotate_half, GQA, causal
 * softmax, SwiGLU, tied/untied head), written independently of src/engine/graph for the unit
 * tests. Returns the same quantities the runner does.
 */
import type { CanonicalConfig } from '../../../src/engine/arch/types';
import type { ModelWeights, WeightRef } from '../../../src/engine/weights/types';

export interface LlamaRefResult {
  hidden: Float64Array; // [L+1, T, d]
  attn: Float64Array; // [L, H, T, T]
  logits: Float64Array; // [T, V]
  /** Final norm + head applied to every h[l]: [L+1, T, V]. */
  lens: Float64Array;
}

const vec = (r: WeightRef | null): Float32Array | null => (r ? r.load() : null);

/** y [out] = W x + b with torch W [out, in]. */
function linear(w: Float32Array, b: Float32Array | null, x: ArrayLike<number>, out: number): Float64Array {
  const n = x.length;
  const y = new Float64Array(out);
  for (let o = 0; o < out; o++) {
    let s = b ? (b[o] as number) : 0;
    for (let i = 0; i < n; i++) s += (w[o * n + i] as number) * (x[i] as number);
    y[o] = s;
  }
  return y;
}

function rms(x: Float64Array, w: Float32Array, eps: number): Float64Array {
  let ss = 0;
  for (const v of x) ss += v * v;
  const r = 1 / Math.sqrt(ss / x.length + eps);
  return x.map((v, i) => v * r * (w[i] as number));
}

/** In place on one head slice: x[:rd] = x*cos + rotate_half(x)*sin. */
function rope(x: Float64Array, off: number, rd: number, pos: number, theta: number): void {
  const half = rd / 2;
  for (let i = 0; i < half; i++) {
    const f = 1 / Math.pow(theta, (2 * i) / rd);
    const c = Math.cos(pos * f);
    const s = Math.sin(pos * f);
    const a = x[off + i] as number;
    const b = x[off + half + i] as number;
    x[off + i] = a * c - b * s;
    x[off + half + i] = b * c + a * s;
  }
}

export function llamaRef(cfg: CanonicalConfig, w: ModelWeights, ids: readonly number[], ablate: { mlp?: number[]; attn?: number[] } = {}): LlamaRefResult {
  const { hiddenSize: d, numHeads: H, numKvHeads: KV, headDim: hd, numLayers: L, vocabSize: V, intermediateSize: ff } = cfg;
  const T = ids.length;
  const theta = cfg.rope?.theta ?? 10000;
  const rd = cfg.rope?.rotaryDim ?? hd;
  const hidden = new Float64Array((L + 1) * T * d);
  const attn = new Float64Array(L * H * T * T);
  const E = w.embed.load();
  let xs = ids.map((id) => Float64Array.from(E.subarray(id * d, (id + 1) * d)));
  xs.forEach((x, t) => hidden.set(x, t * d));
  for (let l = 0; l < L; l++) {
    const lw = w.layers[l]!;
    const an = lw.attnNorm.weight.load();
    const [wq, wk, wv, wo] = [lw.q.weight.load(), lw.k.weight.load(), lw.v.weight.load(), lw.o.weight.load()];
    const qs: Float64Array[] = [];
    const ks: Float64Array[] = [];
    const vs: Float64Array[] = [];
    xs.forEach((x, t) => {
      const n = rms(x, an, cfg.normEps);
      const q = linear(wq, vec(lw.q.bias), n, H * hd);
      const k = linear(wk, vec(lw.k.bias), n, KV * hd);
      for (let h = 0; h < H; h++) rope(q, h * hd, rd, t, theta);
      for (let h = 0; h < KV; h++) rope(k, h * hd, rd, t, theta);
      qs.push(q);
      ks.push(k);
      vs.push(linear(wv, vec(lw.v.bias), n, KV * hd));
    });
    const rs = xs.map((x, i) => {
      const y = new Float64Array(H * hd);
      for (let h = 0; h < H; h++) {
        const kvh = Math.floor(h / (H / KV));
        const sc = Array.from({ length: i + 1 }, (_, j) => {
          let s = 0;
          for (let e = 0; e < hd; e++) s += qs[i]![h * hd + e]! * ks[j]![kvh * hd + e]!;
          return s * cfg.attnScale;
        });
        const m = Math.max(...sc);
        const ex = sc.map((s) => Math.exp(s - m));
        const z = ex.reduce((a, b) => a + b, 0);
        ex.forEach((e, j) => {
          const p = e / z;
          attn[((l * H + h) * T + i) * T + j] = p;
          for (let c = 0; c < hd; c++) y[h * hd + c]! += p * vs[j]![kvh * hd + c]!;
        });
      }
      const o = linear(wo, vec(lw.o.bias), y, d);
      const keep = i === 0 && ablate.attn?.includes(l) ? 0 : 1;
      return x.map((v, c) => v + keep * o[c]!);
    });
    const mn = lw.mlpNorm.weight.load();
    const [wg, wu, wd] = [lw.gate!.weight.load(), lw.up.weight.load(), lw.down.weight.load()];
    xs = rs.map((r, i) => {
      const n = rms(r, mn, cfg.normEps);
      const g = linear(wg, vec(lw.gate!.bias), n, ff);
      const u = linear(wu, vec(lw.up.bias), n, ff);
      const a = g.map((v, j) => (v / (1 + Math.exp(-v))) * u[j]!);
      const m = linear(wd, vec(lw.down.bias), a, d);
      const keep = i === 0 && ablate.mlp?.includes(l) ? 0 : 1;
      return r.map((v, c) => v + keep * m[c]!);
    });
    xs.forEach((x, t) => hidden.set(x, ((l + 1) * T + t) * d));
  }
  const fn = w.finalNorm.weight.load();
  const head = w.lmHead.load();
  const lens = new Float64Array((L + 1) * T * V);
  for (let l = 0; l <= L; l++) {
    for (let t = 0; t < T; t++) {
      const n = rms(hidden.slice((l * T + t) * d, (l * T + t + 1) * d), fn, cfg.normEps);
      lens.set(linear(head, vec(w.lmHeadBias), n, V), (l * T + t) * V);
    }
  }
  return { hidden, attn, logits: lens.slice(L * T * V), lens };
}
