/**
 * settings.notes: every non-obvious choice in force for one analysis, in words, one line each (the
 * CLI prints them under the table; the panel can list them). Pure.
 */
import type { EntropyOptions, RunMetrics } from '../shared/result';
import { CHANCE_FACTOR, MIN_INFORMATIVE_TOKENS } from './metrics/chance';
import { MASSIVE_ABSOLUTE, MASSIVE_RELATIVE } from './metrics/massive';
import { DEFAULT_PHASES } from './metrics/phases';
import { SPIKE_FACTOR } from './metrics/spike';
import type { CanonicalConfig } from './arch/types';
import type { ResolvedOptions } from './options';

/** Whether the entropy options differ from the theorem's matrix (BOS included, uncentred, Shannon, raw rows). */
export function isEntropyVariant(e: EntropyOptions): boolean {
  return e.alpha !== 1 || e.excludeBos || e.center || e.rowNormalize;
}

/** The variant in a few words, e.g. "Rényi α=2, BOS excluded, centred". */
export function variantLabel(e: EntropyOptions): string {
  const parts: string[] = [];
  if (e.alpha !== 1) parts.push(`Rényi α=${e.alpha}`);
  if (e.excludeBos) parts.push('BOS excluded');
  if (e.center) parts.push('centred');
  if (e.rowNormalize) parts.push('unit-norm rows');
  return parts.join(', ');
}

export function settingsNotes(
  o: ResolvedOptions,
  enc: { bosPrepended: boolean; truncated: boolean; ids: readonly number[] },
  model: { config: { maxPositions: number; bosTokenId: number | null } & ArchNoteFields },
  maxTokens: number,
  run: RunMetrics,
): string[] {
  const T = enc.ids.length;
  const p = DEFAULT_PHASES;
  const notes: string[] = [];
  if (isEntropyVariant(o.entropy)) {
    notes.push(`Entropy variant: ${variantLabel(o.entropy)}. The theorem's bounds are about the raw layer (BOS included, uncentred, Shannon): they are shown only beside that layer's own p1 and H; the variant is a separate column.`);
    if (o.entropy.excludeBos) notes.push('With BOS excluded the theorem does not apply (it bounds the matrix whose first row is BOS).');
    if (o.entropy.alpha !== 1) notes.push(`Rényi entropy of order ${o.entropy.alpha} (default: Shannon); the theorem bounds Shannon entropy.`);
  }
  notes.push('r in the entropy bound = min(T, d), the generic rank (the literal count of non-zero singular values is tighter only on rank-deficient layers).');
  notes.push(`Entropy normalised by log(min(T, d)); the BOS-excluded entropies use the same normaliser, so the curves share a scale.`);
  notes.push(o.includeFirstQuery ? 'Head sink scores include query 0 (Gu et al. 2024), which can only attend to itself.' : 'Head sink scores exclude query 0 (it can only attend to itself).');
  notes.push(
    enc.bosPrepended
      ? `BOS policy ${o.prependBos}: BOS (id ${model.config.bosTokenId ?? '?'}) at position 0.`
      : `BOS policy ${o.prependBos}: no BOS token; position 0 is the first prompt token and sink scores measure attention to it.`,
  );
  if (enc.truncated) notes.push(`Prompt truncated to ${maxTokens} tokens${o.maxTokens !== 'auto' && maxTokens < o.maxTokens ? ` (the model's ${model.config.maxPositions} positions)` : ' (maxTokens)'}.`);
  notes.push(
    `Chance level: a uniformly attending causal head scores u(T) = ${run.chanceSinkScore.toFixed(3)} at T = ${T}; heads within a factor ${CHANCE_FACTOR} of it are marked at chance. Below ${MIN_INFORMATIVE_TOKENS} tokens sink rates and phases are not informative and no phase bands are produced.`,
  );
  notes.push(
    `Phases (a heuristic): a valley is an inner entropy minimum that falls and recovers by >= ${p.minDepth}; Compress = layers within ${p.band * 100}% of min→max, widened by bosRatio >= ${p.widenBosRatio} and sinkRate >= ${p.widenSinkRate}; it needs a cause: a BOS spike (bosRatio jump > ${SPIKE_FACTOR}x, ratio >= ${p.minSpikeRatio} at the minimum) at or just before it, or, when the BOS-excluded entropy dips by >= ${p.minDepth} too, the label "valley not explained by BOS".`,
  );
  notes.push(
    run.mixingQueries < T - 1
      ? `Mixing: mean over ${run.mixingQueries} evenly spaced queries of 1..${T - 1} (row entropy / log(i+1); mass off BOS and self).`
      : 'Mixing: mean over every query 1..T-1 (row entropy / log(i+1); mass off BOS and self).',
  );
  notes.push(`Recurring dims: only top scalars passing a massive test (> ${MASSIVE_RELATIVE}x the layer median |h|; "absolute" when also > ${MASSIVE_ABSOLUTE}), ranked by magnitude.`);
  notes.push("Spike writer: each block's attention and MLP writes at BOS and their shares <w, a+m>/||a+m||² of the BOS change; the spike's component is the larger share.");
  notes.push(...archNotes(model.config, T));
  return notes;
}

/** The canonical fields the architecture notes read (gpt-oss: learned sinks, sliding windows, experts). */
type ArchNoteFields = Partial<Pick<CanonicalConfig, 'attnSinks' | 'layerWindows' | 'moe'>>;

/** What an architecture changes about the readings: learned sinks, sliding windows, a mixture of experts. */
export function archNotes(c: ArchNoteFields, T: number): string[] {
  const notes: string[] = [];
  if (c.attnSinks) {
    notes.push("Learned sinks: each head's learned sink logit takes a share of every attention row (the \"learned sink\" share: mean over queries i >= 1); sink scores stay the attention to BOS, the first real token, out of what the learned sink leaves.");
  }
  const windowed = (c.layerWindows ?? []).flatMap((w, b) => (w !== null ? [{ b, w }] : []));
  if (windowed.length) {
    const W = Math.min(...windowed.map((x) => x.w));
    const blocks = windowed.length === c.layerWindows?.length ? 'every block' : `${windowed.length} of ${c.layerWindows?.length} blocks (${windowed.slice(0, 4).map((x) => x.b).join(', ')}${windowed.length > 4 ? ', …' : ''})`;
    notes.push(`Sliding windows: ${blocks} see only the last ${W} keys; ${T > W ? `queries i >= ${W} there cannot attend BOS, so their sink scores fall with T by construction` : `this prompt (${T} tokens) fits inside the window`}.`);
  }
  if (c.moe) notes.push(`Mixture of experts: ${c.moe.numExperts} experts, top-${c.moe.topK} per token (softmax over the top-${c.moe.topK} router logits); each expert runs only on its tokens.`);
  return notes;
}
