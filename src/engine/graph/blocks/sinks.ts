/**
 * Attention with learned sinks (gpt-oss) and per-layer sliding windows, on the same fused opset-23
 * `Attention` op. transformers appends each head's sink logit as an extra softmax column and drops
 * it after the softmax; here that column is a real key, put in front of the T keys:
 *   - q gets G = H/KV extra dims, one-hot at h mod G (query head h of its KV group),
 *   - k gets G extra dims, zero for real keys and sinks[kv*G .. kv*G+G-1] / scale for the sink key,
 *     so scale * q_h . k_sink = sinks[h] exactly and real scores are unchanged,
 *   - v of the sink key is zero (it adds nothing to the output),
 *   - an explicit bool mask [T, T+1] opens the sink column for every query and, for real keys,
 *     i - W < j <= i (windowed layers) or j <= i (full ones).
 * With probes the value heads carry two indicator columns: key 0 (BOS, the first real token) and the
 * sink key, so the output's extra columns are p(i -> BOS) and p(i -> sink) exactly. The sink share
 * is reduced in the graph to [H] (mean over queries i >= 1); never H x T x T outside the map's branch.
 */
import type { CanonicalConfig } from '../../arch/types';
import type { LayerWeights } from '../../weights/types';
import { float, int, ints, type GraphBuilder } from '../builder';
import { headed, makeSelectableAttention, maskHeads, type AttentionOut, type AttentionProbes } from './attention';
import { makeLinear } from './linear';
import { makeMixing, type MixingInputs } from './mixing';
import { band, windowedMixingInputs } from './window';

export interface SinkAttentionOut extends AttentionOut {
  /** [H]: mean over queries i >= 1 (query 0 when T = 1) of the attention the learned sink absorbs (with probes). */
  sinkShare: string | null;
}

/** Masks made once per graph and window (null = full causal), shared by the layers that use them. */
const masks = new WeakMap<GraphBuilder, Map<string, string>>();

function once(g: GraphBuilder, key: string, make: () => string): string {
  let m = masks.get(g);
  if (!m) masks.set(g, (m = new Map()));
  let v = m.get(key);
  if (v === undefined) m.set(key, (v = make()));
  return v;
}

/** The Attention op's mask [T, T+1]: the sink column (always open), then the real keys. */
function sinkMask(g: GraphBuilder, positions: string, W: number | null): string {
  return once(g, `attn:${W}`, () => {
    const name = `/model/mask/sinks_${W === null ? 'full' : `window_${W}`}`;
    const real = band(g, name, positions, positions, W); // [T, T] bool
    const open = g.op('Unsqueeze', `${name}/sink/Unsqueeze`, [g.op('GreaterOrEqual', `${name}/sink/GreaterOrEqual`, [positions, g.i64([0], [])]), g.i64([1])]); // [T, 1] true
    return g.op('Concat', `${name}/Concat`, [open, real], { axis: int(1) }); // [T, T+1]
  });
}

/** Windowed mixing inputs (blocks/window.ts), made once per graph and window. */
const mixMasks = new WeakMap<GraphBuilder, Map<number, MixingInputs>>();

function windowedMixing(g: GraphBuilder, positions: string, mix: MixingInputs, W: number | null): MixingInputs {
  if (W === null) return mix;
  let m = mixMasks.get(g);
  if (!m) mixMasks.set(g, (m = new Map()));
  let made = m.get(W);
  if (!made) m.set(W, (made = windowedMixingInputs(g, positions, mix, W)));
  return made;
}

/** x [T, n, w] ++ a constant row block c [1, n, w'] broadcast over T -> [T, n, w + w']. */
function appendConst(g: GraphBuilder, name: string, x: string, c: string, n: number, extra: number): string {
  const T = g.op('Slice', `${name}/T/Slice`, [g.op('Shape', `${name}/Shape`, [x]), g.i64([0]), g.i64([1])]); // [1]
  const shape = g.op('Concat', `${name}/shape/Concat`, [T, g.i64([n, extra])], { axis: int(0) }); // [3]
  const tiled = g.op('Expand', `${name}/Expand`, [c, shape]); // [T, n, extra]
  return g.op('Concat', `${name}/Concat`, [x, tiled], { axis: int(-1) });
}

export interface SinkAttentionCtx {
  /** [T] int64 positions 0..T-1. */
  positions: string;
  /** The layer's window, or null. */
  window: number | null;
}

/*
 *  q [T,H,hd] ++ onehot(h mod G) ─► [1,T,H*(hd+G)]
 *  k: sink row [1,KV,hd+G] (0.., sinks/scale) ; real [T,KV,hd] ++ 0 ─► [1,T+1,KV*(hd+G)]
 *  v: sink row (0.., [0, 1]) ; real [T,KV,hd] ++ [pos0, 0] ─► [1,T+1,KV*(hd+2)]   (probes; else hd wide)
 *  Attention(q, k, v, mask [T,T+1]) ─► [T,H,hd+2] ─Split─► y, p(->BOS) [H,T], p(->sink) ─mean─► [H]
 */
export function makeSinkAttention(
  g: GraphBuilder,
  prefix: string,
  x: string,
  w: LayerWeights,
  cfg: CanonicalConfig,
  rope: { cos: string; sin: string } | null,
  probes: AttentionProbes | null,
  sc: SinkAttentionCtx,
): SinkAttentionOut {
  const { numHeads: H, numKvHeads: KV, headDim: hd } = cfg;
  const G = H / KV;
  if (!w.sinks) throw new Error(`${prefix}: learned sinks without sink weights`);
  const q = headed(g, `${prefix}/q`, makeLinear(g, `${prefix}/q_proj`, x, w.q), w.qNorm, H, cfg, rope); // [1, T, H*hd]
  const k = headed(g, `${prefix}/k`, makeLinear(g, `${prefix}/k_proj`, x, w.k), w.kNorm, KV, cfg, rope); // [1, T, KV*hd]
  const vFlat = makeLinear(g, `${prefix}/v_proj`, x, w.v); // [T, KV*hd]
  const onehot = Float32Array.from({ length: H * G }, (_, i) => (i % G === Math.floor(i / G) % G ? 1 : 0)); // [H, G]: head h -> h mod G
  const qh = g.op('Reshape', `${prefix}/sink/q/Reshape`, [q, g.i64([-1, H, hd])]); // [T, H, hd]
  const qAug = appendConst(g, `${prefix}/sink/q`, qh, g.floatTensor(`/model/constants/sinks/onehot_${H}x${G}`, [1, H, G], onehot), H, G); // [T, H, hd+G]
  const kh = g.op('Reshape', `${prefix}/sink/k/Reshape`, [k, g.i64([-1, KV, hd])]); // [T, KV, hd]
  const kPad = appendConst(g, `${prefix}/sink/k`, kh, g.f32(new Array<number>(KV * G).fill(0), [1, KV, G]), KV, G); // [T, KV, hd+G]
  const sinks = g.weight(w.sinks, `${prefix}/sinks`); // [H] logits
  const logits = g.op('Mul', `${prefix}/sinks/Mul`, [sinks, g.f32([1 / cfg.attnScale], [])]); // [H]: undoes the op's scale
  const sinkK = g.op('Concat', `${prefix}/sink/k/row/Concat`, [g.f32(new Array<number>(KV * hd).fill(0), [1, KV, hd]), g.op('Reshape', `${prefix}/sinks/Reshape`, [logits, g.i64([1, KV, G])])], { axis: int(-1) }); // [1, KV, hd+G]
  const kAll = g.op('Concat', `${prefix}/sink/k/all/Concat`, [sinkK, kPad], { axis: int(0) }); // [T+1, KV, hd+G]
  const vh = g.op('Reshape', `${prefix}/v/heads/Reshape`, [vFlat, g.i64([-1, KV, hd])]); // [T, KV, hd]
  const hv = probes ? hd + 2 : hd;
  // Probe columns: [p(->BOS), p(->sink)]; the real keys carry [pos0, 0], the sink key [0, 1].
  const vReal = probes ? g.op('Concat', `${prefix}/v/probe/Concat`, [vh, probes.pos0, g.op('Mul', `${prefix}/v/probe/zero/Mul`, [probes.pos0, g.f32([0], [])])], { axis: int(-1) }) : vh; // [T, KV, hv]
  const sinkRow = Array.from({ length: KV * hv }, (_, i) => (probes && i % hv === hv - 1 ? 1 : 0));
  const vAll = g.op('Concat', `${prefix}/sink/v/all/Concat`, [g.f32(sinkRow, [1, KV, hv]), vReal], { axis: int(0) }); // [T+1, KV, hv]
  const qkv = [
    g.op('Reshape', `${prefix}/sink/q/flat/Reshape`, [qAug, g.i64([1, -1, H * (hd + G)])]), // [1, T, H*(hd+G)]
    g.op('Reshape', `${prefix}/sink/k/flat/Reshape`, [kAll, g.i64([1, -1, KV * (hd + G)])]), // [1, T+1, KV*(hd+G)]
    g.op('Reshape', `${prefix}/sink/v/flat/Reshape`, [vAll, g.i64([1, -1, KV * hv])]), // [1, T+1, KV*hv]
    sinkMask(g, sc.positions, sc.window), // [T, T+1] bool
  ];
  const attrs = { is_causal: int(0), q_num_heads: int(H), kv_num_heads: int(KV), scale: float(cfg.attnScale) };
  if (!probes) {
    const y = g.op('Attention', `${prefix}/Attention`, qkv, attrs); // [1, T, H*hd]
    const y2 = g.op('Reshape', `${prefix}/Y/Reshape`, [y, g.i64([-1, H * hd])]); // [T, H*hd]
    return { out: makeLinear(g, `${prefix}/o_proj`, y2, w.o), bos: null, map: null, mixing: null, sinkShare: null };
  }
  const [yAug, map] = makeSelectableAttention(g, prefix, qkv, attrs, probes, 1); // the map drops the sink column
  const yHeads = g.op('Reshape', `${prefix}/Y/heads/Reshape`, [yAug, g.i64([-1, H, hv])]); // [T, H, hd+2]
  const [y, bosCol, sinkCol] = g.node('Split', `${prefix}/Y/Split`, [yHeads, g.i64([hd, 1, 1])], { axis: int(-1) }, 3);
  const kept = maskHeads(g, `${prefix}/head_mask`, y as string, probes.headMask, probes.layer, H); // [T, H, hd]
  const y2 = g.op('Reshape', `${prefix}/Y/Reshape`, [kept, g.i64([-1, H * hd])]); // [T, H*hd]
  const bosTH = g.op('Reshape', `${prefix}/to_bos/Reshape`, [bosCol as string, g.i64([-1, H])]); // [T, H]
  const bos = g.op('Transpose', `${prefix}/to_bos/Transpose`, [bosTH], { perm: ints([1, 0]) }); // [H, T]
  const sinkShare = meanOverQueries(g, `${prefix}/sink_share`, g.op('Reshape', `${prefix}/sink_share/Reshape`, [sinkCol as string, g.i64([-1, H])])); // [H]
  const mixing = probes.mixing ? makeMixing(g, prefix, q, k, cfg, windowedMixing(g, sc.positions, probes.mixing, sc.window), sinks) : null;
  return { out: makeLinear(g, `${prefix}/o_proj`, y2, w.o), bos, map, mixing, sinkShare };
}

/** [T, H] -> [H]: mean over rows 1..T-1, or row 0 alone when T = 1. */
function meanOverQueries(g: GraphBuilder, name: string, x: string): string {
  const T = g.op('Slice', `${name}/T/Slice`, [g.op('Shape', `${name}/Shape`, [x]), g.i64([0]), g.i64([1])]); // [1]
  const start = g.op('Min', `${name}/start/Min`, [g.op('Sub', `${name}/start/Sub`, [T, g.i64([1])]), g.i64([1])]); // [1]: min(T - 1, 1)
  const rows = g.op('Slice', `${name}/Slice`, [x, start, g.i64([2 ** 62]), g.i64([0])]); // [T-1, H]
  return g.op('ReduceMean', `${name}/ReduceMean`, [rows, g.i64([0])], { keepdims: int(0) }); // [H]
}
