/** Chart series extracted from a run: one value per layer (index = layer), null where undefined. */
import type { EntropyOptions, LayerMetrics, RunMetrics } from '../../shared/result';

export interface LayerSeries {
  layers: number[];
  bosRatio: (number | null)[];
  /** The raw layer's normalised Shannon entropy: the only entropy the upper bound is drawn beside. */
  boundedEntropy: (number | null)[];
  /** The entropy with the user's options (equal to boundedEntropy under the default options). */
  entropy: (number | null)[];
  entropyExclBos: (number | null)[];
  entropyUpperBound: (number | null)[];
  sinkRate: (number | null)[];
  /** Measured mixing (mean normalised attention-row entropy) and the mass on keys other than BOS and self. */
  mixing: (number | null)[];
  otherMass: (number | null)[];
  /** Shares of the BOS norm change written by attention and by the MLP of the block writing each layer. */
  attnShare: (number | null)[];
  mlpShare: (number | null)[];
  /** Learned sinks (gpt-oss): the mean share of attention the sink logits absorb; null for models without them. */
  learnedSink: (number | null)[] | null;
}

/** A log axis cannot show values <= 0; those points become gaps instead of breaking the scale. */
const positive = (v: number | null): number | null => (v !== null && Number.isFinite(v) && v > 0 ? v : null);
const finite = (v: number | null | undefined): number | null => (v !== null && v !== undefined && Number.isFinite(v) ? v : null);

/** Results from before the bounded pair existed fall back to the variant (then the default options). */
const boundedEntropyOf = (l: LayerMetrics): number | null => finite(l.bounded ? l.bounded.entropy : l.entropy);

export function layerSeries(run: RunMetrics): LayerSeries {
  const ls = [...run.layers].sort((a, b) => a.layer - b.layer);
  return {
    layers: ls.map((l) => l.layer),
    bosRatio: ls.map((l) => positive(l.bosRatio)),
    boundedEntropy: ls.map(boundedEntropyOf),
    entropy: ls.map((l) => finite(l.entropy)),
    entropyExclBos: ls.map((l) => finite(l.entropyExclBos)),
    entropyUpperBound: ls.map((l) => finite(l.entropyUpperBound)),
    sinkRate: ls.map((l) => finite(l.sinkRate)),
    mixing: ls.map((l) => finite(l.mixing)),
    otherMass: ls.map((l) => finite(l.otherMass)),
    attnShare: ls.map((l) => finite(l.bosWrite?.attnShare)),
    mlpShare: ls.map((l) => finite(l.bosWrite?.mlpShare)),
    learnedSink: ls.some((l) => finite(l.learnedSinkShare) !== null) ? ls.map((l) => finite(l.learnedSinkShare)) : null,
  };
}

/** True under the default entropy options (Shannon, BOS included, uncentred, rows as they are). */
export function isDefaultEntropy(o: EntropyOptions): boolean {
  return o.alpha === 1 && !o.excludeBos && !o.center && !o.rowNormalize;
}

/** The variant's legend label: the options that differ from the default, e.g. `variant (α = 0.5, excl. BOS)`. */
export function variantLabel(o: EntropyOptions): string {
  const parts = [o.alpha !== 1 ? `α = ${o.alpha}` : null, o.excludeBos ? 'excl. BOS' : null, o.center ? 'centred' : null, o.rowNormalize ? 'rows normalised' : null];
  return `variant (${parts.filter((p) => p !== null).join(', ')})`;
}

/** Pairs layers with values as chart points, skipping gaps (chart.js draws them as breaks with spanGaps off). */
export function points(layers: readonly number[], values: readonly (number | null)[]): { x: number; y: number | null }[] {
  return layers.map((x, i) => ({ x, y: values[i] ?? null }));
}

/** Log-axis bounds that keep 1 (no BOS excess) visible and pad a little around the data. */
export function logBounds(values: readonly (number | null)[]): { min: number; max: number } {
  const vs = values.filter((v): v is number => v !== null && v > 0);
  const lo = Math.min(1, ...vs);
  const hi = Math.max(1, ...vs);
  return { min: 10 ** Math.floor(Math.log10(lo) - 0.05), max: 10 ** Math.ceil(Math.log10(hi) + 0.05) };
}
