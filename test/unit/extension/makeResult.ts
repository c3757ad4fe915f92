/** Builds a schema-complete AnalysisResult from a few chosen numbers, as input for the pure extension modules. */
import type { AnalysisResult, LayerMetrics, TokenInfo } from '../../../src/shared/result';

export function makeResult(opts: {
  text: string;
  tokens: Omit<TokenInfo, 'index' | 'id' | 'special'>[];
  /** Per layer 1..L: tokenSinkMass (layer 0 always has none). */
  mass: number[][];
  summary?: Partial<AnalysisResult['summary']>;
}): AnalysisResult {
  const T = opts.tokens.length;
  const layer = (l: number, mass: number[] | null): LayerMetrics => ({
    layer: l,
    norms: new Array(T).fill(1),
    bosNorm: 1,
    medianOtherNorm: 1,
    bosRatio: 1,
    entropy: 0.5,
    entropyRaw: 1,
    entropyExclBos: 0.5,
    anisotropy: 0.5,
    bounded: { anisotropy: 0.5, entropy: 0.5 },
    anisotropyLowerBound: 0.1,
    entropyUpperBound: null,
    bound: { M: 1, R: 1, c: 1, a: 0, r: 1 },
    massive: { top: [], maxAbs: 1, medianAbs: 1, relative: 1, absoluteCount: 0, relativeCount: 0 },
    headSinkScores: mass === null ? null : [0.5],
    sinkRate: mass === null ? null : 1,
    headsAtChance: mass === null ? null : [],
    tokenSinkMass: mass,
    mixing: null,
    otherMass: null,
    mixingHeads: null,
    bosWrite: null,
    logitLens: null,
  });
  return {
    schemaVersion: 2,
    createdAt: '2026-01-01T00:00:00.000Z',
    input: { text: opts.text, sha256: '0'.repeat(64) },
    tokens: opts.tokens.map((t, i) => ({ ...t, index: i, id: i, special: t.start === t.end })),
    model: {
      name: 'tiny', dir: '/m', arch: 'llama', modelType: 'llama', layers: opts.mass.length, heads: 2, kvHeads: 2, hiddenSize: 8,
      headDim: 4, vocabSize: 10, maxPositions: 64, dtype: 'F32', params: 100, bosTokenId: 1, files: [],
    },
    settings: {
      prependBos: 'auto', chatTemplate: 'none', bosPrepended: true, bosTokenId: 1, maxTokens: 512, truncated: false, tau: 0.3, includeFirstQuery: false,
      entropy: { alpha: 1, excludeBos: false, center: false, rowNormalize: false }, ablate: null, ablateTarget: 'mlp',
      massiveTopK: 5, logitLensTopK: 1, threads: 0, notes: [],
    },
    baseline: {
      layers: [layer(0, null), ...opts.mass.map((m, i) => layer(i + 1, m))],
      phases: { valley: false, informative: true, cause: null, causeLabel: null, bands: [], minLayer: 0, minEntropy: 0, maxEntropy: 1, threshold: 0.25, widenedBy: [], signals: [] },
      spikeBlocks: [],
      recurringDims: [],
      lastTopK: [],
      chanceSinkScore: 0.1,
      informative: true,
      mixingQueries: T - 1,
      spikeWriter: null,
    },
    ablation: null,
    summary: { tokens: T, maxSinkRate: 0.5, meanSinkMass: 0.5, valley: null, spikeBlocks: [], maxBosRatio: 1, chanceSinkScore: 0.1, informative: true, valleyCause: null, spikeWriter: null, ...opts.summary },
    warnings: [],
    timings: { loadMs: 1, tokenizeMs: 1, runMs: 1, metricsMs: 1, totalMs: 4 },
  };
}
