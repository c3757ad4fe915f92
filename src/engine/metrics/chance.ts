/**
 * Chance levels of the sink score (metrics.md "Attention sinks: chance level"). A head that attends
 * uniformly over the causal prefix gives query i the weight 1/(i+1) on BOS, so its sink score is
 * u(T) = mean over the scored queries of 1/(i+1) (i = 1..T-1, or 0..T-1 with includeFirstQuery).
 * For T <= 5, u(T) >= 0.3 = the default tau: every uniform head counts as a sink. Below
 * MIN_INFORMATIVE_TOKENS the sink rates and the phases are reported as not informative.
 */

/** Below this many tokens sink rates and phases are not informative (u(16) = 0.14, half of tau = 0.3). */
export const MIN_INFORMATIVE_TOKENS = 16;

/** A head is "at chance" when its score is within this factor of u(T) (u/2 <= s <= 2u). */
export const CHANCE_FACTOR = 2;

/** u(T): the sink score of a uniformly attending causal head; 0 when no query is scored (T = 1). */
export function chanceSinkScore(T: number, includeFirstQuery = false): number {
  const first = includeFirstQuery ? 0 : 1;
  let s = 0;
  for (let i = first; i < T; i++) s += 1 / (i + 1);
  return T - first > 0 ? s / (T - first) : 0;
}

/** Indices of the heads whose score s satisfies u / CHANCE_FACTOR <= s <= CHANCE_FACTOR * u. */
export function headsAtChance(scores: readonly number[], u: number): number[] {
  const out: number[] = [];
  scores.forEach((s, k) => {
    if (u > 0 && s >= u / CHANCE_FACTOR && s <= u * CHANCE_FACTOR) out.push(k);
  });
  return out;
}
