/**
 * Torch-layout linear layers in the builder's weight precision (docs/PERFORMANCE.md, "Weight
 * precisions"): the weight stays [out, in] as stored.
 *   fp32        Gemm(transB=1)
 *   fp16        fp16 initializer -> Cast(float) -> Gemm(transB=1): half the bytes on disk; compute fp32
 *   int8 / int4 com.microsoft MatMulNBits, block-wise (block 32) with per-block scales and zero points
 *               (+ Add for a bias); accuracy_level 4 = int8 dot products, faster than level 0 and than
 *               the fp32 GEMM on CPUs with int8 dot-product instructions (docs/PERFORMANCE.md).
 *               A weight stored block-quantised (GGUF) whose exact MatMulNBits form has no more bits
 *               than asked for is taken as stored (`linearSource`), K-quant mins as block-sum offsets.
 * Inputs and outputs are float32 in every precision: the hidden states the metrics read stay float32.
 */
import type { LinearWeights, StoredNBits, WeightRef } from '../../weights/types';
import { DT, int, type GraphBuilder } from '../builder';
import { quantizeOnCores, quantizeStoredOnCores } from '../../parallel/quantPool';
import { floatPieces } from '../../model/rowReader';
import { DEFAULT_QUANT_SCHEME, nbitsLayout, QUANT_BLOCK, quantizedBytes, toFloat16, toFloat16Into, type QuantBits, type QuantScheme } from '../quant';

export { DEFAULT_QUANT_SCHEME, type QuantScheme } from '../quant';

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

/** Where a quantised linear's weight comes from: read as stored (an exact block form) or quantised from float32. */
export interface LinearSource {
  bits: QuantBits;
  /** The stored block format (GGUF `Q4_0`, ...), or null for a float tensor. */
  format: string | null;
  /** The stored blocks are used as they are (exact), not dequantised and quantised again. */
  direct: boolean;
}

/** A stored form is used when its codes fit the bits asked for (a 4-bit form serves int8 as well, exactly). */
export function linearSource(ref: WeightRef, bits: QuantBits): LinearSource {
  const s = ref.stored;
  return { bits, format: s?.format ?? null, direct: s !== undefined && s.bits <= bits };
}

/*
 *  x [T,K] ─ MatMulNBits(B [N,kBlocks,blob] uint8, scales [N*kBlocks], zeros [N*zpRow] uint8) ─► [T,N] (─ Add bias)
 *  stored offsets (K-quant mins): + Gemm(ReduceSum(x as [T,kBlocks,block], axis 2) [T,kBlocks], offsets [N,kBlocks], transB)
 */
function matMulNBits(g: GraphBuilder, name: string, x: string, w: LinearWeights, bits: QuantBits, scheme: QuantScheme): string {
  const [N, K] = w.weight.dims as [number, number];
  const stored = linearSource(w.weight, bits).direct ? (w.weight.stored as StoredNBits) : null;
  const parts = stored ? storedInitializers(g, w.weight, stored, name) : quantizedInitializers(g, w.weight, name, bits, !scheme.zeroPoints[bits]);
  const nb = stored ? { bits: stored.bits, block: stored.block } : { bits, block: QUANT_BLOCK };
  const attrs = { K: int(K), N: int(N), bits: int(nb.bits), block_size: int(nb.block), accuracy_level: int(scheme.accuracyLevel) };
  let y = g.node('MatMulNBits', `${name}/MatMulNBits`, [x, ...parts.nbits], attrs, 1, 'com.microsoft')[0] as string; // [T, N]
  if (parts.offsets) {
    const blocks = g.op('Reshape', `${name}/offsets/Reshape`, [x, g.i64([-1, K / nb.block, nb.block])]); // [T, kBlocks, block]
    const sums = g.op('ReduceSum', `${name}/offsets/ReduceSum`, [blocks, g.i64([2])], { keepdims: int(0) }); // [T, kBlocks]
    const shift = g.op('Gemm', `${name}/offsets/Gemm`, [sums, parts.offsets], { transB: int(1) }); // [T, N]
    y = g.op('Add', `${name}/offsets/Add`, [y, shift]);
  }
  return w.bias ? g.op('Add', `${name}/bias/Add`, [y, g.weight(w.bias, `${name}/bias`)]) : y;
}

type Part = 'packed' | 'scales' | 'zeros' | 'offsets';

/**
 * The one weight whose quantised form is held, per graph (keyed by the initializer list that a
 * graph and its subgraphs share): whatever order a serializer asks for parts in, at most one
 * weight's codes exist at a time.
 */
const held = new WeakMap<object, { key: string; parts: Partial<Record<Part, Uint8Array | Float32Array | null>>; taken: Set<Part> }>();

/**
 * Initializers that compute their weight's parts when the first is written and drop them when all
 * have been: the serializer writes initializers one after another, so each weight is read and
 * converted once. A part asked for after another weight was converted (a small tensor written in
 * a second pass) is recomputed.
 */
function heldParts(g: GraphBuilder, key: string, wanted: number, compute: () => Partial<Record<Part, Uint8Array | Float32Array | null>>) {
  const owner = g.initializers;
  return (part: Part): Uint8Array => {
    let slot = held.get(owner);
    if (!slot || slot.key !== key) {
      slot = { key, parts: compute(), taken: new Set() };
      held.set(owner, slot);
    }
    slot.taken.add(part);
    if (slot.taken.size === wanted) held.delete(owner);
    const v = slot.parts[part] as Uint8Array | Float32Array;
    return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  };
}

interface NBitsParts {
  /** B, scales and (optionally) zero points, in MatMulNBits' input order. */
  nbits: string[];
  /** [N, kBlocks] float32 offsets, or null. */
  offsets: string | null;
}

/** The packed weight, scales and (optionally) zero points of one float weight, quantised when written. */
function quantizedInitializers(g: GraphBuilder, ref: WeightRef, name: string, bits: QuantBits, symmetric: boolean): NBitsParts {
  const [N, K] = ref.dims as [number, number];
  const l = nbitsLayout(N, K, bits);
  const sizes = quantizedBytes(l, symmetric);
  const key = `q${bits}${symmetric ? 's' : 'a'}:${ref.key}`;
  const take = heldParts(g, key, symmetric ? 2 : 3, () => {
    // Rows split with a worker thread on a cold load; a weight stored as is is read from its file a chunk at a time.
    const q = ref.rows ? quantizeStoredOnCores(ref.rows, N, K, bits, symmetric) : quantizeOnCores(ref.load(), N, K, bits, symmetric);
    return { packed: q.packed, scales: q.scales, zeros: q.zeros };
  });
  const tag = `${bits}bit`;
  const out = [
    g.derived(`${key}:B`, `${name}/weight_q${tag}`, [N, l.kBlocks, l.blob], DT.UINT8, sizes.packed, () => take('packed')),
    g.derived(`${key}:scales`, `${name}/scales_q${tag}`, [N * l.kBlocks], DT.FLOAT, sizes.scales, () => take('scales')),
  ];
  if (!symmetric) out.push(g.derived(`${key}:zeros`, `${name}/zero_points_q${tag}`, [N * l.zpRowBytes], DT.UINT8, sizes.zeros, () => take('zeros')));
  return { nbits: out, offsets: null };
}

/**
 * The stored blocks of one weight as they are (no float32 copy): the initializer names carry the
 * stored format, so a graph built from stored blocks never shares a cache entry with a quantised one.
 */
function storedInitializers(g: GraphBuilder, ref: WeightRef, s: StoredNBits, name: string): NBitsParts {
  const [N, K] = ref.dims as [number, number];
  const l = nbitsLayout(N, K, s.bits, s.block);
  const sizes = quantizedBytes(l, !s.zeroPoints);
  const key = `${s.format}:${ref.key}`;
  const take = heldParts(g, key, 2 + (s.zeroPoints ? 1 : 0) + (s.offsets ? 1 : 0), () => s.read());
  const tag = `${s.bits}bit_${s.format}`;
  const nbits = [
    g.derived(`${key}:B`, `${name}/weight_q${tag}`, [N, l.kBlocks, l.blob], DT.UINT8, sizes.packed, () => take('packed')),
    g.derived(`${key}:scales`, `${name}/scales_q${tag}`, [N * l.kBlocks], DT.FLOAT, sizes.scales, () => take('scales')),
  ];
  if (s.zeroPoints) nbits.push(g.derived(`${key}:zeros`, `${name}/zero_points_q${tag}`, [N * l.zpRowBytes], DT.UINT8, sizes.zeros, () => take('zeros')));
  const offsets = s.offsets ? g.derived(`${key}:offsets`, `${name}/offsets_q${tag}`, [N, l.kBlocks], DT.FLOAT, sizes.scales, () => take('offsets')) : null;
  return { nbits, offsets };
}

function fp16Weight(g: GraphBuilder, ref: WeightRef, name: string): string {
  const numel = ref.dims.reduce((a, b) => a * b, 1);
  const rows = ref.rows;
  const pieces = rows ? () => floatPieces(rows, ref.dims, toFloat16Into) : undefined;
  return g.derived(`f16:${ref.key}`, name, ref.dims, DT.FLOAT16, numel * 2, () => {
    const h = toFloat16(ref.load());
    return new Uint8Array(h.buffer, h.byteOffset, h.byteLength);
  }, pieces);
}
