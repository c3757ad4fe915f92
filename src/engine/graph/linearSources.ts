/**
 * What the linears of a model become in a precision, in one line for the result, the CLI and the
 * panel: for a block-quantised file (GGUF), how many matrices of each stored format were taken as
 * stored, quantised again, or dequantised (docs/gguf.md). Decided as blocks/linear.ts decides.
 */
import type { WeightPrecision } from '../../shared/result';
import type { ModelWeights, WeightRef } from '../weights/types';
import { DEFAULT_QUANT_SCHEME, linearSource, type QuantScheme } from './blocks/linear';
import type { QuantBits } from './quant';

/** The linears' weight refs, the untied head last (a tied head is the float32 embedding table, blocks/linear.ts). */
function linearRefs(w: ModelWeights): { ref: WeightRef; head: boolean }[] {
  const refs = w.layers.flatMap((l) => [l.q, l.k, l.v, l.o, ...(l.gate ? [l.gate] : []), l.up, l.down].map((x) => ({ ref: x.weight, head: false })));
  if (w.lmHead.key !== w.embed.key) refs.push({ ref: w.lmHead, head: true });
  return refs;
}

function bitsOf(precision: 'int8' | 'int4', head: boolean, scheme: QuantScheme): QuantBits {
  return precision === 'int8' || (head && scheme.headBitsInInt4 === 8) ? 8 : 4;
}

/**
 * Whether a cold load reads every linear weight and the embedding (and an untied head) a few rows at a time from
 * the files (`WeightRef.rows`), holding no whole float32 tensor: the memory plan's `streamed`.
 */
export function readByRows(w: ModelWeights): boolean {
  return linearRefs(w).every((r) => r.ref.rows !== undefined) && w.embed.rows !== undefined;
}

/**
 * Resident bytes per linear weight when some are taken as stored (their codes, float32 scales,
 * packed zero points and float32 offsets), the rest at `quantisedBytes` of their bits; null when
 * nothing is stored block-quantised or the precision is a float one (the memory plan's default holds).
 */
export function storedLinearBytesPerWeight(w: ModelWeights, precision: WeightPrecision, quantisedBytes: Readonly<Record<string, number>>, scheme: QuantScheme = DEFAULT_QUANT_SCHEME): number | null {
  if (precision === 'fp32' || precision === 'fp16') return null;
  const refs = linearRefs(w);
  if (!refs.some((r) => r.ref.stored)) return null;
  let bytes = 0;
  let params = 0;
  for (const { ref, head } of refs) {
    const n = ref.dims.reduce((a, b) => a * b, 1);
    const bits = bitsOf(precision, head, scheme);
    const s = ref.stored;
    const per = s && linearSource(ref, bits).direct
      ? s.bits / 8 + 4 / s.block + (s.zeroPoints ? 0.5 / s.block : 0) + (s.offsets ? 4 / s.block : 0)
      : (quantisedBytes[bits === 8 ? 'int8' : 'int4'] as number);
    bytes += n * per;
    params += n;
  }
  return bytes / params;
}

/** e.g. `14 Q4_0 as stored (4-bit), 2 Q6_K re-quantised to 4-bit`; null when no linear is stored block-quantised. */
export function describeLinearSources(w: ModelWeights, precision: WeightPrecision, scheme: QuantScheme = DEFAULT_QUANT_SCHEME): string | null {
  const refs = linearRefs(w);
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
  const bits = bitsOf(precision, head, scheme);
  const s = linearSource(ref, bits);
  if (s.direct) return `${format} as stored (${ref.stored?.bits}-bit)`;
  return ref.stored ? `${format} re-quantised to ${bits}-bit` : `${format} quantised to ${bits}-bit`;
}
