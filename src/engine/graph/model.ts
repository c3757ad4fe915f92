/**
 * The forward graph of one canonical decoder-only model, batch 1, T dynamic. Residual stream
 * values are [T, d]. 'full' adds the probes (hidden states, attention to key 0, intervention inputs,
 * the next-token loss, on-demand attention map); 'bare' is the same code path with only last-position logits.
 */
import type { CanonicalConfig } from '../arch/types';
import type { ModelWeights, NormWeights } from '../weights/types';
import { DT, int, GraphBuilder, type LinearPlan } from './builder';
import { emitBlockProbeOutputs } from './blockProbes';
import { makeAttention } from './blocks/attention';
import { makeHead } from './blocks/head';
import { makeLinear } from './blocks/linear';
import { makeMixingInputs, type MixingInputs } from './blocks/mixing';
import { makeMlp } from './blocks/mlp';
import { makeMoe } from './blocks/moe';
import { makeNorm } from './blocks/norm';
import { makeRopeTables } from './blocks/rope';
import { makeWindowMask, windowedMixingInputs } from './blocks/window';
import { interveneWrite, makeInterveneInputs, makeTokenLoss, type InterveneCtx } from './intervene';
import { makeSinkAttention } from './blocks/sinks';
import { makeLogitLens } from './lens';
import { INPUTS, OUTPUTS } from './probes';

export type ProbeMode = 'full' | 'bare';

interface Ctx {
  g: GraphBuilder;
  cfg: CanonicalConfig;
  full: boolean;
  rope: { cos: string; sin: string } | null;
  /** The windowed layers' RoPE tables when they differ from `rope` (Gemma 3), else null. */
  ropeLocal: { cos: string; sin: string; rotaryDim: number } | null;
  /** [T] int64: 0..T-1. */
  positions: string;
  /** Per sliding window W: its attention mask and mixing inputs, made once on first use. */
  windows: Map<number, { mask: string; mixing: MixingInputs | null }>;
  /** [T, 1] float: 1 at position 0, else 0 (full only). */
  pos0: string | null;
  /** [T, KV, 1] float: the same, one per KV head (the key-0 value column; full only). */
  pos0Kv: string | null;
  /** The mixing probe's sampled queries and masks (full only). */
  mixing: MixingInputs | null;
  /** The write interventions' shared tensors (full only). */
  intervene: InterveneCtx | null;
}

/** What one block adds to the probes (full only; null on the bare path). */
interface BlockProbes {
  bos: string | null;
  map: string | null;
  /** [H] each: the mixing of this block. */
  rowEntropy: string | null;
  otherMass: string | null;
  /** [3]: ||attn write at BOS||, ||MLP write at BOS||, the attention's share of their sum (see bosWrites). */
  writes: string | null;
  /** [H]: the share of attention the learned sink absorbs (models with learned sinks; full only). */
  sinkShare: string | null;
}

/** Measurement knobs of the graph (never set by `analyze`). */
export interface GraphKnobs {
  /**
   * false omits the mixing probe (its outputs become zeros, `mix_queries` is ignored): only for
   * timing what the probe costs (`npm run bench`). Default true.
   */
  mixing?: boolean;
}

/** Builds the whole forward graph; weights are referenced lazily (loaded at serialization). */
export function buildForwardGraph(cfg: CanonicalConfig, w: ModelWeights, mode: ProbeMode, linear: LinearPlan = { weights: 'fp32' }, knobs: GraphKnobs = {}): GraphBuilder {
  const g = new GraphBuilder(undefined, linear);
  const full = mode === 'full';
  const L = cfg.numLayers;
  const ids = g.input(INPUTS.ids, DT.INT64, [1, 'T']);
  if (full) {
    g.input(INPUTS.attnMapBlock, DT.INT64, []);
    g.input(INPUTS.attnMapHead, DT.INT64, []);
    g.input(INPUTS.mixQueries, DT.INT64, ['m']);
  }
  const positions = makePositions(g, ids); // [T] int64
  const ctx: Ctx = {
    g,
    cfg,
    full,
    rope: cfg.rope ? makeRopeTables(g, cfg.rope, positions) : null,
    ropeLocal: cfg.ropeLocal ? { ...makeRopeTables(g, cfg.ropeLocal, positions, '/model/rotary_local'), rotaryDim: cfg.ropeLocal.rotaryDim } : null,
    positions,
    windows: new Map(),
    pos0: null,
    pos0Kv: null,
    mixing: null,
    intervene: null,
  };
  if (full) {
    ctx.intervene = makeInterveneInputs(g, cfg, positions);
    ctx.pos0 = makePos0(g, positions);
    const col = g.op('Unsqueeze', '/model/probes/pos0/Unsqueeze', [ctx.pos0, g.i64([2])]); // [T, 1, 1]
    ctx.pos0Kv = g.op('Expand', '/model/probes/pos0/Expand', [col, g.i64([1, cfg.numKvHeads, 1])]); // [T, KV, 1]
    if (knobs.mixing !== false) ctx.mixing = makeMixingInputs(g, positions, INPUTS.mixQueries, cfg);
  }
  let h = makeEmbeddings(g, cfg, w, ids, positions); // [T, d]
  const hidden = [h];
  const probes: BlockProbes[] = [];
  let map = g.f32([0], [1, 1, 1]); // placeholder until a block is selected
  for (let l = 0; l < L; l++) {
    const out = makeBlock(ctx, l, h, w, map);
    h = out.h;
    hidden.push(h);
    probes.push(out);
    if (out.map) map = out.map;
  }
  g.output(makeLastLogits(g, cfg, w, h), OUTPUTS.logits, DT.FLOAT, [cfg.vocabSize]);
  if (full) {
    // The Concat writes the output itself: an Identity would copy [L+1, T, d] once more.
    const stacked = g.outputInPlace(stack(g, '/model/probes/hidden', hidden), OUTPUTS.hidden, DT.FLOAT, [L + 1, 'T', cfg.hiddenSize]); // [L+1, T, d]
    g.output(stack(g, '/model/probes/attn_to_bos', probes.map((p) => p.bos).filter((x): x is string => x !== null)), OUTPUTS.attnToBos, DT.FLOAT, [L, cfg.numHeads, 'T']);
    g.output(map, OUTPUTS.attnMap, DT.FLOAT, null);
    makeLogitLens(g, cfg, w, stacked);
    makeTokenLoss(g, cfg, w, h);
    // Last: the chain that makes onnxruntime run each block's probes right after the block (blockProbes.ts).
    const rows = probes.map((p) => ({ rowEntropy: ctx.mixing ? p.rowEntropy : null, otherMass: ctx.mixing ? p.otherMass : null, writes: p.writes as string, sinkShare: cfg.attnSinks ? p.sinkShare : null }));
    emitBlockProbeOutputs(g, rows, cfg.numHeads);
  }
  return g;
}

/** ids [1, T] -> positions [T] = 0..T-1. */
function makePositions(g: GraphBuilder, ids: string): string {
  const shape = g.op('Shape', '/model/positions/Shape', [ids]); // [2]
  const T = g.op('Gather', '/model/positions/Gather', [shape, g.i64([1], [])], { axis: int(0) }); // scalar
  return g.op('Range', '/model/positions/Range', [g.i64([0], []), T, g.i64([1], [])]); // [T]
}

/** [T, 1] float mask of position 0, for the key-0 value column. */
function makePos0(g: GraphBuilder, positions: string): string {
  const eq = g.op('Equal', '/model/probes/pos0/mask/Equal', [positions, g.i64([0], [])]); // [T] bool
  const f = g.op('Cast', '/model/probes/pos0/mask/Cast', [eq], { to: int(DT.FLOAT) });
  return g.op('Unsqueeze', '/model/probes/pos0/mask/Unsqueeze', [f, g.i64([1])]); // [T, 1]
}

/**
 * h[0] [T, d] = embed[ids] (-> project_in, OPT) (* Gemma's sqrt(d) in the checkpoint dtype, or Granite's
 * embedding_multiplier) (+ learned positions[offset..offset+T-1], offset 2 for OPT).
 */
function makeEmbeddings(g: GraphBuilder, cfg: CanonicalConfig, w: ModelWeights, ids: string, positions: string): string {
  const flat = g.op('Reshape', '/model/embed_tokens/Reshape', [ids, g.i64([-1])]); // [T]
  const table = g.weight(w.embed, 'model.embed_tokens.weight');
  let tok = g.op('Gather', '/model/embed_tokens/Gather', [table, flat], { axis: int(0) }); // [T, d] (or [T, e] before project_in)
  if (w.embedProjIn) tok = makeLinear(g, '/model/project_in', tok, w.embedProjIn); // [T, d]
  const m = (cfg.embedScale ?? 1) * (cfg.embeddingMultiplier ?? 1);
  if (m !== 1) tok = g.op('Mul', '/model/embed_tokens/scale/Mul', [tok, g.f32([m], [])]); // [T, d]
  if (!w.positions) return tok;
  const posTable = g.weight(w.positions, 'model.embed_positions.weight');
  const offset = cfg.positionOffset ?? 0;
  const rows = offset ? g.op('Add', '/model/embed_positions/offset/Add', [positions, g.i64([offset], [])]) : positions; // [T]
  const pos = g.op('Gather', '/model/embed_positions/Gather', [posTable, rows], { axis: int(0) }); // [T, d]
  return g.op('Add', '/model/embeddings/Add', [tok, pos]);
}

/** The block's write after its intervention (full only; the bare graph has none). */
function intervene(ctx: Ctx, name: string, out: string, which: 'mlp' | 'attn', l: number): string {
  return ctx.intervene ? interveneWrite(ctx.g, ctx.intervene, name, out, which, l) : out;
}

/** x, or its norm when the block has this norm (OLMo2 has no pre-norms). */
function maybeNorm(ctx: Ctx, name: string, x: string, w: NormWeights | null): string {
  return w ? makeNorm(ctx.g, name, x, w, ctx.cfg.norm, ctx.cfg.normEps) : x;
}

/**
 * What a sublayer adds to the residual: its output (-> post norm: Gemma 2/3 when stored, OLMo2's
 * cfg.postNorms) (* residual_multiplier, Granite), then the interventions of this write. [T, d].
 */
function joins(ctx: Ctx, name: string, out: string, postNorm: NormWeights | null | undefined, which: 'mlp' | 'attn', l: number): string {
  if (ctx.cfg.postNorms && !postNorm) throw new Error(`${name}: postNorms without the post norm weights`);
  let y = postNorm ? makeNorm(ctx.g, `${name}/post_norm`, out, postNorm, ctx.cfg.norm, ctx.cfg.normEps) : out;
  const m = ctx.cfg.residualMultiplier ?? 1;
  if (m !== 1) y = ctx.g.op('Mul', `${name}/residual_multiplier/Mul`, [y, ctx.g.f32([m], [])]);
  return intervene(ctx, `${name}/intervene`, y, which, l);
}

/*
 *  sequential:  x ─ attn_norm ─ attn ─ j ─ + ─► r ─ mlp_norm ─ mlp ─ j ─ + ─► h
 *               └─────────────────────────┘  └─────────────────────────┘
 *  parallel:    x ─┬─ attn_norm ─ attn ─ j ─┐
 *                  ├─ mlp_norm ── mlp ── j ─┤
 *                  └─────────────────────── + ─► h
 *  j (joins): (post_norm) (* residual_multiplier) (intervene). Absent pre-norms are skipped (OLMo2).
 *  post-LN (cfg.postLn, OPT): x ─ attn ─ j ─ + ─ attn_norm ─► r ─ mlp ─ j ─ + ─ mlp_norm ─► h
 */
function makeBlock(ctx: Ctx, l: number, x: string, w: ModelWeights, prevMap: string): BlockProbes & { h: string } {
  const { g, cfg, full } = ctx;
  const p = `/model/layers.${l}`;
  const lw = w.layers[l];
  if (!lw) throw new Error(`weights: layer ${l} missing`);
  const post = cfg.postLn === true;
  const attnIn = post ? x : maybeNorm(ctx, `${p}/attn_norm`, x, lw.attnNorm);
  // Learned sinks (gpt-oss) build their own windowed mask and mixing inputs (blocks/sinks.ts).
  const win = lw.sinks ? null : layerWindow(ctx, l);
  const mixing = win ? win.mixing : ctx.mixing;
  const probes = full && ctx.pos0Kv ? { pos0: ctx.pos0Kv, prevMap, layer: l, mixing, headMask: INPUTS.headMask } : null;
  const rope = win && ctx.ropeLocal ? ctx.ropeLocal : ctx.rope;
  const attn = lw.sinks
    ? makeSinkAttention(g, `${p}/attn`, attnIn, lw, cfg, rope, probes, { positions: ctx.positions, window: cfg.layerWindows?.[l] ?? null })
    : { ...makeAttention(g, `${p}/attn`, attnIn, lw, cfg, rope, probes, win?.mask ?? null), sinkShare: null };
  const a = joins(ctx, `${p}/attn`, attn.out, lw.attnPostNorm, 'attn', l);
  if (cfg.parallelResidual) {
    if (post) throw new Error('post-LN blocks with a parallel residual are not a canonical layout');
    const mlpIn = maybeNorm(ctx, `${p}/mlp_norm`, x, lw.mlpNorm);
    const m = joins(ctx, `${p}/mlp`, mlpOf(ctx, p, mlpIn, lw), lw.mlpPostNorm, 'mlp', l);
    const r = g.op('Add', `${p}/attn/residual/Add`, [x, a]);
    return { h: g.op('Add', `${p}/mlp/residual/Add`, [r, m]), ...blockProbes(ctx, p, attn, a, m) };
  }
  const sum = g.op('Add', `${p}/attn/residual/Add`, [x, a]); // [T, d]
  const r = post ? maybeNorm(ctx, `${p}/attn_norm`, sum, lw.attnNorm) : sum; // [T, d]
  const mlpIn = post ? r : maybeNorm(ctx, `${p}/mlp_norm`, r, lw.mlpNorm);
  const m = joins(ctx, `${p}/mlp`, mlpOf(ctx, p, mlpIn, lw), lw.mlpPostNorm, 'mlp', l);
  const h = g.op('Add', `${p}/mlp/residual/Add`, [r, m]); // [T, d]
  return { h: post ? maybeNorm(ctx, `${p}/mlp_norm`, h, lw.mlpNorm) : h, ...blockProbes(ctx, p, attn, a, m) };
}


/** Layer l's sliding window: the shared band mask and windowed mixing inputs, or null for full causal attention. */
function layerWindow(ctx: Ctx, l: number): { mask: string; mixing: MixingInputs | null } | null {
  const W = ctx.cfg.layerWindows?.[l] ?? null;
  if (W === null) return null;
  let win = ctx.windows.get(W);
  if (!win) {
    win = { mask: makeWindowMask(ctx.g, ctx.positions, W), mixing: ctx.mixing ? windowedMixingInputs(ctx.g, ctx.positions, ctx.mixing, W) : null };
    ctx.windows.set(W, win);
  }
  return win;
}

/** The block's MLP: dense, or the experts of a mixture (MoE models). */
function mlpOf(ctx: Ctx, p: string, x: string, lw: ModelWeights['layers'][number]): string {
  const moe = ctx.cfg.moe;
  if (lw.moe && moe) return makeMoe(ctx.g, `${p}/mlp`, x, lw.moe, moe);
  return makeMlp(ctx.g, `${p}/mlp`, x, lw, ctx.cfg);
}

function blockProbes(ctx: Ctx, p: string, attn: ReturnType<typeof makeAttention> & { sinkShare: string | null }, a: string, m: string): BlockProbes {
  return {
    sinkShare: attn.sinkShare,
    bos: attn.bos,
    map: attn.map,
    rowEntropy: attn.mixing?.rowEntropy ?? null,
    otherMass: attn.mixing?.otherMass ?? null,
    writes: ctx.full ? bosWrites(ctx.g, `${p}/probes/bos_writes`, a, m) : null,
  };
}

/*
 *  a, m [T, d] (what joins the stream, after any intervention) ─Gather(0)─► a0, m0 [d]
 *  [ ||a0||, ||m0||, <a0, a0 + m0> / ||a0 + m0||^2 ] ─► [3]
 *  The share is the attention's projection on the block's BOS change h[b+1][0] - h[b][0] = a0 + m0;
 *  the MLP's is 1 minus it. A zero change gives share 0 (the floor 1e-30 avoids 0/0).
 */
function bosWrites(g: GraphBuilder, name: string, a: string, m: string): string {
  const zero = g.i64([0], []);
  const a0 = g.op('Gather', `${name}/attn/Gather`, [a, zero], { axis: int(0) }); // [d]
  const m0 = g.op('Gather', `${name}/mlp/Gather`, [m, zero], { axis: int(0) }); // [d]
  const keep = { keepdims: int(1) };
  const an = g.op('ReduceL2', `${name}/attn/ReduceL2`, [a0, g.i64([0])], keep); // [1]
  const mn = g.op('ReduceL2', `${name}/mlp/ReduceL2`, [m0, g.i64([0])], keep); // [1]
  const delta = g.op('Add', `${name}/delta/Add`, [a0, m0]); // [d]
  const dot = g.op('ReduceSum', `${name}/dot/ReduceSum`, [g.op('Mul', `${name}/dot/Mul`, [a0, delta]), g.i64([0])], keep); // [1]
  const sq = g.op('ReduceSum', `${name}/delta/ReduceSum`, [g.op('Mul', `${name}/delta/Mul`, [delta, delta]), g.i64([0])], keep); // [1]
  const share = g.op('Div', `${name}/share/Div`, [dot, g.op('Max', `${name}/share/Max`, [sq, g.f32([1e-30], [])])]); // [1]
  return g.op('Concat', `${name}/Concat`, [an, mn, share], { axis: int(0) }); // [3]
}

/** h[L] [T, d] -> last row -> final norm -> lm head -> [V] (blocks/head.ts). */
function makeLastLogits(g: GraphBuilder, cfg: CanonicalConfig, w: ModelWeights, h: string): string {
  const last = g.op('Gather', '/model/last/Gather', [h, g.i64([-1], [1])], { axis: int(0) }); // [1, d]
  const logits = makeHead(g, { norm: '/model/norm', head: '/lm_head' }, last, cfg, w); // [1, V]
  return g.op('Reshape', '/lm_head/Reshape', [logits, g.i64([-1])]); // [V]
}

/** n tensors [A, B] -> [n, A, B]. */
function stack(g: GraphBuilder, name: string, xs: readonly string[]): string {
  const axis0 = g.i64([0]);
  const us = xs.map((x, i) => g.op('Unsqueeze', `${name}.${i}/Unsqueeze`, [x, axis0]));
  return g.op('Concat', `${name}/Concat`, us, { axis: int(0) });
}
