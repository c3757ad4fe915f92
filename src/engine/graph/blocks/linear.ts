/**
 * Torch-layout linear layers in the builder's weight precision (docs/PERFORMANCE.md, "Weight
 * precisions"): the weight stays [out, in] as stored.
 *   fp32        Gemm(transB=1)
 *   fp16        fp16 initializer -> Cast(float) -> Gemm(transB=1): half the bytes on disk; compute fp32
 *   int8 / int4 com.microsoft MatMulNBits, block-wise (block 32) with per-block scales and zero points
 *               (+ Add for a bias); accuracy_level 4 = int8 dot products, faster than level 0 and than
 *               the fp32 GEMM on CPUs with int8 dot-product instructions (docs/PERFORMANCE.md)
 * Inputs and outputs are float32 in every precision: the hidden states the metrics read stay float32.
 */
import type { LinearWeights, WeightRef } from '../../weights/types';
import { DT, int, type GraphBuilder } from '../builder';
import { nbitsLayout, QUANT_BLOCK, quantizeBlockwise, quantizedBytes, toFloat16, type QuantBits, type Quantized } from '../quant';

/** The quantisation scheme; the defaults are the measured choice (docs/PERFORMANCE.md). */
export interface QuantScheme {
  /** Per-block zero points (asymmetric ranges); false = symmetric, no zero-point input. */
  zeroPoints: Record<QuantBits, boolean>;
  /** MatMulNBits accuracy_level: 4 = quantise the activations to int8 per block and use int8 dot products. */
  accuracyLevel: number;
  /** Bits of an untied LM head in int4 mode (the logits and the logit lens read it). */
  headBitsInInt4: QuantBits;
}

/**
 * Measured (docs/PERFORMANCE.md): int4 zero points avoid a sink-rate flip symmetric int4 showed on a
 * real fixture (they cost ~35% of the int4 kernel's speed); int8 gains nothing from them.
 */
export const DEFAULT_QUANT_SCHEME: QuantScheme = { zeroPoints: { 4: true, 8: false }, accuracyLevel: 4, headBitsInInt4: 8 };

/** Which linear this is: a block's projection, or the LM head (shared with the logit lens). */
export type LinearRole = 'layer' | 'head';

/** `x` [T, in] -> [T, out] = x W^T + b. */
export function makeLinear(g: GraphBuilder, name: string, x: string, w: LinearWeights, role: LinearRole = 'layer'): string {
  const p = g.linear.weights;
  // A tied head is the float32 embedding table already in the graph: reuse it, never a second copy.
  if (p === 'fp32' || (role === 'head' && g.hasWeight(w.weight))) return gemm(g, name, x, g.weight(w.weight, `${name}/weight`), w);
  if (p === 'fp16') {
    const w16 = fp16Weight(g, w.weight, `${name}/weight_fp16`); // [out, in] float16
    return gemm(g, name, x, g.op('Cast', `${name}/weight/Cast`, [w16], { to: int(DT.FLOAT) }), w);
  }
  const scheme = { ...DEFAULT_QUANT_SCHEME, ...g.linear.quant };
  const bits: QuantBits = p === 'int8' || (role === 'head' && scheme.headBitsInInt4 === 8) ? 8 : 4;
  return matMulNBits(g, name, x, w, bits, scheme);
}

function gemm(g: GraphBuilder, name: string, x: string, weight: string, w: LinearWeights): string {
  const inputs = w.bias ? [x, weight, g.weight(w.bias, `${name}/bias`)] : [x, weight];
  return g.op('Gemm', `${name}/Gemm`, inputs, { transB: int(1) });
}

/*
 *  x [T,K] ─ MatMulNBits(B [N,kBlocks,blob] uint8, scales [N*kBlocks], zeros [N*zpRow] uint8) ─► [T,N] (─ Add bias)
 */
function matMulNBits(g: GraphBuilder, name: string, x: string, w: LinearWeights, bits: QuantBits, scheme: QuantScheme): string {
  const [N, K] = w.weight.dims as [number, number];
  const parts = quantizedInitializers(g, w.weight, name, bits, !scheme.zeroPoints[bits]);
  const attrs = { K: int(K), N: int(N), bits: int(bits), block_size: int(QUANT_BLOCK), accuracy_level: int(scheme.accuracyLevel) };
  const y = g.node('MatMulNBits', `${name}/MatMulNBits`, [x, ...parts], attrs, 1, 'com.microsoft')[0] as string; // [T, N]
  return w.bias ? g.op('Add', `${name}/bias/Add`, [y, g.weight(w.bias, `${name}/bias`)]) : y;
}

/**
 * The one weight whose quantised form is held, per graph (keyed by the initializer list that a
 * graph and its subgraphs share): whatever order a serializer asks for parts in, at most one
 * weight's codes exist at a time.
 */
const held = new WeakMap<object, { key: string; q: Quantized; taken: Set<string> }>();

/**
 * The packed weight, scales and (optionally) zero points of one weight, as initializers that
 * quantise the weight when the first is written and drop it when all have been: the serializer
 * writes initializers one after another, so each weight is read and quantised once. A part asked
 * for after another weight was quantised (a small tensor written in a second pass) is recomputed.
 */
function quantizedInitializers(g: GraphBuilder, ref: WeightRef, name: string, bits: QuantBits, symmetric: boolean): string[] {
  const [N, K] = ref.dims as [number, number];
  const l = nbitsLayout(N, K, bits);
  const sizes = quantizedBytes(l, symmetric);
  const key = `q${bits}${symmetric ? 's' : 'a'}:${ref.key}`;
  const wanted = symmetric ? 2 : 3;
  const owner = g.initializers;
  const take = (part: 'packed' | 'scales' | 'zeros'): Uint8Array => {
    let slot = held.get(owner);
    if (!slot || slot.key !== key) {
      slot = { key, q: quantizeBlockwise(ref.load(), N, K, bits, symmetric), taken: new Set() };
      held.set(owner, slot);
    }
    slot.taken.add(part);
    if (slot.taken.size === wanted) held.delete(owner);
    const v = slot.q[part] as Uint8Array | Float32Array;
    return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  };
  const tag = `${bits}bit`;
  const out = [
    g.derived(`${key}:B`, `${name}/weight_q${tag}`, [N, l.kBlocks, l.blob], DT.UINT8, sizes.packed, () => take('packed')),
    g.derived(`${key}:scales`, `${name}/scales_q${tag}`, [N * l.kBlocks], DT.FLOAT, sizes.scales, () => take('scales')),
  ];
  if (!symmetric) out.push(g.derived(`${key}:zeros`, `${name}/zero_points_q${tag}`, [N * l.zpRowBytes], DT.UINT8, sizes.zeros, () => take('zeros')));
  return out;
}

function fp16Weight(g: GraphBuilder, ref: WeightRef, name: string): string {
  const numel = ref.dims.reduce((a, b) => a * b, 1);
  return g.derived(`f16:${ref.key}`, name, ref.dims, DT.FLOAT16, numel * 2, () => {
    const h = toFloat16(ref.load());
    return new Uint8Array(h.buffer, h.byteOffset, h.byteLength);
  });
}
