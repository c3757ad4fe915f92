/**
 * How far one run's headline metrics are from a reference run's (the same prompt under another weight
 * precision, say): max over layers of |run - ref| per metric, the BOS ratio relative to the reference.
 * Used for the precision accuracy table (docs/PERFORMANCE.md), its test tolerances and the benchmark. Pure.
 */
import type { RunMetrics } from '../../shared/result';

export interface Deviation {
  bosRatio: number;
  entropy: number;
  sinkRate: number;
  anisotropy: number;
  lowerBound: number;
  upperBound: number;
}

export const DEVIATION_KEYS: readonly (keyof Deviation)[] = ['bosRatio', 'entropy', 'sinkRate', 'anisotropy', 'lowerBound', 'upperBound'];

/** A metric present in one run and absent (null) in the other counts as an infinite deviation. */
function absDiff(a: number | null, b: number | null): number {
  if (a === null || b === null) return a === b ? 0 : Number.POSITIVE_INFINITY;
  return Math.abs(a - b);
}

export function deviation(run: RunMetrics, ref: RunMetrics): Deviation {
  const d: Deviation = { bosRatio: 0, entropy: 0, sinkRate: 0, anisotropy: 0, lowerBound: 0, upperBound: 0 };
  ref.layers.forEach((r, i) => {
    const l = run.layers[i];
    if (!l) throw new Error(`deviation: layer ${i} missing`);
    d.bosRatio = Math.max(d.bosRatio, Math.abs(l.bosRatio - r.bosRatio) / Math.abs(r.bosRatio));
    d.entropy = Math.max(d.entropy, absDiff(l.entropy, r.entropy));
    d.sinkRate = Math.max(d.sinkRate, absDiff(l.sinkRate, r.sinkRate));
    d.anisotropy = Math.max(d.anisotropy, absDiff(l.anisotropy, r.anisotropy));
    d.lowerBound = Math.max(d.lowerBound, Math.abs(l.anisotropyLowerBound - r.anisotropyLowerBound));
    d.upperBound = Math.max(d.upperBound, absDiff(l.entropyUpperBound, r.entropyUpperBound));
  });
  return d;
}

export function maxDeviation(a: Deviation, b: Deviation): Deviation {
  const out = { ...a };
  for (const k of DEVIATION_KEYS) out[k] = Math.max(a[k], b[k]);
  return out;
}
