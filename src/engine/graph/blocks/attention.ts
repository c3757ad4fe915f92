/**
 * Causal self-attention of one block with ONNX opset-23 `Attention` (GQA handled by the op via
 * q_num_heads / kv_num_heads). Probes never ask the op for its [H, T, T] probabilities on the
 * default path (that costs ~+70% per attention); instead each value head carries one extra
 * column, 1 at key 0 and 0 elsewhere, so the output's extra column is exactly p(query -> key 0).
 * The full T x T probabilities are computed only inside the If branch of the requested block.
 */
import type { CanonicalConfig } from '../../arch/types';
import type { LayerWeights } from '../../weights/types';
import { DT, float, graph, int, ints, type AttrValue, type GraphBuilder } from '../builder';
import { INPUTS } from '../probes';
import { makeLinear } from './linear';
import { makeMixing, type MixingInputs } from './mixing';
import { makeNorm } from './norm';
import { makeRope } from './rope';

/** What the probes need from the model: the key-0 indicator and the map so far. */
export interface AttentionProbes {
  /** [T, KV, 1] float: 1 at position 0. */
  pos0: string;
  /** The attention map chosen by an earlier block, or the [1,1,1] placeholder. */
  prevMap: string;
  layer: number;
  /** The sampled queries and masks of the mixing probe (blocks/mixing.ts); null leaves the probe out. */
  mixing: MixingInputs | null;
  /** float [L, H] graph input: 1 keeps a query head's output, 0 zeroes it before o_proj. */
  headMask: string;
}

export interface AttentionOut {
  out: string; // [T, d]
  /** [H, T] attention to key 0 (with probes). */
  bos: string | null;
  /** [1, T, T] if attn_map_block is this block, else `prevMap` (with probes). */
  map: string | null;
  /** Mixing of this block: mean normalised row entropy [H] and mass on keys other than BOS and self [H] (with probes). */
  mixing: { rowEntropy: string; otherMass: string } | null;
}

/** y [T, H, hd] * head_mask[layer] as [H, 1]: a zero drops that head's output before o_proj. */
export function maskHeads(g: GraphBuilder, name: string, y: string, headMask: string, layer: number, H: number): string {
  const row = g.op('Gather', `${name}/Gather`, [headMask, g.i64([layer], [])], { axis: int(0) }); // [H]
  const col = g.op('Reshape', `${name}/Reshape`, [row, g.i64([H, 1])]); // [H, 1]
  return g.op('Mul', `${name}/Mul`, [y, col]); // [T, H, hd]
}

/*
 *  x [T,d] ─┬─ q_proj ─► [T,H*hd] ─Reshape─► [T,H,hd] ─(q_norm)─(RoPE)─Reshape─► q [1,T,H*hd]
 *           ├─ k_proj ─► [T,KV*hd] ─Reshape─► [T,KV,hd] ─(k_norm)─(RoPE)─Reshape─► k [1,T,KV*hd]
 *           └─ v_proj ─► [T,KV*hd] ─Reshape─► [T,KV,hd] ─(probes: Concat pos0 ─► [T,KV,hd+1])─► v
 *                                                                                       │
 *   Attention(q, k, v; is_causal, scale) ─► Y [1,T,H*hv]   (probes: inside If(block == attn_map_block))
 *                │
 *   (probes: Split the key-0 column ─► bos [H,T]; × head_mask[l])  Reshape [T,H*hd] ─ o_proj ─► [T,d]
 */
export function makeAttention(
  g: GraphBuilder,
  prefix: string,
  x: string,
  w: LayerWeights,
  cfg: CanonicalConfig,
  rope: { cos: string; sin: string } | null,
  probes: AttentionProbes | null,
  windowMask: string | null = null,
): AttentionOut {
  const { numHeads: H, numKvHeads: KV, headDim: hd } = cfg;
  const q = headed(g, `${prefix}/q`, projected(g, `${prefix}/q_proj`, x, w.q, cfg), w.qNorm, H, cfg, rope);
  const k = headed(g, `${prefix}/k`, projected(g, `${prefix}/k_proj`, x, w.k, cfg), w.kNorm, KV, cfg, rope);
  const vFlat = projected(g, `${prefix}/v_proj`, x, w.v, cfg); // [T, KV*hd]
  const attrs = attentionAttrs(cfg, windowMask !== null);
  // A windowed layer passes its band mask [T, T] (blocks/window.ts) instead of is_causal.
  const extra = windowMask ? [windowMask] : [];
  if (!probes) {
    const v = g.op('Reshape', `${prefix}/v/Reshape`, [vFlat, g.i64([1, -1, KV * hd])]); // [1, T, KV*hd]
    const y = g.op('Attention', `${prefix}/Attention`, [q, k, v, ...extra], attrs); // [1, T, H*hd]
    const y2 = g.op('Reshape', `${prefix}/Y/Reshape`, [y, g.i64([-1, H * hd])]); // [T, H*hd]
    return { out: makeLinear(g, `${prefix}/o_proj`, y2, w.o), bos: null, map: null, mixing: null };
  }
  const vHeads = g.op('Reshape', `${prefix}/v/heads/Reshape`, [vFlat, g.i64([-1, KV, hd])]); // [T, KV, hd]
  const vAug = g.op('Concat', `${prefix}/v/probe/Concat`, [vHeads, probes.pos0], { axis: int(-1) }); // [T, KV, hd+1]
  const v = g.op('Reshape', `${prefix}/v/Reshape`, [vAug, g.i64([1, -1, KV * (hd + 1)])]); // [1, T, KV*(hd+1)]
  const [yAug, map] = makeSelectableAttention(g, prefix, [q, k, v, ...extra], attrs, probes);
  const yHeads = g.op('Reshape', `${prefix}/Y/heads/Reshape`, [yAug, g.i64([-1, H, hd + 1])]); // [T, H, hd+1]
  const [y, bosCol] = g.node('Split', `${prefix}/Y/Split`, [yHeads, g.i64([hd, 1])], { axis: int(-1) }, 2);
  const kept = maskHeads(g, `${prefix}/head_mask`, y as string, probes.headMask, probes.layer, H); // [T, H, hd]
  const y2 = g.op('Reshape', `${prefix}/Y/Reshape`, [kept, g.i64([-1, H * hd])]); // [T, H*hd]
  const bosTH = g.op('Reshape', `${prefix}/to_bos/Reshape`, [bosCol as string, g.i64([-1, H])]); // [T, H]
  const bos = g.op('Transpose', `${prefix}/to_bos/Transpose`, [bosTH], { perm: ints([1, 0]) }); // [H, T]
  const mixing = probes.mixing ? makeMixing(g, prefix, q, k, cfg, probes.mixing) : null;
  return { out: makeLinear(g, `${prefix}/o_proj`, y2, w.o), bos, map, mixing };
}

/**
 * The op's attributes. Soft-capping (Gemma 2) is the op's own `softcap`: ORT applies c * tanh(s / c)
 * to the scaled scores before the causal or explicit mask, the order of transformers' eager attention.
 */
function attentionAttrs(cfg: CanonicalConfig, windowed: boolean): Record<string, AttrValue> {
  const attrs: Record<string, AttrValue> = { is_causal: int(windowed ? 0 : 1), q_num_heads: int(cfg.numHeads), kv_num_heads: int(cfg.numKvHeads), scale: float(cfg.attnScale) };
  if (cfg.attnSoftcap) attrs['softcap'] = float(cfg.attnSoftcap);
  return attrs;
}

/*
 *  If(attn_map_block == layer)
 *    then: Attention(..., qk_matmul_output_mode=3) ─► Y, probs [1,H,T,T] ─Gather(attn_map_head)─► map [1,T,T]
 *    else: Attention(...) ─► Y;  map = prevMap
 */
export function makeSelectableAttention(
  g: GraphBuilder,
  prefix: string,
  qkv: string[],
  attrs: Record<string, AttrValue>,
  probes: AttentionProbes,
  /** Leading keys that are not prompt tokens (the learned sink, blocks/sinks.ts): cut from the map. */
  extraKeys = 0,
): [string, string] {
  const cond = g.op('Equal', `${prefix}/map/Equal`, [INPUTS.attnMapBlock, g.i64([probes.layer], [])]); // bool scalar
  const then = g.subgraph();
  const outs = then.node('Attention', `${prefix}/map/Attention`, qkv, { ...attrs, qk_matmul_output_mode: int(3) }, 4);
  const node = then.nodes[then.nodes.length - 1];
  // Present key/value (outputs 1, 2) are not wanted: an empty name omits an optional output.
  if (node) then.nodes[then.nodes.length - 1] = { ...node, outputs: [outs[0] as string, '', '', outs[3] as string] };
  then.branchOutput(outs[0] as string, DT.FLOAT);
  const head = then.op('Gather', `${prefix}/map/Gather`, [outs[3] as string, INPUTS.attnMapHead], { axis: int(1) }); // [1, T, extra+T]
  then.branchOutput(extraKeys ? then.op('Slice', `${prefix}/map/Slice`, [head, g.i64([extraKeys]), g.i64([2 ** 62]), g.i64([2])]) : head, DT.FLOAT); // [1, T, T]
  const otherwise = g.subgraph();
  otherwise.branchOutput(otherwise.op('Attention', `${prefix}/Attention`, qkv, attrs), DT.FLOAT);
  otherwise.branchOutput(otherwise.op('Identity', `${prefix}/map/Identity`, [probes.prevMap]), DT.FLOAT);
  const [y, map] = g.node('If', `${prefix}/If`, [cond], { then_branch: graph(then), else_branch: graph(otherwise) }, 2);
  return [y as string, map as string];
}

/** x [T, d] -> [T, n*hd] = x W^T + b, clamped to [-c, c] when cfg.clipQkv is set (OLMo clip_qkv). */
function projected(g: GraphBuilder, name: string, x: string, w: LayerWeights['q'], cfg: CanonicalConfig): string {
  const y = makeLinear(g, name, x, w); // [T, n*hd]
  const c = cfg.clipQkv;
  return c ? g.op('Clip', `${name}/clip_qkv/Clip`, [y, g.f32([-c], []), g.f32([c], [])]) : y;
}

/**
 * [T, n*hd] -> optional RMSNorm (per head [hd], or over the whole projection [n*hd] when
 * cfg.qkNormScope is 'full', OLMo2) and RoPE -> [1, T, n*hd].
 */
export function headed(
  g: GraphBuilder,
  name: string,
  x: string,
  norm: LayerWeights['qNorm'],
  n: number,
  cfg: CanonicalConfig,
  rope: { cos: string; sin: string; rotaryDim?: number } | null,
): string {
  const hd = cfg.headDim;
  if (norm && cfg.qkNormScope === 'full') return headed(g, name, makeNorm(g, `${name}_norm`, x, norm, 'rms', cfg.normEps), null, n, cfg, rope);
  if (!norm && !rope) return g.op('Reshape', `${name}/Reshape`, [x, g.i64([1, -1, n * hd])]);
  let h = g.op('Reshape', `${name}/heads/Reshape`, [x, g.i64([-1, n, hd])]); // [T, n, hd]
  if (norm) h = makeNorm(g, `${name}_norm`, h, norm, 'rms', cfg.normEps);
  if (rope && cfg.rope) h = makeRope(g, `${name}/rotary`, h, hd, rope.rotaryDim ?? cfg.rope.rotaryDim, rope);
  return g.op('Reshape', `${name}/Reshape`, [h, g.i64([1, -1, n * hd])]); // [1, T, n*hd]
}
