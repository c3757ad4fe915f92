/**
 * Assembles the per-run result (RunMetrics, src/shared/result.ts) from one forward pass, compares
 * a baseline with an ablated run, and summarises a run in one line.
 *
 * Entropy paths: every layer's raw spectrum (BOS included, uncentred, Shannon) is always computed,
 * because the theorem's bounds and their check refer to it (`bounded` holds its p1 and H, the only
 * values a bound is shown beside); the user's options reuse it when they are the defaults.
 * entropyExclBos = Shannon, BOS excluded, the user's center/rowNormalize. Every BOS-excluded entropy
 * is normalised like the main curve, by log(min(T, d)) (not log(min(T-1, d))), so the curves share a scale.
 */
import type { AblationResult, EntropyOptions, ForwardLayerMetrics, LayerMetrics, LogitLensLayer, ResultSummary, RunMetrics, Warning } from '../../shared/result';
import { chanceSinkScore, headsAtChance, MIN_INFORMATIVE_TOKENS } from './chance';
import { boundsFromTerms, checkBounds, normTerms, type BoundRank } from './bounds';
import { layerEntropy, rawAndExclBosSpectra, spectrumEntropy, type EntropyResult } from './entropy';
import { lensLayers, topTokens, type LensInput } from './lens';
import { massiveActivations, recurringDims } from './massive';
import { bosRatio, medianOtherNorm, tokenNorms } from './norms';
import { detectPhases } from './phases';
import { headSinkScores, sinkRate, tokenSinkMass } from './sinks';
import { spikeBlocks } from './spike';
import type { FloatArray } from './types';
import { bosWrite, spikeWriter } from './writers';

export interface RunMetricsOptions {
  tau: number;
  includeFirstQuery: boolean;
  entropy: EntropyOptions;
  massiveTopK: number;
  lastTopK: number;
  /** How the theorem's r is counted (bounds.ts BoundRank); default 'numerical'. */
  boundRank?: BoundRank;
}

export interface RunMetricsInput {
  /** Hidden states h[0..L]: [L+1, T, d]. */
  hidden: FloatArray;
  /** Attention to key 0: [L, H, T]. */
  attnToBos: FloatArray;
  /** [vocab] */
  lastLogits: FloatArray;
  L: number;
  T: number;
  d: number;
  H: number;
  options: RunMetricsOptions;
  tokenText: (id: number) => string;
  /** Optional X^T X of every raw h[l]: [L+1, d, d] (used when T > d). */
  gram?: FloatArray;
  /** Optional X X^T of every raw h[l]: [L+1, T, T] (used when T <= d). */
  gramRows?: FloatArray;
  lens?: LensInput;
  /** In-graph mixing [L, H] each, over the query positions `queries` (runner.ts). */
  mixing?: { rowEntropy: FloatArray; otherMass: FloatArray; queries: readonly number[] };
  /** In-graph BOS writes [L, 3]: ||attn||, ||MLP||, attention's share of the BOS change. */
  bosWrites?: FloatArray;
  /** In-graph learned-sink share [L, H] (models with learned sinks). */
  sinkShare?: FloatArray;
}

const sameEntropy = (a: EntropyOptions, b: EntropyOptions): boolean =>
  a.alpha === b.alpha && a.excludeBos === b.excludeBos && a.center === b.center && a.rowNormalize === b.rowNormalize;

/**
 * raw: Shannon of the raw layer (for the bounds); ent: the user's options; excl: Shannon without
 * BOS with the user's center/rowNormalize. Without center/rowNormalize all three come from the two
 * spectra of one Gram (the Rényi order only changes the function of the spectrum).
 */
function layerEntropies(h: FloatArray, gram: FloatArray | undefined, T: number, d: number, o: EntropyOptions, gramRows?: FloatArray): { raw: EntropyResult; ent: EntropyResult; excl: EntropyResult } {
  const spectra = rawAndExclBosSpectra(h, T, d, gram, gramRows);
  const main = Math.min(T, d); // the main curve's normaliser, for the BOS-excluded entropies too
  const raw = spectrumEntropy(spectra.raw, 1, main, T);
  if (!o.center && !o.rowNormalize) {
    const excl = spectrumEntropy(spectra.excl, 1, main, Math.max(0, T - 1));
    const ent = o.excludeBos ? spectrumEntropy(spectra.excl, o.alpha, main, Math.max(0, T - 1)) : spectrumEntropy(spectra.raw, o.alpha, main, T);
    return { raw, ent, excl };
  }
  const ent = rescaled(layerEntropy(h, T, d, o, gram), main);
  const exclOpts: EntropyOptions = { ...o, alpha: 1, excludeBos: true };
  return { raw, ent, excl: sameEntropy(o, exclOpts) ? ent : rescaled(layerEntropy(h, T, d, exclOpts, gram), main) };
}

/** The same entropy normalised by log(normRank) (0 when normRank <= 1). */
function rescaled(e: EntropyResult, normRank: number): EntropyResult {
  return { ...e, entropy: normRank > 1 ? e.entropyRaw / Math.log(normRank) : 0 };
}

/** One layer's metrics and the theorem-bound violations found on it. */
export interface LayerOutcome {
  metrics: LayerMetrics;
  violations: ReturnType<typeof checkBounds>;
  /** h[l] (or its Gram) holds NaN/Inf: no spectral metrics (reported as a warning). */
  nonFinite: boolean;
}

/** The per-layer part of a run: independent across layers (the engine may spread it over worker threads). */
export type LayerInput = Pick<RunMetricsInput, 'hidden' | 'attnToBos' | 'L' | 'T' | 'd' | 'H' | 'options' | 'gram' | 'gramRows'>;

/** Layer l's metrics; `forward`: its forward metrics when the caller has them (the first paint computed them). */
export function computeLayer(input: LayerInput, l: number, forward?: ForwardLayerMetrics): LayerOutcome {
  const { T, d } = input;
  const h = input.hidden.subarray(l * T * d, (l + 1) * T * d); // [T, d]
  const gram = input.gram?.subarray(l * d * d, (l + 1) * d * d); // [d, d]
  const gramRows = input.gramRows?.subarray(l * T * T, (l + 1) * T * T); // [T, T]
  return layerMetrics(h, gram, l, input, gramRows, forward);
}

/** RunMetrics plus the warnings found on the way (bound violations are bugs: they must surface). */
export function computeRunMetricsChecked(input: RunMetricsInput): { run: RunMetrics; warnings: Warning[] } {
  const outcomes: LayerOutcome[] = [];
  for (let l = 0; l <= input.L; l++) outcomes.push(computeLayer(input, l));
  return assembleRun(input, outcomes);
}

/** The cross-layer part: lens, phases, spikes, recurring dims, last-position top-k. */
export function assembleRun(input: RunMetricsInput, outcomes: readonly LayerOutcome[]): { run: RunMetrics; warnings: Warning[] } {
  const { T, options } = input;
  const warnings: Warning[] = [];
  const lens = input.lens ? lensLayers(input.lens, T, input.tokenText) : new Map<number, LogitLensLayer>();
  const layers: LayerMetrics[] = [];
  outcomes.forEach(({ metrics, violations, nonFinite }, l) => {
    metrics.logitLens = lens.get(l) ?? null;
    if (nonFinite) {
      warnings.push({ code: 'nonFinite', message: `h[${l}] contains NaN or Inf values: its entropy and anisotropy are not defined (shown as missing).` });
    }
    for (const v of violations) {
      warnings.push({ code: 'boundViolated', message: `h[${l}]: measured ${v.quantity} ${v.measured} violates the theorem's bound ${v.bound}` });
    }
    layers.push(metrics);
  });
  attachMeasured(input, layers);
  const ratios = layers.map((m) => m.bosRatio);
  const spikes = spikeBlocks(ratios);
  const run: RunMetrics = {
    layers,
    phases: detectPhases({
      entropy: layers.map((m) => m.entropy),
      entropyExclBos: layers.map((m) => m.entropyExclBos),
      bosRatio: ratios,
      sinkRate: layers.map((m) => m.sinkRate),
      mixing: layers.map((m) => m.mixing),
      spikeBlocks: spikes,
      T,
    }),
    spikeBlocks: spikes,
    recurringDims: recurringDims(layers.map((m) => m.massive)),
    lastTopK: topTokens(input.lastLogits, options.lastTopK, input.tokenText),
    chanceSinkScore: chanceSinkScore(T, options.includeFirstQuery),
    informative: T >= MIN_INFORMATIVE_TOKENS,
    mixingQueries: input.mixing?.queries.length ?? 0,
    spikeWriter: spikeWriter(spikes, layers.map((m) => m.bosWrite)),
  };
  return { run, warnings };
}

/** Fills the in-graph quantities of every layer l >= 1 (block l - 1): mixing and the BOS writes. */
function attachMeasured(input: RunMetricsInput, layers: LayerMetrics[]): void {
  const { H, T } = input;
  const bosNorms = layers.map((m) => m.bosNorm);
  for (const m of layers) {
    const b = m.layer - 1;
    if (b < 0) continue;
    if (input.mixing && T > 1) {
      const rowEntropy = Array.from(input.mixing.rowEntropy.subarray(b * H, (b + 1) * H));
      const otherMass = Array.from(input.mixing.otherMass.subarray(b * H, (b + 1) * H));
      m.mixingHeads = { rowEntropy, otherMass };
      m.mixing = mean(rowEntropy);
      m.otherMass = mean(otherMass);
    }
    if (input.bosWrites) m.bosWrite = bosWrite(input.bosWrites, b, bosNorms);
    if (input.sinkShare) {
      m.learnedSinkHeads = Array.from(input.sinkShare.subarray(b * H, (b + 1) * H));
      m.learnedSinkShare = mean(m.learnedSinkHeads);
    }
  }
}

const mean = (xs: readonly number[]): number => (xs.length ? xs.reduce((a, x) => a + x, 0) / xs.length : 0);

export function computeRunMetrics(input: RunMetricsInput): RunMetrics {
  return computeRunMetricsChecked(input).run;
}

/**
 * The part of a layer's metrics that needs no spectrum (norms, BOS ratio, head sink scores, sink
 * rate, sink mass): O(T d + H T), cheap enough to send before the spectral metrics are done.
 */
export function forwardLayerMetrics(h: FloatArray, l: number, input: Pick<LayerInput, 'attnToBos' | 'T' | 'd' | 'H' | 'options'>): ForwardLayerMetrics {
  const { T, d, H, options } = input;
  const norms = tokenNorms(h, T, d);
  const scores = l > 0 ? headSinkScores(input.attnToBos, l - 1, H, T, options.includeFirstQuery) : null;
  return {
    layer: l,
    norms: Array.from(norms),
    bosNorm: T > 0 ? (norms[0] as number) : 0,
    medianOtherNorm: medianOtherNorm(norms),
    bosRatio: bosRatio(norms),
    headSinkScores: scores,
    sinkRate: scores ? sinkRate(scores, options.tau) : null,
    tokenSinkMass: l > 0 ? tokenSinkMass(input.attnToBos, l - 1, H, T) : null,
  };
}

/** Every layer's forward metrics and the spike blocks they imply (the first paint of a run). */
export function forwardRunMetrics(input: Pick<RunMetricsInput, 'hidden' | 'attnToBos' | 'L' | 'T' | 'd' | 'H' | 'options'>): { layers: ForwardLayerMetrics[]; spikeBlocks: number[] } {
  const { T, d } = input;
  const layers: ForwardLayerMetrics[] = [];
  for (let l = 0; l <= input.L; l++) layers.push(forwardLayerMetrics(input.hidden.subarray(l * T * d, (l + 1) * T * d), l, input));
  return { layers, spikeBlocks: spikeBlocks(layers.map((m) => m.bosRatio)) };
}

/**
 * One layer's metrics from its rows h [T, d] and the graph's Gram of it (either side, when supplied).
 * `forward`: the layer's forwardLayerMetrics when the caller computed them already (the first paint
 * does, on the main thread): the same values, not computed a second time.
 */
export function layerMetrics(
  h: FloatArray,
  gram: FloatArray | undefined,
  l: number,
  input: Omit<LayerInput, 'hidden' | 'gram' | 'gramRows'>,
  gramRows?: FloatArray,
  forward?: ForwardLayerMetrics,
): LayerOutcome {
  const { T, d, options } = input;
  const fwd = forward ?? forwardLayerMetrics(h, l, input);
  const terms = normTerms(h, T, d);
  // NaN/Inf in h (an overflowing model, a broken weight) has no spectrum: the entropies are null,
  // the bounds are not checked, and the run reports the layer instead of failing. h is finite
  // exactly when its norm terms are (normTerms), so it is not scanned a second time.
  const finite = Number.isFinite(terms.M + terms.R) && (gram === undefined || allFinite(gram)) && (gramRows === undefined || allFinite(gramRows));
  const spectral = finite ? layerEntropies(h, gram, T, d, options.entropy, gramRows) : null;
  const b = boundsFromTerms(terms, T, d, spectral?.raw.eigenvalues ?? [], options.boundRank ?? 'numerical');
  const violations = spectral ? checkBounds({ anisotropy: spectral.raw.anisotropy, entropy: spectral.raw.entropy }, b) : [];
  const metrics: LayerMetrics = {
    layer: l,
    norms: fwd.norms,
    bosNorm: fwd.bosNorm,
    medianOtherNorm: fwd.medianOtherNorm,
    bosRatio: fwd.bosRatio,
    entropy: spectral ? spectral.ent.entropy : null,
    entropyRaw: spectral ? spectral.ent.entropyRaw : null,
    entropyExclBos: spectral ? spectral.excl.entropy : null,
    anisotropy: spectral ? spectral.ent.anisotropy : null,
    bounded: { anisotropy: spectral ? spectral.raw.anisotropy : null, entropy: spectral ? spectral.raw.entropy : null },
    anisotropyLowerBound: b.p,
    entropyUpperBound: b.entropyUpperBound,
    bound: { M: b.M, R: b.R, c: b.c, a: b.a, r: b.r },
    massive: massiveActivations(h, T, d, options.massiveTopK),
    headSinkScores: fwd.headSinkScores,
    sinkRate: fwd.sinkRate,
    headsAtChance: fwd.headSinkScores ? headsAtChance(fwd.headSinkScores, chanceSinkScore(T, options.includeFirstQuery)) : null,
    tokenSinkMass: fwd.tokenSinkMass,
    mixing: null, // filled from the graph's reduction by assembleRun
    otherMass: null,
    mixingHeads: null,
    bosWrite: null,
    logitLens: null,
  };
  return { metrics, violations, nonFinite: !finite };
}

/**
 * No NaN or Inf in x: x * 0 is 0 for a finite x and NaN otherwise. Four independent sums keep the
 * adds from waiting on each other (~2x a Number.isFinite loop on a 1024 x 768 layer).
 */
export function allFinite(x: FloatArray): boolean {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  const n4 = x.length & ~3;
  for (let i = 0; i < n4; i += 4) {
    s0 += (x[i] as number) * 0;
    s1 += (x[i + 1] as number) * 0;
    s2 += (x[i + 2] as number) * 0;
    s3 += (x[i + 3] as number) * 0;
  }
  for (let i = n4; i < x.length; i++) s0 += (x[i] as number) * 0;
  return s0 + s1 + s2 + s3 === 0;
}

const maxOf = (xs: readonly (number | null)[]): number => xs.reduce<number>((m, x) => (x !== null && x > m ? x : m), 0);

/** Baseline vs ablated run: per-layer deltas (ablated - baseline) and whether spike, valley and sinks survive. */
export function compareRuns(base: RunMetrics, ablated: RunMetrics, blocks: readonly number[], target: 'mlp' | 'attn'): AblationResult {
  const delta = base.layers.map((b, i) => {
    const a = ablated.layers[i];
    if (!a) throw new Error(`compareRuns: ablated run lacks layer ${b.layer}`);
    const sr = a.sinkRate !== null && b.sinkRate !== null ? a.sinkRate - b.sinkRate : null;
    const entropy = a.entropy !== null && b.entropy !== null ? a.entropy - b.entropy : null;
    return { layer: b.layer, bosRatio: a.bosRatio - b.bosRatio, entropy, sinkRate: sr };
  });
  return {
    blocks: [...blocks],
    target,
    run: ablated,
    delta,
    effect: {
      spikeRemoved: base.spikeBlocks.length > 0 && ablated.spikeBlocks.length === 0,
      valleyRemoved: base.phases.valley && !ablated.phases.valley,
      sinkRateBefore: maxOf(base.layers.map((m) => m.sinkRate)),
      sinkRateAfter: maxOf(ablated.layers.map((m) => m.sinkRate)),
    },
  };
}

/**
 * One-line summary. meanSinkMass = mean over layers with attention (h[1..L]) of the mean sink mass
 * of queries 1..T-1 (query 0 always puts 1 on itself); 0 when T = 1.
 */
export function summarize(run: RunMetrics, T: number): ResultSummary {
  const perLayer = run.layers
    .map((m) => m.tokenSinkMass)
    .filter((m): m is number[] => m !== null && T > 1)
    .map((m) => m.slice(1, T).reduce((s, x) => s + x, 0) / (T - 1));
  const compress = run.phases.bands.find((b) => b.phase === 'compress');
  return {
    tokens: T,
    maxSinkRate: maxOf(run.layers.map((m) => m.sinkRate)),
    meanSinkMass: perLayer.length ? perLayer.reduce((s, x) => s + x, 0) / perLayer.length : 0,
    valley: run.phases.valley && compress ? { start: compress.start, end: compress.end } : null,
    spikeBlocks: [...run.spikeBlocks],
    maxBosRatio: maxOf(run.layers.map((m) => m.bosRatio)),
    chanceSinkScore: run.chanceSinkScore,
    informative: run.informative,
    valleyCause: run.phases.cause,
    spikeWriter: run.spikeWriter,
  };
}
