/** Captions and banners that say how a reading is to be taken (issue "honest readings"). */
import type { AnalysisResult, EntropyOptions } from '../../shared/result';
import { isDefaultEntropy, variantLabel } from './series';

/** The prompt length below which sink rates and phases are not informative (the engine's rule). */
export const MIN_INFORMATIVE_TOKENS = 16;

/** The entropy chart's caption: the bound goes with the raw layer; a BOS-excluding variant is outside the theorem. */
export function entropyCaption(o: EntropyOptions): string {
  if (isDefaultEntropy(o)) return 'raw layer ≤ bound · excl. BOS on the same scale';
  const variant = `${variantLabel(o)} drawn apart, no bound`;
  return o.excludeBos ? `${variant}: the theorem does not apply` : variant;
}

/** The mixing chart's caption: says when the queries were sampled (fewer than T - 1). */
export function mixCaption(queries: number | undefined, tokens: number): string {
  const base = 'row entropy and mass off BOS and self';
  return queries !== undefined && queries < tokens - 1 ? `${base} · over ${queries} sampled queries` : base;
}

/** The short-prompt banner's text, or null when the result is informative. */
export function informativeBanner(r: AnalysisResult): string | null {
  if (r.summary.informative !== false && r.baseline.informative !== false) return null;
  return `${r.tokens.length} tokens: sink rates and phases are not informative below ${MIN_INFORMATIVE_TOKENS} tokens (a uniformly attending head already scores ${fmtChance(r.baseline.chanceSinkScore)}); no phase bands are drawn.`;
}

function fmtChance(v: number): string {
  return Number.isFinite(v) ? v.toFixed(2) : '–';
}
