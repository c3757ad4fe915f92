/**
 * The panel's first paint: a running analysis's forward metrics (PartialResult) and the layers'
 * entropy figures received so far, shaped as an AnalysisResult so the token strip and the per-layer
 * charts draw them with the same code as a final result. What is not known yet stays empty: no
 * bounds (they are drawn only beside the final result's raw-layer entropy), no phases, no mixing,
 * no ablation. The final result replaces it.
 */
import type { AnalysisResult, LayerMetrics, PartialResult, SpectralLayerMetrics } from '../../shared/result';

const provisional = new WeakSet<AnalysisResult>();

/** True for a result built by `provisionalResult` (the charts say "computing…"). */
export function isProvisional(r: AnalysisResult): boolean {
  return provisional.has(r);
}

function layerOf(f: PartialResult['layers'][number], s: SpectralLayerMetrics | undefined): LayerMetrics {
  const entropy = s?.entropy ?? null;
  return {
    ...f,
    entropy,
    entropyRaw: s?.entropyRaw ?? null,
    entropyExclBos: s?.entropyExclBos ?? null,
    anisotropy: s?.anisotropy ?? null,
    // Shown as the one entropy curve while computing; the bound waits for the final result's raw-layer values.
    bounded: { anisotropy: null, entropy },
    anisotropyLowerBound: NaN,
    entropyUpperBound: null,
    bound: { M: NaN, R: NaN, c: NaN, a: NaN, r: NaN },
    massive: { top: [], maxAbs: NaN, medianAbs: NaN, relative: NaN, absoluteCount: 0, relativeCount: 0 },
    headsAtChance: null,
    mixing: null,
    otherMass: null,
    mixingHeads: null,
    bosWrite: null,
    logitLens: null,
  };
}

export function provisionalResult(p: PartialResult, spectra: readonly SpectralLayerMetrics[]): AnalysisResult {
  const byLayer = new Map(spectra.map((s) => [s.layer, s]));
  const layers = p.layers.map((f) => layerOf(f, byLayer.get(f.layer)));
  const sinkRates = layers.map((l) => l.sinkRate).filter((v): v is number => v !== null && Number.isFinite(v));
  const r: AnalysisResult = {
    schemaVersion: p.schemaVersion,
    createdAt: '',
    input: { text: '', sha256: p.input.sha256 },
    tokens: p.tokens,
    model: p.model,
    settings: {
      prependBos: 'auto',
      chatTemplate: 'none',
      bosPrepended: p.tokens[0]?.special === true,
      bosTokenId: p.model.bosTokenId,
      maxTokens: p.tokens.length,
      truncated: false,
      tau: NaN,
      includeFirstQuery: false,
      entropy: { alpha: 1, excludeBos: false, center: false, rowNormalize: false },
      ablate: null,
      ablateTarget: 'mlp',
      massiveTopK: 0,
      logitLensTopK: 0,
      threads: 0,
      notes: [],
    },
    baseline: {
      layers,
      phases: { valley: false, informative: true, cause: null, causeLabel: null, bands: [], minLayer: 0, minEntropy: NaN, maxEntropy: NaN, threshold: NaN, widenedBy: [], signals: [] },
      spikeBlocks: p.spikeBlocks,
      recurringDims: [],
      chanceSinkScore: NaN,
      informative: true,
      mixingQueries: 0,
      spikeWriter: null,
      lastTopK: [],
    },
    ablation: null,
    summary: {
      tokens: p.tokens.length,
      maxSinkRate: sinkRates.length ? Math.max(...sinkRates) : NaN,
      meanSinkMass: NaN,
      valley: null,
      spikeBlocks: p.spikeBlocks,
      maxBosRatio: NaN,
      chanceSinkScore: NaN,
      informative: true,
      valleyCause: null,
      spikeWriter: null,
    },
    warnings: [],
    timings: { loadMs: NaN, tokenizeMs: NaN, runMs: p.runMs, metricsMs: NaN, totalMs: NaN },
  };
  provisional.add(r);
  return r;
}
