/** The benchmark's FLOP count of a forward pass, from the canonical config. */
import type { CanonicalConfig } from '../src/engine/arch/types';

/** Forward FLOPs (multiply-add = 2) of one prompt of T tokens, last-position LM head only. */
export function forwardFlops(c: CanonicalConfig, T: number): number {
  const d = c.hiddenSize;
  const proj = 2 * T * d * (c.numHeads * c.headDim + 2 * c.numKvHeads * c.headDim + c.numHeads * c.headDim);
  const mlp = 2 * T * d * c.intermediateSize * (c.gatedMlp ? 3 : 2);
  const attn = 2 * 2 * c.numHeads * c.headDim * T * T; // QK^T and AV over the full square (what the kernels compute)
  return c.numLayers * (proj + mlp + attn) + 2 * d * c.vocabSize;
}
