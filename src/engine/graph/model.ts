/**
 * The forward graph of one canonical decoder-only model, batch 1, T dynamic. Residual stream
 * values are [T, d]. 'full' adds the probes (hidden states, attention to key 0, ablation inputs,
 * on-demand attention map); 'bare' is the same code path with only last-position logits.
 */
import type { CanonicalConfig } from '../arch/types';
import type { ModelWeights } from '../weights/types';
import { DT, int, GraphBuilder, type LinearPlan } from './builder';
import { makeAttention } from './blocks/attention';
import { makeLinear } from './blocks/linear';
import { makeMixingInputs, type MixingInputs } from './blocks/mixing';
import { makeMlp } from './blocks/mlp';
import { makeMoe } from './blocks/moe';
import { makeNorm } from './blocks/norm';
import { makeRopeTables } from './blocks/rope';
import { makeSinkAttention } from './blocks/sinks';
import { makeLogitLens } from './lens';
import { INPUTS, OUTPUTS } from './probes';

export type ProbeMode = 'full' | 'bare';

interface Ctx {
  g: GraphBuilder;
  cfg: CanonicalConfig;
  full: boolean;
  rope: { cos: string; sin: string } | null;
  /** [T] int64: 0..T-1. */
  positions: string;
  /** [T, 1] float: 1 at position 0, else 0 (full only). */
  pos0: string | null;
  /** [T, KV, 1] float: the same, one per KV head (the key-0 value column; full only). */
  pos0Kv: string | null;
  /** The mixing probe's sampled queries and masks (full only). */
  mixing: MixingInputs | null;
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

/** Builds the whole forward graph; weights are referenced lazily (loaded at serialization). */
export function buildForwardGraph(cfg: CanonicalConfig, w: ModelWeights, mode: ProbeMode, linear: LinearPlan = { weights: 'fp32' }): GraphBuilder {
  const g = new GraphBuilder(undefined, linear);
  const full = mode === 'full';
  const L = cfg.numLayers;
  const ids = g.input(INPUTS.ids, DT.INT64, [1, 'T']);
  if (full) {
    g.input(INPUTS.ablateMlp, DT.FLOAT, [L]);
    g.input(INPUTS.ablateAttn, DT.FLOAT, [L]);
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
    positions,
    pos0: null,
    pos0Kv: null,
    mixing: null,
  };
  if (full) {
    ctx.pos0 = makePos0(g, positions);
    const col = g.op('Unsqueeze', '/model/probes/pos0/Unsqueeze', [ctx.pos0, g.i64([2])]); // [T, 1, 1]
    ctx.pos0Kv = g.op('Expand', '/model/probes/pos0/Expand', [col, g.i64([1, cfg.numKvHeads, 1])]); // [T, KV, 1]
    ctx.mixing = makeMixingInputs(g, positions, INPUTS.mixQueries);
  }
  let h = makeEmbeddings(g, w, ids, positions); // [T, d]
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
  const all = (k: 'bos' | 'rowEntropy' | 'otherMass' | 'writes' | 'sinkShare'): string[] => probes.map((p) => p[k]).filter((x): x is string => x !== null);
  g.output(makeLastLogits(g, cfg, w, h), OUTPUTS.logits, DT.FLOAT, [cfg.vocabSize]);
  if (full) {
    const stacked = stack(g, '/model/probes/hidden', hidden); // [L+1, T, d]
    g.output(stacked, OUTPUTS.hidden, DT.FLOAT, [L + 1, 'T', cfg.hiddenSize]);
    g.output(stack(g, '/model/probes/attn_to_bos', all('bos')), OUTPUTS.attnToBos, DT.FLOAT, [L, cfg.numHeads, 'T']);
    g.output(stack(g, '/model/probes/mix_row_entropy', all('rowEntropy')), OUTPUTS.mixRowEntropy, DT.FLOAT, [L, cfg.numHeads]);
    g.output(stack(g, '/model/probes/mix_other_mass', all('otherMass')), OUTPUTS.mixOtherMass, DT.FLOAT, [L, cfg.numHeads]);
    g.output(stack(g, '/model/probes/bos_writes', all('writes')), OUTPUTS.bosWrites, DT.FLOAT, [L, 3]);
    if (cfg.attnSinks) g.output(stack(g, '/model/probes/attn_sink_share', all('sinkShare')), OUTPUTS.attnSinkShare, DT.FLOAT, [L, cfg.numHeads]);
    g.output(map, OUTPUTS.attnMap, DT.FLOAT, null);
    makeLogitLens(g, cfg, w, stacked);
  }
  return g;
}

/** ids [1, T] -> positions [T] = 0..T-1. */
function makePositions(g: GraphBuilder, ids: string): string {
  const shape = g.op('Shape', '/model/positions/Shape', [ids]); // [2]
  const T = g.op('Gather', '/model/positions/Gather', [shape, g.i64([1], [])], { axis: int(0) }); // scalar
  return g.op('Range', '/model/positions/Range', [g.i64([0], []), T, g.i64([1], [])]); // [T]
}

/** [T, 1] float mask of position 0, for ablation. */
function makePos0(g: GraphBuilder, positions: string): string {
  const eq = g.op('Equal', '/model/ablation/pos0/Equal', [positions, g.i64([0], [])]); // [T] bool
  const f = g.op('Cast', '/model/ablation/pos0/Cast', [eq], { to: int(DT.FLOAT) });
  return g.op('Unsqueeze', '/model/ablation/pos0/Unsqueeze', [f, g.i64([1])]); // [T, 1]
}

/** h[0] [T, d] = embed[ids] (+ learned positions[0..T-1]). */
function makeEmbeddings(g: GraphBuilder, w: ModelWeights, ids: string, positions: string): string {
  const flat = g.op('Reshape', '/model/embed_tokens/Reshape', [ids, g.i64([-1])]); // [T]
  const table = g.weight(w.embed, 'model.embed_tokens.weight');
  const tok = g.op('Gather', '/model/embed_tokens/Gather', [table, flat], { axis: int(0) }); // [T, d]
  if (!w.positions) return tok;
  const posTable = g.weight(w.positions, 'model.embed_positions.weight');
  const pos = g.op('Gather', '/model/embed_positions/Gather', [posTable, positions], { axis: int(0) }); // [T, d]
  return g.op('Add', '/model/embeddings/Add', [tok, pos]);
}

/** out * (1 - ablate[l] * pos0): zeroes the block output at position 0 when asked. */
function ablate(ctx: Ctx, name: string, out: string, input: string, l: number): string {
  const { g, pos0 } = ctx;
  if (!pos0) return out;
  const m = g.op('Gather', `${name}/Gather`, [input, g.i64([l], [])], { axis: int(0) }); // scalar
  const drop = g.op('Mul', `${name}/Mul`, [pos0, m]); // [T, 1]
  const keep = g.op('Sub', `${name}/Sub`, [g.f32([1], []), drop]); // [T, 1]
  return g.op('Mul', `${name}/keep/Mul`, [out, keep]); // [T, d]
}

/*
 *  sequential:  x ─ attn_norm ─ attn ─(ablate)─ + ─► r ─ mlp_norm ─ mlp ─(ablate)─ + ─► h
 *               └──────────────────────────────┘  └──────────────────────────────┘
 *  parallel:    x ─┬─ attn_norm ─ attn ─(ablate)─┐
 *                  ├─ mlp_norm ── mlp ─(ablate)──┤
 *                  └──────────────────────────── + ─► h
 */
function makeBlock(ctx: Ctx, l: number, x: string, w: ModelWeights, prevMap: string): BlockProbes & { h: string } {
  const { g, cfg, full } = ctx;
  const p = `/model/layers.${l}`;
  const lw = w.layers[l];
  if (!lw) throw new Error(`weights: layer ${l} missing`);
  const ablateAttn = full ? INPUTS.ablateAttn : '';
  const ablateMlp = full ? INPUTS.ablateMlp : '';
  const attnIn = makeNorm(g, `${p}/attn_norm`, x, lw.attnNorm, cfg.norm, cfg.normEps);
  const probes = ctx.pos0Kv && ctx.mixing ? { pos0: ctx.pos0Kv, prevMap, layer: l, mixing: ctx.mixing } : null;
  const attn = lw.sinks
    ? makeSinkAttention(g, `${p}/attn`, attnIn, lw, cfg, ctx.rope, probes, { positions: ctx.positions, window: cfg.layerWindows?.[l] ?? null })
    : { ...makeAttention(g, `${p}/attn`, attnIn, lw, cfg, ctx.rope, probes), sinkShare: null };
  const a = ablate(ctx, `${p}/attn/ablate`, attn.out, ablateAttn, l);
  if (cfg.parallelResidual) {
    const mlpIn = makeNorm(g, `${p}/mlp_norm`, x, lw.mlpNorm, cfg.norm, cfg.normEps);
    const m = ablate(ctx, `${p}/mlp/ablate`, mlpOf(ctx, p, mlpIn, lw), ablateMlp, l);
    const r = g.op('Add', `${p}/attn/residual/Add`, [x, a]);
    return { h: g.op('Add', `${p}/mlp/residual/Add`, [r, m]), ...blockProbes(ctx, p, attn, a, m) };
  }
  const r = g.op('Add', `${p}/attn/residual/Add`, [x, a]); // [T, d]
  const mlpIn = makeNorm(g, `${p}/mlp_norm`, r, lw.mlpNorm, cfg.norm, cfg.normEps);
  const m = ablate(ctx, `${p}/mlp/ablate`, mlpOf(ctx, p, mlpIn, lw), ablateMlp, l);
  return { h: g.op('Add', `${p}/mlp/residual/Add`, [r, m]), ...blockProbes(ctx, p, attn, a, m) };
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
 *  a, m [T, d] (what joins the stream, after ablation) ─Gather(0)─► a0, m0 [d]
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

/** h[L] [T, d] -> last row -> final norm -> lm head -> [V]. */
function makeLastLogits(g: GraphBuilder, cfg: CanonicalConfig, w: ModelWeights, h: string): string {
  const last = g.op('Gather', '/model/last/Gather', [h, g.i64([-1], [1])], { axis: int(0) }); // [1, d]
  const normed = makeNorm(g, '/model/norm', last, w.finalNorm, cfg.norm, cfg.normEps);
  const logits = makeLinear(g, '/lm_head', normed, { weight: w.lmHead, bias: w.lmHeadBias }, 'head'); // [1, V]
  return g.op('Reshape', '/lm_head/Reshape', [logits, g.i64([-1])]); // [V]
}

/** n tensors [A, B] -> [n, A, B]. */
function stack(g: GraphBuilder, name: string, xs: readonly string[]): string {
  const axis0 = g.i64([0]);
  const us = xs.map((x, i) => g.op('Unsqueeze', `${name}.${i}/Unsqueeze`, [x, axis0]));
  return g.op('Concat', `${name}/Concat`, us, { axis: int(0) });
}
