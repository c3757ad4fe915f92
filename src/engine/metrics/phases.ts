/**
 * Depth phases Mix -> Compress -> Refine (metrics.md "Depth phases"), a documented heuristic that
 * labels a band only with evidence.
 *
 * 0. Below MIN_INFORMATIVE_TOKENS (16) no bands are produced (`informative: false`).
 * 1. A valley: the entropy minimum is an interior layer whose depth, min(max entropy before it,
 *    max entropy after it) - min, is >= minDepth (0.1 of normalised entropy): the curve must fall
 *    AND recover. (sinklens-tiny's valleys at h[2] are >= 0.17 deep; stories260k's minima are at the
 *    last layer or recover by <= 0.05, as do sinklens-tiny's ablated runs.)
 * 2. Its band: the contiguous run around the minimum with entropy <= min + 0.25 (max - min), widened
 *    by contiguous neighbours with bosRatio >= 10 and sinkRate >= 0.5 (widening never creates a valley).
 * 3. Its cause, else no band: 'notBos' when the BOS-excluded entropy dips over the same band by
 *    >= minDepth as well ("valley not explained by BOS"); else 'bos' when a spike block writes a layer
 *    at or just before the minimum (h[start-1]..h[min]) and bosRatio at the minimum is >= 3.
 * Mixing (the measured attention-row entropy) moves no boundary: it is each band's `strength.mixing`
 * and a signal that says whether attention concentrates in Compress (lower than in Mix).
 */
import type { PhaseBand, PhaseName, Phases, PhaseStrength, ValleyCause } from '../../shared/result';
import { MIN_INFORMATIVE_TOKENS } from './chance';

export interface PhaseOptions {
  /** Fraction of the way from min to max that still counts as the valley (0.25). */
  band: number;
  /** Minimum dip depth in normalised entropy (0.1), for the valley and for the BOS-excluded dip. */
  minDepth: number;
  widenBosRatio: number;
  widenSinkRate: number;
  /** bosRatio the valley's minimum needs for a BOS cause (3). */
  minSpikeRatio: number;
  /** Fewer tokens than this: no phases (16). */
  minTokens: number;
}

export const DEFAULT_PHASES: PhaseOptions = { band: 0.25, minDepth: 0.1, widenBosRatio: 10, widenSinkRate: 0.5, minSpikeRatio: 3, minTokens: MIN_INFORMATIVE_TOKENS };

/** Per layer h[0..L] (null where unknown, e.g. attention statistics of h[0]). */
export interface PhaseInput {
  /** Per layer; null where h[l] holds NaN/Inf (then no phases are claimed). */
  entropy: readonly (number | null)[];
  entropyExclBos: readonly (number | null)[];
  bosRatio: readonly number[];
  sinkRate: readonly (number | null)[];
  mixing: readonly (number | null)[];
  /** Block indices of the BOS spike (spike.ts); block b writes h[b+1]. */
  spikeBlocks: readonly number[];
  T: number;
}

export const CAUSE_LABEL: Record<ValleyCause, string> = { bos: 'BOS spike', notBos: 'valley not explained by BOS' };

const fmt = (x: number): string => x.toFixed(3);
const maxIn = (xs: readonly number[], from: number, to: number): number => Math.max(-Infinity, ...xs.slice(from, to + 1));
const meanOf = (xs: readonly (number | null)[]): number | null => {
  const v = xs.filter((x): x is number => x !== null && Number.isFinite(x));
  return v.length ? v.reduce((a, b) => a + b, 0) / v.length : null;
};

/** Depth of the dip of `curve` over [start, end]: min(fall before it, recovery after it), >= 0; 0 at an end. */
export function dipDepth(curve: readonly number[], start: number, end: number): number {
  if (start <= 0 || end >= curve.length - 1) return 0;
  const min = Math.min(...curve.slice(start, end + 1));
  return Math.max(0, Math.min(maxIn(curve, 0, start - 1) - min, maxIn(curve, end + 1, curve.length - 1) - min));
}

export function detectPhases(input: PhaseInput, opts: PhaseOptions = DEFAULT_PHASES): Phases {
  const missing = input.entropy.flatMap((e, l) => (e === null ? [l] : []));
  if (missing.length) {
    // A layer without entropy (NaN/Inf hidden states) leaves the curve's shape unknown: no valley is claimed.
    const known = input.entropy.filter((e): e is number => e !== null);
    const min = known.length ? Math.min(...known) : 0;
    const max = known.length ? Math.max(...known) : 0;
    const minLayer = Math.max(0, input.entropy.indexOf(min));
    const signals = [`no entropy at h[${missing.join('], h[')}] (NaN/Inf hidden states): phases not detected`];
    return { minLayer, minEntropy: min, maxEntropy: max, threshold: min + opts.band * (max - min), informative: false, valley: false, cause: null, causeLabel: null, bands: [], widenedBy: [], signals };
  }
  const entropy = input.entropy as readonly number[];
  const last = entropy.length - 1;
  let minLayer = 0;
  for (let l = 1; l <= last; l++) if ((entropy[l] as number) < (entropy[minLayer] as number)) minLayer = l;
  const minEntropy = last >= 0 ? (entropy[minLayer] as number) : 0;
  const maxEntropy = last >= 0 ? Math.max(...entropy) : 0;
  const threshold = minEntropy + opts.band * (maxEntropy - minEntropy);
  const informative = input.T >= opts.minTokens;
  const none = (signals: string[]): Phases => ({ minLayer, minEntropy, maxEntropy, threshold, informative, valley: false, cause: null, causeLabel: null, bands: [], widenedBy: [], signals });
  if (!informative) return none([`phases not informative: ${input.T} tokens < ${opts.minTokens} (sink scores of a uniform head are near tau; no bands)`]);
  const reason = noValleyReason(entropy, minLayer, opts.minDepth);
  if (reason) return none([reason]);

  let start = minLayer;
  let end = minLayer;
  while (start > 0 && (entropy[start - 1] as number) <= threshold) start--;
  while (end < last && (entropy[end + 1] as number) <= threshold) end++;
  const signals = [`entropy minimum ${fmt(minEntropy)} at h[${minLayer}]; h[${start}]..h[${end}] stay within ${opts.band * 100}% of the range (<= ${fmt(threshold)})`];
  const widenedBy: number[] = [];
  const sinky = (l: number): boolean => (input.bosRatio[l] ?? 0) >= opts.widenBosRatio && (input.sinkRate[l] ?? -1) >= opts.widenSinkRate;
  while (start > 0 && sinky(start - 1)) widenedBy.push(--start);
  while (end < last && sinky(end + 1)) widenedBy.push(++end);
  widenedBy.sort((a, b) => a - b);
  if (widenedBy.length) signals.push(`widened by h[${widenedBy.join('], h[')}]: bosRatio >= ${opts.widenBosRatio} and sinkRate >= ${opts.widenSinkRate}`);

  const depth = dipDepth(entropy, minLayer, minLayer);
  const found = valleyCause(input, opts, start, end, minLayer);
  signals.push(found.why);
  if (!found.cause) return { ...none(signals), widenedBy };
  const cause = found.cause;

  const band = (phase: PhaseName, s: number, e: number, evidence: string[]): PhaseBand => ({ phase, start: s, end: e, evidence, strength: strength(input, s, e, phase === 'compress' ? depth : null) });
  const bands: PhaseBand[] = [];
  if (start > 0) bands.push(band('mix', 0, start - 1, [`entropy above the valley threshold ${fmt(threshold)} before h[${start}]`]));
  bands.push(band('compress', start, end, [`valley depth ${fmt(depth)} (>= ${opts.minDepth}) at h[${minLayer}]`, found.why]));
  if (end < last) bands.push(band('refine', end + 1, last, [`entropy recovers to ${fmt(maxIn(entropy, end + 1, last))} after h[${end}]`]));
  if (start > 0) signals.push(`Mix h[0]..h[${start - 1}]: entropy above the valley threshold before it`);
  if (end < last) signals.push(`Refine h[${end + 1}]..h[${last}]: entropy recovers to ${fmt(maxIn(entropy, end + 1, last))}`);
  const mixSignal = mixingSignal(bands);
  if (mixSignal) signals.push(mixSignal);
  return { minLayer, minEntropy, maxEntropy, threshold, informative, valley: true, cause, causeLabel: CAUSE_LABEL[cause], bands, widenedBy, signals };
}

/** The valley's cause (see the header), with the sentence that says why. */
function valleyCause(input: PhaseInput, opts: PhaseOptions, start: number, end: number, minLayer: number): { cause: ValleyCause | null; why: string } {
  const exclDepth = dipDepth(input.entropyExclBos.map((e) => e ?? NaN), start, end);
  if (exclDepth >= opts.minDepth) {
    return { cause: 'notBos', why: `valley not explained by BOS: the BOS-excluded entropy dips by ${fmt(exclDepth)} over h[${start}]..h[${end}] as well` };
  }
  const spikeAt = input.spikeBlocks.map((b) => b + 1).filter((l) => l >= start - 1 && l <= minLayer);
  const ratio = input.bosRatio[minLayer] ?? 0;
  if (spikeAt.length && ratio >= opts.minSpikeRatio) {
    return { cause: 'bos', why: `BOS spike at h[${spikeAt.join('], h[')}] (bosRatio ${fmt(ratio)} at the minimum); the BOS-excluded entropy dips only ${fmt(exclDepth)}` };
  }
  const spike = input.spikeBlocks.length ? `the spike at h[${input.spikeBlocks[0]! + 1}] is not at or just before h[${minLayer}]` : 'no BOS spike';
  const weak = ratio < opts.minSpikeRatio ? `, bosRatio ${fmt(ratio)} < ${opts.minSpikeRatio} at the minimum` : '';
  return { cause: null, why: `no phases: a dip at h[${minLayer}] without a cause (${spike}${weak}; the BOS-excluded entropy dips only ${fmt(exclDepth)})` };
}

function strength(input: PhaseInput, s: number, e: number, valleyDepth: number | null): PhaseStrength {
  return {
    valleyDepth,
    bosRatio: maxIn(input.bosRatio, s, e),
    sinkRate: meanOf(input.sinkRate.slice(s, e + 1)),
    mixing: meanOf(input.mixing.slice(s, e + 1)),
  };
}

/** "mixing Mix 0.81 -> Compress 0.35 -> Refine 0.77 (attention concentrates in Compress)". */
function mixingSignal(bands: readonly PhaseBand[]): string | null {
  const shown = bands.filter((b) => b.strength.mixing !== null);
  if (!shown.length) return null;
  const mix = bands.find((b) => b.phase === 'mix')?.strength.mixing ?? null;
  const comp = bands.find((b) => b.phase === 'compress')?.strength.mixing ?? null;
  const verdict = mix !== null && comp !== null ? (comp < mix ? ' (attention concentrates in Compress)' : ' (attention does not concentrate in Compress)') : '';
  return `mixing (mean attention-row entropy) ${shown.map((b) => `${b.phase} ${fmt(b.strength.mixing as number)}`).join(' -> ')}${verdict}`;
}

/** Why there is no valley, in words; null when the minimum is a real dip. */
function noValleyReason(entropy: readonly number[], minLayer: number, minDepth: number): string | null {
  const last = entropy.length - 1;
  if (last < 2) return `no valley: only ${entropy.length} layer(s)`;
  const at = `entropy minimum ${fmt(entropy[minLayer] as number)} at h[${minLayer}]`;
  if (minLayer === 0 || minLayer === last) return `no valley: ${at} is at the ${minLayer === 0 ? 'first' : 'last'} layer`;
  const min = entropy[minLayer] as number;
  const before = maxIn(entropy, 0, minLayer - 1) - min;
  const after = maxIn(entropy, minLayer + 1, last) - min;
  const depth = Math.min(before, after);
  if (depth < minDepth) return `no valley: ${at} dips by only ${fmt(depth)} (falls ${fmt(before)}, recovers ${fmt(after)}; needs ${minDepth})`;
  return null;
}
