/**
 * The test oracle: a float64, plain-loop forward pass over a Hugging Face model folder, returning
 * every quantity SinkLens measures (hidden states h[0..L], post-softmax attention, logits).
 * It shares no code with src/engine, reads raw HF names itself, and is slow on purpose.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readSafetensorsDir } from './safetensors';
import { parseRefConfig, type RefConfig } from './config';
import { activate, applyRope, layerNorm, linear, rmsNorm, softmaxPrefix, type RefLinear, type RefNorm } from './ops';
import { loadRefWeights, type RefLayer, type RefWeights } from './weights';

/**
 * One write intervention: the block's attention (after o_proj) or MLP output at `position` is replaced,
 * before it joins the residual stream: 'zero' by 0, 'mean' by the mean of that write over the other
 * positions, 'scale' by `factor` times itself.
 */
export interface RefEdit {
  component: 'mlp' | 'attn';
  block: number;
  position: number;
  op: 'zero' | 'mean' | 'scale';
  factor?: number;
}

export interface RefOptions {
  /** Zero the MLP output at position 0 in these blocks (0-based) before it joins the residual. */
  ablateMlp?: number[];
  /** Zero the attention output (after o_proj) at position 0 in these blocks. */
  ablateAttn?: number[];
  /** Write interventions (in addition to the ablations above). */
  edits?: RefEdit[];
  /** Query heads whose attention output is dropped (before o_proj) at every position. */
  headsOff?: { block: number; head: number }[];
}

export interface RefResult {
  L: number;
  H: number;
  T: number;
  d: number;
  vocab: number;
  hidden: Float64Array; // [L+1, T, d]
  attn: Float64Array; // [L, H, T, T]
  attnToBos: Float64Array; // [L, H, T]
  logits: Float64Array; // [T, vocab]
  /** What each block adds to position 0 (after ablation): the attention and the MLP writes, [L, d] each. */
  bosWrites: { attn: Float64Array; mlp: Float64Array };
  /** Per block: the sliding window, or null (absent: all full causal). */
  windows?: (number | null)[];
}

export interface RefModel {
  config: RefConfig;
  weights: RefWeights;
}

/**
 * Loads the config and float64 weights. Nothing is cached per folder (tests regenerate models in
 * place); callers that run many forwards keep the returned model and use forwardModel.
 */
export function loadRefModel(dir: string): RefModel {
  const config = parseRefConfig(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as Record<string, unknown>);
  return { config, weights: loadRefWeights(readSafetensorsDir(dir), config) };
}

export function referenceForward(dir: string, ids: number[], opts: RefOptions = {}): RefResult {
  return forwardModel(loadRefModel(dir), ids, opts);
}

function normOf(c: RefConfig, x: Float64Array, n: RefNorm): Float64Array {
  return c.norm === 'rms' ? rmsNorm(x, n, c.eps) : layerNorm(x, n, c.eps);
}

/**
 * h[0]: the embedding row (-> OPT project_in) (* Granite embedding_multiplier) (+ learned position
 * t + offset; OPT's offset is 2).
 */
function embed(m: RefModel, ids: number[]): Float64Array[] {
  const { d, vocab } = m.config;
  const more = m.config.more;
  const e = m.weights.embed.length / vocab; // d, or OPT's word_embed_proj_dim
  return ids.map((id, t) => {
    if (!(id >= 0 && id < vocab)) throw new Error(`reference: token id ${id} out of range`);
    let x: Float64Array = m.weights.embed.slice(id * e, (id + 1) * e); // [e]
    if (m.weights.projIn) x = linear(m.weights.projIn, x); // [d]
    const mult = (m.config.embedScale ?? 1) * (more?.embeddingMultiplier ?? 1);
    if (mult !== 1) x = x.map((v) => v * mult);
    const pos = m.weights.positions;
    const row = t + (more?.positionOffset ?? 0);
    if (pos) for (let j = 0; j < d; j++) x[j] = (x[j] as number) + (pos[row * d + j] as number);
    return x;
  });
}

/** The final norm (when there is one), OPT's project_out, the LM head, Granite's logits_scaling, Gemma 2's soft-cap. */
function unembed(m: RefModel, x: Float64Array): Float64Array {
  let y = m.weights.finalNorm ? normOf(m.config, x, m.weights.finalNorm) : x;
  if (m.weights.projOut) y = linear(m.weights.projOut, y);
  const logits = linear(m.weights.lmHead, y);
  const s = m.config.more?.logitsScaling ?? 1;
  return capLogits(m.config, s === 1 ? logits : logits.map((v) => v / s));
}

/** A norm the block may lack (OLMo2 has no pre-norms). */
function maybeNorm(c: RefConfig, x: Float64Array, n: RefNorm | null): Float64Array {
  return n ? normOf(c, x, n) : x;
}

/** What a sublayer output adds to the residual: (Gemma 2/3, OLMo2 post norm) (* Granite residual_multiplier). */
function joined(c: RefConfig, y: Float64Array, post: RefNorm | undefined): Float64Array {
  const z = post && c.more?.postNorms !== false ? normOf(c, y, post) : y; // loaded only where the family has them
  const m = c.more?.residualMultiplier ?? 1;
  return m === 1 ? z : z.map((v) => v * m);
}

/** Per-head RMSNorm (Qwen3 q_norm / k_norm) over each hd-slice of v, in place. */
function headNorm(c: RefConfig, v: Float64Array, heads: number, n: RefNorm): void {
  for (let h = 0; h < heads; h++) v.set(rmsNorm(v.subarray(h * c.hd, (h + 1) * c.hd), n, c.eps), h * c.hd);
}

/** The inverse frequencies for a forward of T tokens (Phi-3 longrope: long beyond `original`) and the cos/sin scale. */
function ropeFor(c: RefConfig, T: number): { inv: Float64Array; mscale: number } | null {
  if (!c.invFreq) return null;
  const lr = c.more?.longrope;
  if (!lr) return { inv: c.invFreq, mscale: 1 };
  return { inv: T > lr.original ? lr.long : c.invFreq, mscale: lr.mscale };
}

/** RoPE with cos and sin multiplied by mscale: the rotated dims scale by mscale, the rest stay. */
function ropeScaled(x: Float64Array, offset: number, pos: number, rope: { inv: Float64Array; mscale: number }): void {
  applyRope(x, offset, pos, rope.inv);
  if (rope.mscale !== 1) for (let i = 0; i < 2 * rope.inv.length; i++) x[offset + i] = (x[offset + i] as number) * rope.mscale;
}

/** Causal multi-head attention over the normed inputs xs; writes A into attnOut [H, T, T]. */
function attention(c: RefConfig, lw: RefLayer, xs: Float64Array[], block: number, attnOut: Float64Array, dropped: number[] = []): Float64Array[] {
  const { H, KV, hd } = c;
  const T = xs.length;
  const clip = c.more?.clipQkv ?? null; // OLMo: clamp(-c, c) after each projection
  const proj = (lin: RefLinear, x: Float64Array) => (clip === null ? linear(lin, x) : linear(lin, x).map((u) => Math.min(clip, Math.max(-clip, u))));
  const q = xs.map((x) => proj(lw.q, x)); // T x [H*hd]
  const k = xs.map((x) => proj(lw.k, x)); // T x [KV*hd]
  const v = xs.map((x) => proj(lw.v, x)); // T x [KV*hd]
  const rope = blockRope(c, block, T);
  for (let t = 0; t < T; t++) {
    if (c.more?.qkNormFull) {
      // OLMo2: RMSNorm over the whole q / k projection, before the head split.
      q[t] = rmsNorm(q[t]!, lw.qNorm!, c.eps);
      k[t] = rmsNorm(k[t]!, lw.kNorm!, c.eps);
    } else {
      if (lw.qNorm) headNorm(c, q[t]!, H, lw.qNorm);
      if (lw.kNorm) headNorm(c, k[t]!, KV, lw.kNorm);
    }
    if (rope) {
      for (let h = 0; h < H; h++) ropeScaled(q[t]!, h * hd, t, rope);
      for (let h = 0; h < KV; h++) ropeScaled(k[t]!, h * hd, t, rope);
    }
  }
  const scale = c.attnScale(block);
  const W = c.windows?.[block] ?? null;
  const ctx = xs.map(() => new Float64Array(H * hd)); // T x [H*hd]
  const row = new Float64Array(T);
  for (let h = 0; h < H; h++) {
    const kvh = Math.floor(h / (H / KV)); // GQA: consecutive query heads share a KV head.
    for (let i = 0; i < T; i++) {
      for (let j = 0; j <= i; j++) {
        let s = 0;
        for (let e = 0; e < hd; e++) s += (q[i]![h * hd + e] as number) * (k[j]![kvh * hd + e] as number);
        row[j] = capAndMask(c, s * scale, i, j, W);
      }
      softmaxPrefix(row, i + 1);
      attnOut.set(row, (h * T + i) * T);
      for (let j = 0; j <= i; j++) {
        const a = row[j] as number;
        for (let e = 0; e < hd; e++) ctx[i]![h * hd + e] = (ctx[i]![h * hd + e] as number) + a * (v[j]![kvh * hd + e] as number);
      }
    }
  }
  for (const h of dropped) for (const cv of ctx) cv.fill(0, h * hd, (h + 1) * hd);
  return ctx.map((cv) => linear(lw.o, cv));
}

/** RoPE of a block: Gemma 3's windowed blocks use the local base, the others ropeFor's tables. */
function blockRope(c: RefConfig, block: number, T: number): { inv: Float64Array; mscale: number } | null {
  return c.localInvFreq && (c.windows?.[block] ?? null) !== null ? { inv: c.localInvFreq, mscale: 1 } : ropeFor(c, T);
}

/**
 * One scaled score after Gemma 2's soft-capping (c tanh(s / c)) and the sliding window: keys with
 * i - j >= W get -Infinity (the softmax turns them into exact zeros; key i itself is always visible).
 */
function capAndMask(c: RefConfig, s: number, i: number, j: number, W: number | null): number {
  const capped = c.attnSoftcap ? c.attnSoftcap * Math.tanh(s / c.attnSoftcap) : s;
  return W !== null && i - j >= W ? -Infinity : capped;
}

/** Applies the edits of (component, block) to its per-position writes ys, in place (the mean reads the unedited writes). */
function applyEdits(ys: Float64Array[], edits: RefEdit[]): void {
  for (const e of edits) {
    const y = ys[e.position];
    if (!y) throw new Error(`reference: edit position ${e.position} outside the prompt`);
    if (e.op === 'zero') y.fill(0);
    else if (e.op === 'scale') y.forEach((v, j) => (y[j] = v * (e.factor ?? 1)));
    else {
      const n = ys.length - 1;
      for (let j = 0; j < y.length; j++) {
        let s = 0;
        ys.forEach((o, t) => {
          if (t !== e.position) s += o[j] as number;
        });
        y[j] = n > 0 ? s / n : 0;
      }
    }
  }
}

/** The edits of one (component, block), the legacy ablation lists as zero edits at position 0. */
function editsOf(opts: RefOptions, component: 'mlp' | 'attn', block: number): RefEdit[] {
  const cut = (component === 'mlp' ? opts.ablateMlp : opts.ablateAttn)?.includes(block) ?? false;
  const own = (opts.edits ?? []).filter((e) => e.component === component && e.block === block);
  return cut ? [{ component, block, position: 0, op: 'zero' }, ...own] : own;
}

function mlp(c: RefConfig, lw: RefLayer, x: Float64Array): Float64Array {
  const up = linear(lw.up, x); // [ff]
  const gate = lw.gate ? linear(lw.gate, x) : null; // [ff]
  const act = up.map((u, i) => (gate ? activate(c.act, gate[i] as number) * u : activate(c.act, u)));
  return linear(lw.down, act);
}

/** Gemma 2 final soft-capping c tanh(z / c) of a logit row, in place. */
function capLogits(c: RefConfig, z: Float64Array): Float64Array {
  const cap = c.finalSoftcap;
  if (cap) for (let j = 0; j < z.length; j++) z[j] = cap * Math.tanh((z[j] as number) / cap);
  return z;
}

function addInto(x: Float64Array, y: Float64Array): void {
  for (let j = 0; j < x.length; j++) x[j] = (x[j] as number) + (y[j] as number);
}

export function forwardModel(m: RefModel, ids: number[], opts: RefOptions = {}): RefResult {
  const c = m.config;
  const { L, H, d, vocab } = c;
  const T = ids.length;
  const hidden = new Float64Array((L + 1) * T * d); // [L+1, T, d]
  const attn = new Float64Array(L * H * T * T); // [L, H, T, T]
  const xs = embed(m, ids); // T x [d]
  xs.forEach((x, t) => hidden.set(x, t * d));
  const bosWrites = { attn: new Float64Array(L * d), mlp: new Float64Array(L * d) }; // [L, d] each
  for (let l = 0; l < L; l++) {
    const lw = m.weights.layers[l]!;
    const dropped = (opts.headsOff ?? []).filter((o) => o.block === l).map((o) => o.head);
    const postLn = c.more?.postLn ?? false;
    const attnIn = xs.map((x) => (postLn ? x : maybeNorm(c, x, lw.ln1)));
    const a = attention(c, lw, attnIn, l, attn.subarray(l * H * T * T, (l + 1) * H * T * T), dropped).map((y) => joined(c, y, lw.postAttn));
    applyEdits(a, editsOf(opts, 'attn', l));
    bosWrites.attn.set(a[0]!, l * d);
    if (c.parallelResidual) {
      // GPT-NeoX: x + attn(ln1(x)) + mlp(ln2(x)), both branches reading the same x.
      const f = xs.map((x) => joined(c, mlp(c, lw, maybeNorm(c, x, lw.ln2)), lw.postMlp));
      applyEdits(f, editsOf(opts, 'mlp', l));
      bosWrites.mlp.set(f[0]!, l * d);
      xs.forEach((x, t) => {
        addInto(x, a[t]!);
        addInto(x, f[t]!);
      });
    } else {
      xs.forEach((x, t) => addInto(x, a[t]!));
      // OPT post-LN: x = self_attn_layer_norm(x + attn(x)), then x = final_layer_norm(x + mlp(x)).
      if (postLn) xs.forEach((x) => x.set(maybeNorm(c, x, lw.ln1)));
      // The MLP reads the residual after attention at every position, so all of it is computed before an edit.
      const f = xs.map((x) => joined(c, mlp(c, lw, postLn ? x : maybeNorm(c, x, lw.ln2)), lw.postMlp));
      applyEdits(f, editsOf(opts, 'mlp', l));
      bosWrites.mlp.set(f[0]!, l * d);
      xs.forEach((x, t) => {
        addInto(x, f[t]!);
        if (postLn) x.set(maybeNorm(c, x, lw.ln2));
      });
    }
    xs.forEach((x, t) => hidden.set(x, ((l + 1) * T + t) * d));
  }
  const logits = new Float64Array(T * vocab); // [T, vocab]
  xs.forEach((x, t) => logits.set(unembed(m, x), t * vocab));
  const attnToBos = new Float64Array(L * H * T); // [L, H, T]
  for (let r = 0; r < L * H * T; r++) attnToBos[r] = attn[r * T] as number;
  return { L, H, T, d, vocab, hidden, attn, attnToBos, logits, bosWrites, ...(c.windows ? { windows: c.windows } : {}) };
}

/** The oracle's logit lens: the final norm and the LM head applied to every h[l][t]: [L+1, T, vocab]. */
export function lensLogits(m: RefModel, r: RefResult): Float64Array {
  const { d, vocab } = m.config;
  const out = new Float64Array((r.L + 1) * r.T * vocab);
  for (let row = 0; row < (r.L + 1) * r.T; row++) {
    const x = r.hidden.slice(row * d, (row + 1) * d); // [d]
    out.set(unembed(m, x), row * vocab);
  }
  return out;
}

/**
 * The oracle's next-token loss: for t = 0..T-2, -log softmax(logits[t])[ids[t+1]], computed in float64 with
 * the max subtracted before exp. [T-1].
 */
export function tokenLoss(r: RefResult, ids: number[]): Float64Array {
  const V = r.vocab;
  const out = new Float64Array(Math.max(0, r.T - 1));
  for (let t = 0; t + 1 < r.T; t++) {
    const row = r.logits.subarray(t * V, (t + 1) * V);
    let max = -Infinity;
    for (const v of row) if (v > max) max = v;
    let sum = 0;
    for (const v of row) sum += Math.exp(v - max);
    out[t] = max + Math.log(sum) - (row[ids[t + 1]!] as number);
  }
  return out;
}
