/**
 * An independent decoder of the MatMulNBits layout (bit by bit, float64), written from the
 * operator's documentation rather than from src/engine/graph/quant.ts: the reference the quantiser
 * and the quantised graphs are tested against.
 */
import { QUANT_BLOCK, type Quantized } from '../../../src/engine/graph/quant';

/** Reads code k of row n straight from the bytes: block k/32, nibble (k%32)%2 of byte (k%32)/2 for 4 bits. */
export function code(q: Quantized, n: number, k: number): number {
  const { kBlocks, bits } = q.layout;
  const blob = (QUANT_BLOCK * bits) / 8;
  const base = (n * kBlocks + Math.floor(k / QUANT_BLOCK)) * blob;
  const i = k % QUANT_BLOCK;
  if (bits === 8) return q.packed[base + i] as number;
  const byte = q.packed[base + (i >> 1)] as number;
  return i % 2 === 0 ? byte & 0x0f : byte >> 4;
}

export function zero(q: Quantized, n: number, b: number): number {
  const { bits, kBlocks } = q.layout;
  if (!q.zeros) return 2 ** (bits - 1);
  if (bits === 8) return q.zeros[n * kBlocks + b] as number;
  const byte = q.zeros[n * Math.ceil(kBlocks / 2) + (b >> 1)] as number;
  return b % 2 === 0 ? byte & 0x0f : byte >> 4;
}

/** W[n, k] = (code - zero) * scale, float64, for k < K (the padding is never read). */
export function dequantize(q: Quantized): Float64Array {
  const { N, K, kBlocks } = q.layout;
  const w = new Float64Array(N * K);
  for (let n = 0; n < N; n++) {
    for (let k = 0; k < K; k++) {
      const b = Math.floor(k / QUANT_BLOCK);
      w[n * K + k] = (code(q, n, k) - zero(q, n, b)) * (q.scales[n * kBlocks + b] as number);
    }
  }
  return w;
}

