/**
 * Who writes the spike (metrics.md "Who writes the spike"): per block, what the attention and the
 * MLP wrote at BOS, from the graph's [L, 3] reduction (||a||, ||m||, <a, a+m>/||a+m||^2), and the
 * block and component behind the massive activation.
 */
import type { BosWrite, RunMetrics } from '../../shared/result';
import type { FloatArray } from './types';

/** Block b's write at BOS; bosNorms are ||h[l][0]|| for l = 0..L. */
export function bosWrite(writes: FloatArray, b: number, bosNorms: readonly number[]): BosWrite {
  const attnShare = writes[b * 3 + 2] as number;
  return {
    attnNorm: writes[b * 3] as number,
    mlpNorm: writes[b * 3 + 1] as number,
    attnShare,
    mlpShare: 1 - attnShare,
    normChange: (bosNorms[b + 1] ?? 0) - (bosNorms[b] ?? 0),
  };
}

/**
 * The spike's writer: the first spike block, and the component with the larger share of its BOS
 * change (ties go to the MLP, the paper's default). Null without a spike or without the writes.
 */
export function spikeWriter(spikeBlocks: readonly number[], writes: readonly (BosWrite | null)[]): RunMetrics['spikeWriter'] {
  const block = spikeBlocks[0];
  if (block === undefined) return null;
  const w = writes[block + 1];
  if (!w) return null;
  return w.attnShare > w.mlpShare ? { block, component: 'attn', share: w.attnShare } : { block, component: 'mlp', share: w.mlpShare };
}
