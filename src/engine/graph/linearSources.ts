/**
 * What the linears of a model become in a precision, in one line for the result, the CLI and the
 * panel: for a block-quantised file (GGUF), how many matrices of each stored format were taken as
 * stored, quantised again, or dequantised (docs/gguf.md). Decided as blocks/linear.ts decides.
 */
import type { WeightPrecision } from '../../shared/result';
import type { ModelWeights, WeightRef } from '../weights/types';
import { DEFAULT_QUANT_SCHEME, linearSource, type QuantScheme } from './blocks/linear';

/** e.g. `14 Q4_0 as stored (4-bit), 2 Q6_K re-quantised to 4-bit`; null when no linear is stored block-quantised. */
export function describeLinearSources(w: ModelWeights, precision: WeightPrecision, scheme: QuantScheme = DEFAULT_QUANT_SCHEME): string | null {
  const refs: { ref: WeightRef; head: boolean }[] = w.layers.flatMap((l) => [l.q, l.k, l.v, l.o, ...(l.gate ? [l.gate] : []), l.up, l.down].map((x) => ({ ref: x.weight, head: false })));
  // A tied head is the float32 embedding table (blocks/linear.ts): not a linear of its own.
  if (w.lmHead.key !== w.embed.key) refs.push({ ref: w.lmHead, head: true });
  if (!refs.some((r) => r.ref.stored)) return null;
  const counts = new Map<string, number>();
  for (const { ref, head } of refs) {
    const label = sourceLabel(ref, precision, head, scheme);
    counts.set(label, (counts.get(label) ?? 0) + 1);
  }
  return [...counts].map(([label, n]) => `${n} ${label}`).join(', ');
}

function sourceLabel(ref: WeightRef, precision: WeightPrecision, head: boolean, scheme: QuantScheme): string {
  const format = ref.stored?.format ?? 'float';
  if (precision === 'fp32' || precision === 'fp16') return `${format} dequantised to ${precision}`;
  const bits = precision === 'int8' || (head && scheme.headBitsInInt4 === 8) ? 8 : 4;
  const s = linearSource(ref, bits);
  if (s.direct) return `${format} as stored (${ref.stored?.bits}-bit)`;
  return ref.stored ? `${format} re-quantised to ${bits}-bit` : `${format} quantised to ${bits}-bit`;
}
