/**
 * A small, internally consistent AnalysisResult for the panel tests. Values follow simple closed
 * forms (so tests can compute expectations independently), not a model run: the panel renders
 * whatever the engine computed, and these tests check the rendering and the view-model arithmetic.
 */
import type { AnalysisResult, LayerMetrics, PhaseBand, RunMetrics, TokenInfo } from '../../../../src/shared/result';

export interface SampleOptions {
  texts?: string[];
  layers?: number; // blocks L (layers h[0..L])
  heads?: number;
  ablation?: boolean;
  /** Give every baseline layer a logit lens (see sampleLens). */
  lens?: boolean;
  /**
   * The next-token loss (see sampleLoss) on the baseline and, with `ablation`, the intervention's loss and
   * top-k change: the compared run zeroes block 1's MLP write at BOS and switches head 2 of block 3 off.
   */
  loss?: boolean;
}

/** The sample loss at predicted position t: 2 + t/4 before; after the intervention + 1.5 at t = 0, + 0.1 elsewhere. */
export function sampleLoss(t: number, after = false): number {
  return 2 + t / 4 + (after ? (t === 0 ? 1.5 : 0.1) : 0);
}

/**
 * The sample logit lens of layer l: position i predicts the actual next token from layer i + 1 on
 * (so position i locks in at layer i + 1), before that the token 500 + l spelled `w${l}`; mean CE 5 / (l + 1).
 */
export function sampleLens(l: number, tokens: readonly TokenInfo[]): NonNullable<LayerMetrics['logitLens']> {
  const picks = tokens.map((_, i) => {
    const next = tokens[i + 1];
    return next && l >= i + 1 ? { id: next.id, text: next.text } : { id: 500 + l, text: `w${l}` };
  });
  return { top1: picks.map((p) => p.id), top1Text: picks.map((p) => p.text), crossEntropy: 5 / (l + 1) };
}

/** Sink mass of token t (>0) on layer l (1..L): grows with l, falls with t. */
export function sampleSinkMass(l: number, t: number): number {
  return t === 0 ? 1 : Math.min(1, (0.1 * l) / (1 + 0.25 * t));
}

/** Sink score of head k on layer l. */
export function sampleHeadScore(l: number, k: number): number {
  return ((l * 7 + k * 3) % 10) / 10;
}

function tokensOf(texts: string[]): TokenInfo[] {
  const out: TokenInfo[] = [{ index: 0, id: 1, text: '<s>', start: 0, end: 0, special: true }];
  let pos = 0;
  texts.forEach((text, i) => {
    out.push({ index: i + 1, id: 100 + i, text, start: pos, end: pos + text.length, special: false });
    pos += text.length;
  });
  return out;
}

function layer(l: number, T: number, H: number, scale: number): LayerMetrics {
  const norms = Array.from({ length: T }, (_, t) => (t === 0 ? 2 + 40 * scale * Math.exp(-((l - 2) ** 2)) : 1 + 0.1 * t));
  const attn = l > 0;
  return {
    layer: l,
    norms,
    bosNorm: norms[0] as number,
    medianOtherNorm: 1.2,
    bosRatio: (norms[0] as number) / 1.2,
    entropy: 0.8 - 0.3 * scale * Math.exp(-((l - 2) ** 2)),
    entropyRaw: 1,
    entropyExclBos: 0.78,
    anisotropy: 0.1,
    bounded: { anisotropy: 0.1, entropy: 0.8 - 0.3 * scale * Math.exp(-((l - 2) ** 2)) },
    anisotropyLowerBound: 0.05,
    entropyUpperBound: l === 0 ? null : 0.9,
    bound: { M: 1, R: 1, c: 1, a: 0.1, r: 4 },
    massive: { top: [{ token: 0, dim: 16, value: 120 * scale + l }, { token: 3 % T, dim: 5, value: -4 }], maxAbs: 120, medianAbs: 0.1, relative: 1200, absoluteCount: l === 2 ? 1 : 0, relativeCount: 1 },
    headSinkScores: attn ? Array.from({ length: H }, (_, k) => sampleHeadScore(l, k)) : null,
    sinkRate: attn ? 0.1 * l : null,
    headsAtChance: attn ? [] : null,
    tokenSinkMass: attn ? Array.from({ length: T }, (_, t) => sampleSinkMass(l, t)) : null,
    mixing: attn ? 0.6 : null,
    otherMass: attn ? 0.3 : null,
    mixingHeads: attn ? { rowEntropy: Array.from({ length: H }, () => 0.6), otherMass: Array.from({ length: H }, () => 0.3) } : null,
    bosWrite: attn ? { attnNorm: 1, mlpNorm: l === 2 ? 40 : 1, attnShare: 0.1, mlpShare: 0.9, normChange: l === 2 ? 38 : 0 } : null,
    logitLens: null,
  };
}

function band(phase: PhaseBand['phase'], start: number, end: number): PhaseBand {
  return { phase, start, end, evidence: [`${phase} evidence`], strength: { valleyDepth: phase === 'compress' ? 0.3 : null, bosRatio: 30, sinkRate: 0.5, mixing: 0.6 } };
}

function run(T: number, L: number, H: number, scale: number): RunMetrics {
  return {
    layers: Array.from({ length: L + 1 }, (_, l) => layer(l, T, H, scale)),
    phases: {
      valley: scale > 0,
      informative: true,
      cause: scale > 0 ? 'bos' : null,
      causeLabel: scale > 0 ? 'BOS spike' : null,
      bands: scale > 0 ? [band('mix', 0, 1), band('compress', 2, 3), band('refine', 4, L)] : [],
      minLayer: 2,
      minEntropy: 0.5,
      maxEntropy: 0.8,
      threshold: 0.575,
      widenedBy: [],
      signals: ['entropy minimum at L2'],
    },
    spikeBlocks: scale > 0 ? [1] : [],
    recurringDims: [{ dim: 16, layers: [2, 3, 4], maxAbs: 122, test: 'absolute' }],
    lastTopK: [{ id: 5, text: ' the', logit: 3, prob: 0.4 }],
    chanceSinkScore: 0.3,
    informative: true,
    mixingQueries: T - 1,
    spikeWriter: scale > 0 ? { block: 1, component: 'mlp', share: 0.9 } : null,
  };
}

export function sampleResult(o: SampleOptions = {}): AnalysisResult {
  const texts = o.texts ?? ['Once', ' upon', ' a', ' time', '\n'];
  const L = o.layers ?? 6;
  const H = o.heads ?? 4;
  const tokens = tokensOf(texts);
  const T = tokens.length;
  const baseline = run(T, L, H, 1);
  if (o.lens) for (const layer of baseline.layers) layer.logitLens = sampleLens(layer.layer, tokens);
  const ablated = run(T, L, H, 0);
  if (o.loss) {
    const lossOf = (after: boolean) => {
      const perPosition = Array.from({ length: T - 1 }, (_, t) => sampleLoss(t, after));
      return { perPosition, mean: perPosition.reduce((s, v) => s + v, 0) / perPosition.length };
    };
    baseline.tokenLoss = lossOf(false);
    ablated.tokenLoss = lossOf(true);
    ablated.lastTopK = [{ id: 9, text: ' a', logit: 2, prob: 0.3 }];
  }
  const change = (): Pick<NonNullable<AnalysisResult['ablation']>, 'interventions' | 'loss' | 'topK'> => {
    const b = baseline.tokenLoss!;
    const a = ablated.tokenLoss!;
    const delta = a.perPosition.map((v, t) => v - (b.perPosition[t] as number));
    return {
      interventions: [
        { target: 'mlp', blocks: [1], position: 'bos', op: 'zero' },
        { target: 'head', block: 3, head: 2, op: 'zero' },
      ],
      loss: { before: b.perPosition, after: a.perPosition, delta, meanBefore: b.mean, meanAfter: a.mean, meanDelta: (a.mean as number) - (b.mean as number), mostAffected: [{ position: 0, delta: 1.5 }] },
      topK: { before: baseline.lastTopK, after: ablated.lastTopK, top1Changed: true, entered: [9], left: [5] },
    };
  };
  return {
    schemaVersion: 2,
    createdAt: '2026-01-01T00:00:00.000Z',
    input: { text: texts.join(''), sha256: '0'.repeat(64) },
    tokens,
    model: { name: 'sample-model', dir: '/models/sample', arch: 'llama', modelType: 'llama', layers: L, heads: H, kvHeads: H, hiddenSize: 128, headDim: 16, vocabSize: 512, maxPositions: 256, dtype: 'F32', params: 1_120_000, bosTokenId: 1, files: [] },
    settings: {
      prependBos: 'auto',
      chatTemplate: 'none',
      bosPrepended: true,
      bosTokenId: 1,
      maxTokens: 512,
      truncated: false,
      tau: 0.3,
      includeFirstQuery: false,
      entropy: { alpha: 1, excludeBos: false, center: false, rowNormalize: false },
      // An intervention run (loss) was asked through interventions, not ablate.
      ablate: o.ablation && !o.loss ? [1] : null,
      ablateTarget: 'mlp',
      massiveTopK: 5,
      logitLensTopK: 1,
      threads: 0,
      notes: [],
    },
    baseline,
    ablation: o.ablation
      ? { blocks: [1], target: 'mlp', run: ablated, delta: [], effect: { spikeRemoved: true, valleyRemoved: true, sinkRateBefore: 0.6, sinkRateAfter: 0.9 }, ...(o.loss ? change() : {}) }
      : null,
    summary: { tokens: T, maxSinkRate: 0.1 * L, meanSinkMass: 0.2, valley: { start: 2, end: 3 }, spikeBlocks: [1], maxBosRatio: 35, chanceSinkScore: 0.3, informative: true, valleyCause: 'bos', spikeWriter: { block: 1, component: 'mlp', share: 0.9 } },
    warnings: [{ code: 'shortPrompt', message: 'The prompt is short: metrics are noisy.' }],
    timings: { loadMs: 100, tokenizeMs: 1, runMs: 50, metricsMs: 5, totalMs: 156 },
  };
}
