/**
 * Depth phases Mix -> Compress -> Refine (metrics.md "Depth phases"), a documented heuristic.
 *
 * A layer "qualifies" (there is a valley) only when the entropy minimum is a real dip:
 *  1. it is an interior layer (not h[0], not h[L]): a curve that ends at its minimum is still
 *     compressing, not a valley; and
 *  2. its depth, min(max entropy before it, max entropy after it) - min, is >= minDepth (0.1 of
 *     normalised entropy): the curve must fall AND recover.
 * Chosen on the fixtures: sinklens-tiny's valleys at h[2] have depth >= 0.17; stories260k's minima
 * are at the last layer or recover by <= 0.05 (no valley), as do sinklens-tiny's ablated runs.
 * Then Compress = the contiguous run around the minimum with entropy <= min + 0.25 (max - min),
 * widened by the contiguous neighbours with bosRatio >= 10 and sinkRate >= 0.5. The widening only
 * extends a valley; it does not create one. With no valley, `bands` is empty.
 */
import type { PhaseBand, Phases } from '../../shared/result';

export interface PhaseOptions {
  /** Fraction of the way from min to max that still counts as the valley (0.25). */
  band: number;
  /** Minimum dip depth in normalised entropy (0.1). */
  minDepth: number;
  widenBosRatio: number;
  widenSinkRate: number;
}

export const DEFAULT_PHASES: PhaseOptions = { band: 0.25, minDepth: 0.1, widenBosRatio: 10, widenSinkRate: 0.5 };

const fmt = (x: number): string => x.toFixed(3);

/** entropy, bosRatio, sinkRate are per layer h[0..L] (sinkRate null where unknown, e.g. h[0]). */
export function detectPhases(
  entropyOrNull: readonly (number | null)[],
  bosRatio: readonly number[],
  sinkRate: readonly (number | null)[],
  opts: PhaseOptions = DEFAULT_PHASES,
): Phases {
  const missing = entropyOrNull.flatMap((e, l) => (e === null ? [l] : []));
  if (missing.length) {
    // A layer without entropy (NaN/Inf hidden states) leaves the curve's shape unknown: no valley is claimed.
    const known = entropyOrNull.filter((e): e is number => e !== null);
    const min = known.length ? Math.min(...known) : 0;
    const max = known.length ? Math.max(...known) : 0;
    const minLayer = Math.max(0, entropyOrNull.indexOf(min));
    return { minLayer, minEntropy: min, maxEntropy: max, threshold: min + opts.band * (max - min), valley: false, bands: [], widenedBy: [], signals: [`no entropy at h[${missing.join('], h[')}] (NaN/Inf hidden states): phases not detected`] };
  }
  const entropy = entropyOrNull as readonly number[];
  const last = entropy.length - 1;
  let minLayer = 0;
  for (let l = 1; l <= last; l++) if ((entropy[l] as number) < (entropy[minLayer] as number)) minLayer = l;
  const minEntropy = last >= 0 ? (entropy[minLayer] as number) : 0;
  const maxEntropy = last >= 0 ? Math.max(...entropy) : 0;
  const threshold = minEntropy + opts.band * (maxEntropy - minEntropy);
  const base = { minLayer, minEntropy, maxEntropy, threshold };
  const reason = noValleyReason(entropy, minLayer, opts.minDepth);
  if (reason) return { ...base, valley: false, bands: [], widenedBy: [], signals: [reason] };

  let start = minLayer;
  let end = minLayer;
  while (start > 0 && (entropy[start - 1] as number) <= threshold) start--;
  while (end < last && (entropy[end + 1] as number) <= threshold) end++;
  const signals = [`entropy minimum ${fmt(minEntropy)} at h[${minLayer}]; h[${start}]..h[${end}] stay within ${opts.band * 100}% of the range (<= ${fmt(threshold)})`];
  const widenedBy: number[] = [];
  const sinky = (l: number): boolean => (bosRatio[l] ?? 0) >= opts.widenBosRatio && (sinkRate[l] ?? -1) >= opts.widenSinkRate;
  while (start > 0 && sinky(start - 1)) widenedBy.push(--start);
  while (end < last && sinky(end + 1)) widenedBy.push(++end);
  if (widenedBy.length) {
    const ls = [...widenedBy].sort((a, b) => a - b);
    signals.push(`widened by h[${ls.join('], h[')}]: bosRatio >= ${opts.widenBosRatio} and sinkRate >= ${opts.widenSinkRate}`);
  }
  const bands: PhaseBand[] = [];
  if (start > 0) bands.push({ phase: 'mix', start: 0, end: start - 1 });
  bands.push({ phase: 'compress', start, end });
  if (end < last) bands.push({ phase: 'refine', start: end + 1, end: last });
  if (start > 0) signals.push(`Mix h[0]..h[${start - 1}]: entropy above the valley threshold before it`);
  if (end < last) signals.push(`Refine h[${end + 1}]..h[${last}]: entropy recovers to ${fmt(Math.max(...entropy.slice(end + 1)))}`);
  return { ...base, valley: true, bands, widenedBy: widenedBy.sort((a, b) => a - b), signals };
}

/** Why there is no valley, in words; null when the minimum is a real dip. */
function noValleyReason(entropy: readonly number[], minLayer: number, minDepth: number): string | null {
  const last = entropy.length - 1;
  if (last < 2) return `no valley: only ${entropy.length} layer(s)`;
  const at = `entropy minimum ${fmt(entropy[minLayer] as number)} at h[${minLayer}]`;
  if (minLayer === 0 || minLayer === last) return `no valley: ${at} is at the ${minLayer === 0 ? 'first' : 'last'} layer`;
  const min = entropy[minLayer] as number;
  const before = Math.max(...entropy.slice(0, minLayer)) - min;
  const after = Math.max(...entropy.slice(minLayer + 1)) - min;
  const depth = Math.min(before, after);
  if (depth < minDepth) return `no valley: ${at} dips by only ${fmt(depth)} (falls ${fmt(before)}, recovers ${fmt(after)}; needs ${minDepth})`;
  return null;
}
