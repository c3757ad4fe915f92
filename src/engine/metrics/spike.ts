/**
 * Norm spikes: the blocks whose write at BOS makes bosRatio jump (metrics.md "Ablation": the default
 * ablation target).
 */

export const SPIKE_FACTOR = 3;

/**
 * Block indices b with bosRatio[b+1] > factor * bosRatio[b] (bosRatios indexed by layer h[0..L]):
 * the first such block, plus the blocks that continue the jump immediately after it (a spike built
 * over consecutive blocks). Later, separate jumps are not included. Empty when nothing jumps.
 */
export function spikeBlocks(bosRatios: readonly number[], factor = SPIKE_FACTOR): number[] {
  const jumps = (b: number): boolean => (bosRatios[b + 1] as number) > factor * (bosRatios[b] as number) && (bosRatios[b] as number) > 0;
  const out: number[] = [];
  for (let b = 0; b + 1 < bosRatios.length; b++) {
    if (jumps(b)) out.push(b);
    else if (out.length) break;
  }
  return out;
}
