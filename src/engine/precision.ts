/**
 * Load options for precision and placement: validation, and what `weights: 'auto'` picks from the
 * model's weight bytes (`weightBytes`, plan/memory.ts) and the memory available (docs/PERFORMANCE.md).
 */
import { EXECUTION_PROVIDERS, WEIGHTS_MODES, type LoadOptions } from '../shared/engineApi';
import { SinkLensError } from '../shared/errors';
import type { WeightPrecision, WeightsMode } from '../shared/result';
import { weightBytes } from './plan/memory';
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

/** The prepacking policy lives with the weight bytes it weighs (plan/memory.ts). */
export { PREPACK_MAX_BYTES, prepackWeights } from './plan/memory';
