/**
 * What an intervention changed beyond the per-layer metrics: the next-token loss per position and
 * the last position's top-k. Pure.
 */
import type { LossChange, TokenLoss, TopKChange, TopToken } from '../../shared/result';
import type { FloatArray } from './types';

/** Positions listed as the most affected by an intervention. */
export const MOST_AFFECTED = 5;

/** The per-position loss of one run ([T-1] from the graph) and its mean; null mean for a one-token prompt. */
export function tokenLossOf(nll: FloatArray): TokenLoss {
  const perPosition = Array.from(nll, (v) => v);
  const mean = perPosition.length ? perPosition.reduce((s, v) => s + v, 0) / perPosition.length : null;
  return { perPosition, mean };
}

/** after - before per position, the means and the positions with the largest |delta| (ties: the earlier position). */
export function compareLoss(before: TokenLoss, after: TokenLoss): LossChange {
  const n = Math.min(before.perPosition.length, after.perPosition.length);
  const delta = Array.from({ length: n }, (_, t) => (after.perPosition[t] as number) - (before.perPosition[t] as number));
  const mostAffected = delta
    .map((d, position) => ({ position, delta: d }))
    .filter((x) => Number.isFinite(x.delta) && x.delta !== 0)
    .sort((a, b) => Math.abs(b.delta) - Math.abs(a.delta) || a.position - b.position)
    .slice(0, MOST_AFFECTED);
  const meanDelta = before.mean !== null && after.mean !== null ? after.mean - before.mean : null;
  return { before: before.perPosition, after: after.perPosition, delta, meanBefore: before.mean, meanAfter: after.mean, meanDelta, mostAffected };
}

/** The top-k before and after, whether the top-1 changed, and the ids that entered or left the list. */
export function compareTopK(before: readonly TopToken[], after: readonly TopToken[]): TopKChange {
  const a = new Set(after.map((t) => t.id));
  const b = new Set(before.map((t) => t.id));
  return {
    before: [...before],
    after: [...after],
    top1Changed: before[0]?.id !== after[0]?.id,
    entered: after.filter((t) => !b.has(t.id)).map((t) => t.id),
    left: before.filter((t) => !a.has(t.id)).map((t) => t.id),
  };
}
