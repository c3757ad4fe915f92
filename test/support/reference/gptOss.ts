/**
 * The oracle's gpt-oss (float64, plain loops), written from transformers' modeling_gpt_oss.py,
 * configuration_gpt_oss.py, modeling_rope_utils.py (`_compute_yarn_parameters`), masking_utils
 * (sliding window: i - W < j <= i) and integrations/mxfp4.py (`convert_moe_packed_tensors`):
 *   - eager_attention_forward: scores, then each head's sink logit appended as a last column,
 *     softmax over all, the sink column dropped;
 *   - GptOssTopKRouter: logits = x W^T + b, top-k, softmax over the k logits;
 *   - GptOssExperts: gate_up = x @ gate_up_proj[e] + b (gate = even columns, up = odd),
 *     gate.clamp(max=limit), up.clamp(-limit, limit), glu = gate * sigmoid(alpha gate),
 *     out = ((up + 1) * glu) @ down_proj[e] + b;
 *   - YaRN: inv_freq blended by a linear ramp, cos and sin times the attention factor.
 * Independent of src/engine. Returns every quantity of RefResult plus the learned-sink share.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RefResult } from './forward';
import { linear, rmsNorm, type RefLinear, type RefNorm } from './ops';
import { readSafetensorsDir, type ReadTensor } from './safetensors';

type Json = Record<string, unknown>;

export interface GptOssRefConfig {
  d: number;
  L: number;
  H: number;
  KV: number;
  hd: number;
  ff: number;
  vocab: number;
  eps: number;
  E: number;
  k: number;
  limit: number;
  alpha: number;
  /** Per layer: sliding window or null (full). */
  windows: (number | null)[];
  invFreq: Float64Array;
  /** YaRN's factor on cos and sin. */
  ropeScale: number;
  tied: boolean;
}

const n = (c: Json, key: string, dflt?: number): number => {
  const v = c[key];
  if (typeof v === 'number') return v;
  if (dflt !== undefined) return dflt;
  throw new Error(`gpt_oss config: missing ${key}`);
};

/** `_compute_yarn_parameters`: inverse frequencies and the attention factor. */
export function yarn(theta: number, dim: number, rs: Json): { invFreq: Float64Array; scale: number } {
  const factor = n(rs, 'factor');
  const orig = n(rs, 'original_max_position_embeddings');
  const betaFast = (rs.beta_fast as number) || 32;
  const betaSlow = (rs.beta_slow as number) || 1;
  const truncate = typeof rs.truncate === 'boolean' ? rs.truncate : true;
  const corr = (rot: number) => (dim * Math.log(orig / (rot * 2 * Math.PI))) / (2 * Math.log(theta));
  let low = corr(betaFast);
  let high = corr(betaSlow);
  if (truncate) [low, high] = [Math.floor(low), Math.ceil(high)];
  low = Math.max(low, 0);
  high = Math.min(high, dim - 1);
  if (low === high) high += 0.001;
  const invFreq = new Float64Array(dim / 2);
  for (let i = 0; i < dim / 2; i++) {
    const pos = theta ** ((2 * i) / dim);
    const ramp = Math.min(1, Math.max(0, (i - low) / (high - low)));
    const extrapolation = 1 - ramp;
    invFreq[i] = (1 / (factor * pos)) * (1 - extrapolation) + (1 / pos) * extrapolation;
  }
  const scale = typeof rs.attention_factor === 'number' ? rs.attention_factor : factor <= 1 ? 1 : 0.1 * Math.log(factor) + 1;
  return { invFreq, scale };
}

export function parseGptOssConfig(c: Json): GptOssRefConfig {
  const d = n(c, 'hidden_size');
  const H = n(c, 'num_attention_heads');
  const hd = n(c, 'head_dim', d / H);
  const L = n(c, 'num_hidden_layers');
  const types = (c.layer_types as string[] | undefined) ?? Array.from({ length: L }, (_, i) => ((i + 1) % 2 ? 'sliding_attention' : 'full_attention'));
  const window = n(c, 'sliding_window', 128);
  const rs = (c.rope_scaling ?? c.rope_parameters) as Json;
  const { invFreq, scale } = yarn(n(c, 'rope_theta', 150000), hd, rs);
  return {
    d,
    L,
    H,
    KV: n(c, 'num_key_value_heads', H),
    hd,
    ff: n(c, 'intermediate_size'),
    vocab: n(c, 'vocab_size'),
    eps: n(c, 'rms_norm_eps', 1e-5),
    E: n(c, 'num_local_experts'),
    k: n(c, 'num_experts_per_tok'),
    limit: n(c, 'swiglu_limit', 7),
    alpha: n(c, 'swiglu_alpha', 1.702),
    windows: types.map((t) => (t === 'sliding_attention' ? window : null)),
    invFreq,
    ropeScale: scale,
    tied: c.tie_word_embeddings === true,
  };
}

interface Expert {
  gateUp: Float64Array; // [d, 2ff] (in, out), as the model's parameter
  gateUpBias: Float64Array; // [2ff]
  down: Float64Array; // [ff, d]
  downBias: Float64Array; // [d]
}

interface Layer {
  ln1: RefNorm;
  ln2: RefNorm;
  q: RefLinear;
  k: RefLinear;
  v: RefLinear;
  o: RefLinear;
  sinks: Float64Array; // [H]
  router: RefLinear; // [E, d]
  experts: Expert[];
}

export interface GptOssRefModel {
  config: GptOssRefConfig;
  embed: Float64Array;
  layers: Layer[];
  finalNorm: RefNorm;
  lmHead: RefLinear;
}

const FP4 = [0, 0.5, 1, 1.5, 2, 3, 4, 6, -0, -0.5, -1, -1.5, -2, -3, -4, -6];

/** convert_moe_packed_tensors: blocks [E, R, G, 16] + scales [E, R, G] -> [E, R, G*32], then transposed to [E, G*32, R]. */
function unpackMxfp4(blocks: ReadTensor, scales: ReadTensor): Float64Array {
  const [E, R, G] = blocks.dims as [number, number, number];
  const K = G * 32;
  const out = new Float64Array(E * K * R); // [E, K, R]
  for (let e = 0; e < E; e++) {
    for (let r = 0; r < R; r++) {
      for (let g = 0; g < G; g++) {
        const exp = (scales.data[(e * R + r) * G + g] as number) - 127;
        for (let b = 0; b < 16; b++) {
          const byte = blocks.data[((e * R + r) * G + g) * 16 + b] as number;
          const lo = FP4[byte & 0x0f] as number;
          const hi = FP4[byte >> 4] as number;
          out[(e * K + g * 32 + 2 * b) * R + r] = lo * 2 ** exp;
          out[(e * K + g * 32 + 2 * b + 1) * R + r] = hi * 2 ** exp;
        }
      }
    }
  }
  return out;
}

export function loadGptOssRef(dir: string): GptOssRefModel {
  const c = parseGptOssConfig(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as Json);
  const t = readSafetensorsDir(dir);
  const get = (name: string): Float64Array => {
    const x = t.get(name);
    if (!x) throw new Error(`reference: missing tensor ${name}`);
    return Float64Array.from(x.data);
  };
  const lin = (name: string, out: number, inn: number, bias: boolean): RefLinear => ({ w: get(`${name}.weight`), b: bias ? get(`${name}.bias`) : null, out, in: inn });
  const expertsOf = (p: string): Float64Array[] => {
    if (!t.has(`${p}.gate_up_proj_blocks`)) return [get(`${p}.gate_up_proj`), get(`${p}.down_proj`)];
    const part = (name: string) => unpackMxfp4(t.get(`${p}.${name}_blocks`)!, t.get(`${p}.${name}_scales`)!);
    return [part('gate_up_proj'), part('down_proj')];
  };
  const { d, H, KV, hd, ff, E } = c;
  const layers = Array.from({ length: c.L }, (_, i): Layer => {
    const p = `model.layers.${i}.`;
    const [gateUp, down] = expertsOf(`${p}mlp.experts`) as [Float64Array, Float64Array];
    const gub = get(`${p}mlp.experts.gate_up_proj_bias`);
    const db = get(`${p}mlp.experts.down_proj_bias`);
    return {
      ln1: { w: get(`${p}input_layernorm.weight`), b: null },
      ln2: { w: get(`${p}post_attention_layernorm.weight`), b: null },
      q: lin(`${p}self_attn.q_proj`, H * hd, d, true),
      k: lin(`${p}self_attn.k_proj`, KV * hd, d, true),
      v: lin(`${p}self_attn.v_proj`, KV * hd, d, true),
      o: lin(`${p}self_attn.o_proj`, d, H * hd, true),
      sinks: get(`${p}self_attn.sinks`),
      router: lin(`${p}mlp.router`, E, d, true),
      experts: Array.from({ length: E }, (_, e) => ({
        gateUp: gateUp.slice(e * d * 2 * ff, (e + 1) * d * 2 * ff),
        gateUpBias: gub.slice(e * 2 * ff, (e + 1) * 2 * ff),
        down: down.slice(e * ff * d, (e + 1) * ff * d),
        downBias: db.slice(e * d, (e + 1) * d),
      })),
    };
  });
  const embed = get('model.embed_tokens.weight');
  return { config: c, embed, layers, finalNorm: { w: get('model.norm.weight'), b: null }, lmHead: { w: c.tied ? embed : get('lm_head.weight'), b: null, out: c.vocab, in: d } };
}

/** _apply_rotary_emb on one head at `off`: halves (x1, x2) -> (x1 cos - x2 sin, x2 cos + x1 sin), cos/sin scaled. */
function rope(x: Float64Array, off: number, pos: number, c: GptOssRefConfig): void {
  const half = c.invFreq.length;
  for (let i = 0; i < half; i++) {
    const a = pos * (c.invFreq[i] as number);
    const cos = Math.cos(a) * c.ropeScale;
    const sin = Math.sin(a) * c.ropeScale;
    const x1 = x[off + i] as number;
    const x2 = x[off + half + i] as number;
    x[off + i] = x1 * cos - x2 * sin;
    x[off + half + i] = x2 * cos + x1 * sin;
  }
}

/**
 * Attention of one block; fills attn [H, T, T] (real keys) and sink [H, T] (the dropped column). Heads in
 * `dropped` are switched off: their output is zero at every position before o_proj (the probabilities stay).
 */
function attention(m: GptOssRefModel, l: number, xs: Float64Array[], attn: Float64Array, sink: Float64Array, dropped: readonly number[] = []): Float64Array[] {
  const c = m.config;
  const lw = m.layers[l]!;
  const { H, KV, hd } = c;
  const T = xs.length;
  const W = c.windows[l] ?? null;
  const q = xs.map((x) => linear(lw.q, x));
  const k = xs.map((x) => linear(lw.k, x));
  const v = xs.map((x) => linear(lw.v, x));
  for (let t = 0; t < T; t++) {
    for (let h = 0; h < H; h++) rope(q[t]!, h * hd, t, c);
    for (let h = 0; h < KV; h++) rope(k[t]!, h * hd, t, c);
  }
  const ctx = xs.map(() => new Float64Array(H * hd));
  const scale = 1 / Math.sqrt(hd);
  for (let h = 0; h < H; h++) {
    const kvh = Math.floor(h / (H / KV));
    for (let i = 0; i < T; i++) {
      const logits: number[] = [];
      const keys: number[] = [];
      for (let j = 0; j <= i; j++) {
        if (W !== null && !(i - W < j)) continue;
        let s = 0;
        for (let e = 0; e < hd; e++) s += (q[i]![h * hd + e] as number) * (k[j]![kvh * hd + e] as number);
        logits.push(s * scale);
        keys.push(j);
      }
      logits.push(lw.sinks[h] as number); // the sink column, last
      const mx = Math.max(...logits);
      const ex = logits.map((s) => Math.exp(s - mx));
      const z = ex.reduce((a, b) => a + b, 0);
      keys.forEach((j, idx) => {
        const p = (ex[idx] as number) / z;
        attn[(h * T + i) * T + j] = p;
        for (let e = 0; e < hd; e++) ctx[i]![h * hd + e] = (ctx[i]![h * hd + e] as number) + p * (v[j]![kvh * hd + e] as number);
      });
      sink[h * T + i] = (ex[ex.length - 1] as number) / z;
    }
  }
  for (const h of dropped) for (const cv of ctx) cv.fill(0, h * hd, (h + 1) * hd);
  return ctx.map((cv) => linear(lw.o, cv));
}

/** GptOssMLP on one token. */
function moe(m: GptOssRefModel, l: number, x: Float64Array): Float64Array {
  const c = m.config;
  const lw = m.layers[l]!;
  const logits = Array.from(linear(lw.router, x));
  const top = logits.map((v, e) => [v, e] as const).sort((a, b) => b[0] - a[0]).slice(0, c.k);
  const mx = top[0]![0];
  const z = top.reduce((a, [v]) => a + Math.exp(v - mx), 0);
  const out = new Float64Array(c.d);
  for (const [v, e] of top) {
    const w = Math.exp(v - mx) / z;
    const ex = lw.experts[e]!;
    const gu = new Float64Array(2 * c.ff);
    for (let o = 0; o < 2 * c.ff; o++) {
      let s = ex.gateUpBias[o] as number;
      for (let i = 0; i < c.d; i++) s += (x[i] as number) * (ex.gateUp[i * 2 * c.ff + o] as number);
      gu[o] = s;
    }
    const h = new Float64Array(c.ff);
    for (let f = 0; f < c.ff; f++) {
      const gate = Math.min(gu[2 * f] as number, c.limit);
      const up = Math.min(Math.max(gu[2 * f + 1] as number, -c.limit), c.limit);
      h[f] = (up + 1) * (gate / (1 + Math.exp(-c.alpha * gate)));
    }
    for (let o = 0; o < c.d; o++) {
      let s = ex.downBias[o] as number;
      for (let f = 0; f < c.ff; f++) s += (h[f] as number) * (ex.down[f * c.d + o] as number);
      out[o] = (out[o] as number) + w * s;
    }
  }
  return out;
}

export interface GptOssRefResult extends RefResult {
  /** [L, H, T]: the attention the learned sink absorbs, per query. */
  sink: Float64Array;
  /** [L, H]: its mean over queries i >= 1 (query 0 when T = 1). */
  sinkShare: Float64Array;
}

export function gptOssForward(m: GptOssRefModel, ids: number[], opts: { ablateMlp?: number[]; ablateAttn?: number[]; headsOff?: { block: number; head: number }[] } = {}): GptOssRefResult {
  const c = m.config;
  const { L, H, d, vocab } = c;
  const T = ids.length;
  const hidden = new Float64Array((L + 1) * T * d);
  const attn = new Float64Array(L * H * T * T);
  const sink = new Float64Array(L * H * T);
  const xs = ids.map((id) => m.embed.slice(id * d, (id + 1) * d));
  xs.forEach((x, t) => hidden.set(x, t * d));
  const bosWrites = { attn: new Float64Array(L * d), mlp: new Float64Array(L * d) };
  for (let l = 0; l < L; l++) {
    const lw = m.layers[l]!;
    const dropped = (opts.headsOff ?? []).filter((o) => o.block === l).map((o) => o.head);
    const a = attention(m, l, xs.map((x) => rmsNorm(x, lw.ln1, c.eps)), attn.subarray(l * H * T * T, (l + 1) * H * T * T), sink.subarray(l * H * T, (l + 1) * H * T), dropped);
    const cutAttn = opts.ablateAttn?.includes(l) ?? false;
    const cutMlp = opts.ablateMlp?.includes(l) ?? false;
    if (!cutAttn) bosWrites.attn.set(a[0]!, l * d);
    xs.forEach((x, t) => {
      if (!(cutAttn && t === 0)) for (let j = 0; j < d; j++) x[j] = (x[j] as number) + (a[t]![j] as number);
    });
    xs.forEach((x, t) => {
      const y = moe(m, l, rmsNorm(x, lw.ln2, c.eps));
      if (t === 0 && !cutMlp) bosWrites.mlp.set(y, l * d);
      if (!(cutMlp && t === 0)) for (let j = 0; j < d; j++) x[j] = (x[j] as number) + (y[j] as number);
    });
    xs.forEach((x, t) => hidden.set(x, ((l + 1) * T + t) * d));
  }
  const logits = new Float64Array(T * vocab);
  xs.forEach((x, t) => logits.set(linear(m.lmHead, rmsNorm(x, m.finalNorm, c.eps)), t * vocab));
  const attnToBos = new Float64Array(L * H * T);
  for (let r = 0; r < L * H * T; r++) attnToBos[r] = attn[r * T] as number;
  const sinkShare = new Float64Array(L * H);
  const first = T > 1 ? 1 : 0;
  for (let r = 0; r < L * H; r++) {
    let s = 0;
    for (let i = first; i < T; i++) s += sink[r * T + i] as number;
    sinkShare[r] = s / (T - first);
  }
  return { L, H, T, d, vocab, hidden, attn, attnToBos, logits, bosWrites, sink, sinkShare };
}

/**
 * Mixing of one block with learned sinks and windows: per head, the mean over `queries` of the row
 * entropy over the visible real keys / log(max(visible count, 2)), and of the mass on real keys other
 * than BOS and the query (the sink is no key: 1 - p(sink) - p(BOS) - p(self)).
 */
export function refMixingGptOss(m: GptOssRefModel, r: GptOssRefResult, block: number, queries: number[]): { rowEntropy: number[]; otherMass: number[] } {
  const W = m.config.windows[block] ?? null;
  const rowEntropy: number[] = [];
  const otherMass: number[] = [];
  for (let h = 0; h < r.H; h++) {
    let e = 0;
    let o = 0;
    for (const i of queries) {
      const base = ((block * r.H + h) * r.T + i) * r.T;
      let hi = 0;
      let sum = 0;
      for (let j = 0; j <= i; j++) {
        const p = r.attn[base + j] as number;
        sum += p;
        if (p > 0) hi -= p * Math.log(p);
      }
      const visible = W === null ? i + 1 : Math.min(i + 1, W);
      e += hi / Math.log(Math.max(visible, 2));
      o += sum - (r.attn[base] as number) - (r.attn[base + i] as number);
    }
    rowEntropy.push(queries.length ? e / queries.length : 0);
    otherMass.push(queries.length ? o / queries.length : 0);
  }
  return { rowEntropy, otherMass };
}

/** The final norm and LM head applied to every h[l][t]: [L+1, T, vocab]. */
export function gptOssLensLogits(m: GptOssRefModel, r: GptOssRefResult): Float64Array {
  const { d, vocab, eps } = m.config;
  const out = new Float64Array((r.L + 1) * r.T * vocab);
  for (let row = 0; row < (r.L + 1) * r.T; row++) out.set(linear(m.lmHead, rmsNorm(r.hidden.slice(row * d, (row + 1) * d), m.finalNorm, eps)), row * vocab);
  return out;
}
