/**
 * Load options for precision and placement: validation, the weight bytes of each precision, and
 * what `weights: 'auto'` picks from the model size and the memory available (docs/PERFORMANCE.md).
 */
import { readFileSync } from 'node:fs';
import { freemem } from 'node:os';
import { EXECUTION_PROVIDERS, WEIGHTS_MODES, type LoadOptions } from '../shared/engineApi';
import { SinkLensError } from '../shared/errors';
import type { WeightPrecision, WeightsMode } from '../shared/result';
import { DEFAULT_QUANT_SCHEME } from './graph/blocks/linear';
import { QUANT_BLOCK } from './graph/quant';
import type { CanonicalConfig } from './arch/types';

export interface ResolvedLoadOptions {
  threads: number;
  weights: WeightsMode;
  executionProvider: string;
  strictProvider: boolean;
}

export const DEFAULT_WEIGHTS: WeightsMode = 'auto';

export function resolveLoadOptions(o: LoadOptions = {}): ResolvedLoadOptions {
  const threads = o.threads ?? 0;
  if (!Number.isInteger(threads) || threads < 0 || threads > 1024) throw new SinkLensError('badRequest', `threads must be an integer 0..1024 (0 = onnxruntime's default), got ${String(o.threads)}.`);
  const weights = o.weights ?? DEFAULT_WEIGHTS;
  if (!WEIGHTS_MODES.includes(weights)) throw new SinkLensError('badRequest', `weights must be one of ${WEIGHTS_MODES.join(', ')} (got '${String(weights)}').`);
  const executionProvider = o.executionProvider ?? 'cpu';
  if (!EXECUTION_PROVIDERS.includes(executionProvider)) {
    throw new SinkLensError('badRequest', `executionProvider must be one of ${EXECUTION_PROVIDERS.join(', ')} (got '${String(executionProvider)}').`);
  }
  return { threads, weights, executionProvider, strictProvider: o.strictProvider === true };
}

/** Parameters in the linear layers (the part a precision changes) and in the rest (always float32). */
export function paramSplit(c: CanonicalConfig): { linear: number; head: number; other: number } {
  const d = c.hiddenSize;
  const attn = d * c.numHeads * c.headDim * 2 + d * c.numKvHeads * c.headDim * 2;
  const mlp = d * c.intermediateSize * (c.gatedMlp ? 3 : 2);
  const embed = c.vocabSize * d + (c.position === 'learned' ? c.maxPositions * d : 0);
  const head = c.tieWordEmbeddings ? 0 : c.vocabSize * d;
  const norms = (2 * c.numLayers + 1) * d * (c.norm === 'layer' ? 2 : 1) + (c.qkNorm ? 2 * c.numLayers * c.headDim : 0);
  return { linear: c.numLayers * (attn + mlp), head, other: embed + norms };
}

/** Bytes per weight of a MatMulNBits matrix: codes, a float32 scale and (4-bit) a zero nibble per block. */
function nbitsBytesPerParam(bits: 4 | 8): number {
  const zp = DEFAULT_QUANT_SCHEME.zeroPoints[bits] ? bits / 8 : 0;
  return bits / 8 + (4 + zp) / QUANT_BLOCK;
}

/** The session's weight bytes in one precision (an fp16 weight becomes float32 in the session). */
export function weightBytes(c: CanonicalConfig, p: WeightPrecision): number {
  const { linear, head, other } = paramSplit(c);
  const per = { fp32: 4, fp16: 4, int8: nbitsBytesPerParam(8), int4: nbitsBytesPerParam(4) }[p];
  const headPer = p === 'int4' ? nbitsBytesPerParam(DEFAULT_QUANT_SCHEME.headBitsInInt4) : per;
  return linear * per + head * headPer + other * 4;
}

/** Share of the available memory the weights may take; the rest is activations, the runtime and the OS. */
export const AUTO_WEIGHT_SHARE = 0.5;

/**
 * 'auto': the most accurate precision whose weights fit in AUTO_WEIGHT_SHARE of the available
 * memory, in the order fp32, int8, int4 (fp16 saves disk, not session memory, so auto never picks it).
 */
export function chooseWeights(c: CanonicalConfig, availableBytes: number): { weights: WeightPrecision; reason: string } {
  const budget = availableBytes * AUTO_WEIGHT_SHARE;
  const gb = (b: number) => `${(b / 2 ** 30).toFixed(2)} GiB`;
  for (const p of ['fp32', 'int8', 'int4'] as const) {
    const need = weightBytes(c, p);
    if (need <= budget) {
      const why = p === 'fp32' ? 'they fit' : `fp32 (${gb(weightBytes(c, 'fp32'))}) does not`;
      return { weights: p, reason: `weights auto → ${p}: ${p} weights take ${gb(need)} of ${gb(availableBytes)} available memory; ${why} in half of it.` };
    }
  }
  const need = weightBytes(c, 'int4');
  return { weights: 'int4', reason: `weights auto → int4: even int4 weights (${gb(need)}) exceed half of the ${gb(availableBytes)} available memory; the load may fail.` };
}

/** Memory the OS can give without swapping: /proc/meminfo MemAvailable on Linux, else os.freemem(). */
export function availableMemory(): number {
  try {
    const m = /^MemAvailable:\s+(\d+) kB/m.exec(readFileSync('/proc/meminfo', 'utf8'));
    if (m) return Number(m[1]) * 1024;
  } catch {
    // Not Linux: fall through.
  }
  return freemem();
}
