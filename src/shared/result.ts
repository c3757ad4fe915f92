/**
 * The analysis result schema: what the engine returns, the CLI writes as JSON and the panel renders.
 * Pure data (JSON-serialisable: no typed arrays, no Maps), versioned by `schemaVersion`.
 *
 * Index conventions (see shared docs/metrics.md and docs/ARCHITECTURE.md):
 * - "layer" l indexes hidden states h[0..L]: h[0] = embedding output, h[l] = residual stream after
 *   block l (1-based count of blocks), before the final norm. L+1 entries.
 * - "block" b is the 0-based index of a transformer block; block b reads h[b] and writes h[b+1].
 *   Attention statistics of block b are reported on layer b+1 (layer 0 has none).
 * - Ablation and spike lists are block indices ("block index 1 -> h[2]").
 */

import type { ModelInfo } from './modelInfo';
import type { Phases, ValleyCause } from './phases';

// The model's description (modelInfo.ts) and the depth phases (phases.ts) are part of the schema: their users import them from here.
export type { ModelInfo, PrecisionInfo, WeightFileInfo, WeightPrecision, WeightsMode } from './modelInfo';
export type { PhaseBand, PhaseName, Phases, PhaseStrength, ValleyCause } from './phases';

/** 2: bounds paired with the raw layer's measurements, chance levels, phase evidence, measured mixing, BOS writers. */
export const RESULT_SCHEMA_VERSION = 2;

export type PrependBos = 'auto' | 'always' | 'never';

export interface TokenInfo {
  /** Position in the analysed sequence (0 = BOS when prepended). */
  index: number;
  id: number;
  /** Readable text of the token (decoded piece; special tokens as their literal, e.g. `<s>`). */
  text: string;
  /** UTF-16 offsets [start, end) into `AnalysisResult.input.text`; start === end for tokens not in the text (BOS). */
  start: number;
  end: number;
  special: boolean;
  /** True for tokens of the chat template around the text (chat-template mode only; start === end). */
  template?: boolean;
}

export interface EntropyOptions {
  /** Rényi order; 1 = Shannon (default). */
  alpha: number;
  excludeBos: boolean;
  center: boolean;
  rowNormalize: boolean;
}

/** How the prompt is wrapped: as is, or as the model's chat template of one user / system message. */
export type ChatTemplateMode = 'none' | 'user' | 'system';

/** What an intervention does to a write at its position: zero it, replace it by its mean over the other positions, or scale it. */
export type InterventionOp = 'zero' | 'mean' | 'scale';

/**
 * An intervention on the attention or MLP write (the block's output before the residual add) at one
 * position of the chosen blocks. `factor` is k of 'scale' (absent otherwise).
 */
export interface WriteIntervention {
  target: 'mlp' | 'attn';
  blocks: number[];
  /** 'bos' = position 0 (the BOS token when one was prepended), else a token index. */
  position: 'bos' | number;
  op: InterventionOp;
  factor?: number;
}

/** One query head's output (before o_proj) zeroed at every position of one block. */
export interface HeadIntervention {
  target: 'head';
  block: number;
  head: number;
  op: 'zero';
}

export type Intervention = WriteIntervention | HeadIntervention;

/** The next-token loss of one run: entry t is -log p(token t+1 | tokens 0..t), t = 0..T-2 (natural log). */
export interface TokenLoss {
  perPosition: number[];
  /** Mean over the T-1 positions; null for a one-token prompt. */
  mean: number | null;
}

/** The loss before and after an intervention, per predicted position (t predicts token t+1). */
export interface LossChange {
  before: number[];
  after: number[];
  /** after - before, per position. */
  delta: number[];
  meanBefore: number | null;
  meanAfter: number | null;
  meanDelta: number | null;
  /** The positions t with the largest |delta| (at most 5), largest first. */
  mostAffected: { position: number; delta: number }[];
}

/** The last position's top-k before and after an intervention. */
export interface TopKChange {
  before: TopToken[];
  after: TopToken[];
  /** Whether the most likely next token changed. */
  top1Changed: boolean;
  /** Ids in the top-k after but not before, and before but not after. */
  entered: number[];
  left: number[];
}

export interface AnalysisSettings {
  prependBos: PrependBos;
  /** The chat template the prompt was rendered with ('none' = the bare prompt). */
  chatTemplate: ChatTemplateMode;
  /** Whether a BOS token was actually put at position 0 (by the tokenizer or by us). */
  bosPrepended: boolean;
  bosTokenId: number | null;
  maxTokens: number;
  truncated: boolean;
  tau: number;
  includeFirstQuery: boolean;
  entropy: EntropyOptions;
  /** Block indices whose MLP (or attention) write at position 0 was zeroed in the ablation run; null = no ablation. */
  ablate: number[] | null;
  /** The component zeroed in the ablation run (resolved: with `auto`, the component that writes the spike). */
  ablateTarget: 'mlp' | 'attn';
  massiveTopK: number;
  logitLensTopK: number;
  threads: number;
  /**
   * Every non-obvious choice in force, in words, one line each (r rule, valley rule, first query,
   * BOS policy, truncation, short-prompt rule, chance level, mixing sample, the entropy variant...).
   */
  notes: string[];
}

export interface MassiveActivation {
  token: number;
  dim: number;
  value: number;
}

export interface MassiveSummary {
  /** Top-k scalars of |h[l]| by magnitude. */
  top: MassiveActivation[];
  maxAbs: number;
  medianAbs: number;
  /** maxAbs / medianAbs. */
  relative: number;
  /** Scalars passing the Sun et al. test (|v| > 100 and > 1000 x median). */
  absoluteCount: number;
  /** Scalars passing only the relative test (> 1000 x median). */
  relativeCount: number;
}

export interface LogitLensLayer {
  /** Top-1 token id per position. */
  top1: number[];
  /** Top-1 decoded text per position. */
  top1Text: string[];
  /** Mean next-token cross-entropy (nats) over positions 0..T-2. */
  crossEntropy: number;
}

/** What block b (= layer - 1) wrote at BOS, measured in the graph after any ablation. */
export interface BosWrite {
  /** ||attention write at position 0||. */
  attnNorm: number;
  /** ||MLP write at position 0||. */
  mlpNorm: number;
  /** Shares of the BOS change h[b+1][0] - h[b][0] = a + m: <a, a+m>/||a+m||^2 and <m, a+m>/||a+m||^2 (sum 1). */
  attnShare: number;
  mlpShare: number;
  /** ||h[b+1][0]|| - ||h[b][0]||. */
  normChange: number;
}

/** Measured mixing of one block (metrics.md "Mixing"). */
export interface MixingHeads {
  /** Per query head: mean over queries i >= 1 of the attention-row entropy / log(i+1). */
  rowEntropy: number[];
  /** Per query head: mean over queries i >= 1 of the attention mass on keys other than BOS and i. */
  otherMass: number[];
}

export interface LayerMetrics {
  layer: number;
  /** ||h[l][t]||_2 per token. */
  norms: number[];
  bosNorm: number;
  medianOtherNorm: number;
  bosRatio: number;
  /**
   * Normalised matrix entropy H / log(min(T, d)) with the settings' options (the variant; see `bounded`); null when
   * h[l] holds NaN/Inf (a warning names the layer).
   */
  entropy: number | null;
  /** Unnormalised entropy (nats); null as entropy. */
  entropyRaw: number | null;
  /**
   * Normalised Shannon entropy with BOS excluded (always computed: it shows whether a valley is the BOS
   * effect), on the main curve's scale: divided by log(min(T, d)), not by log(min(T-1, d)); null as entropy.
   */
  entropyExclBos: number | null;
  /** p1 = sigma_1^2 / ||X||_F^2 with the settings' options (the variant); null as entropy. */
  anisotropy: number | null;
  /**
   * The measured side of the theorem: p1 and normalised Shannon H of the raw layer (BOS included,
   * uncentred), the matrix the bounds are about. Equal to anisotropy/entropy under the default options;
   * a bound is only ever shown beside these. Null as entropy.
   */
  bounded: { anisotropy: number | null; entropy: number | null };
  /** The theorem's lower bound on p1: (c + a) / (c + 1). */
  anisotropyLowerBound: number;
  /** The theorem's upper bound on normalised H_1; null where it does not apply (p < 1/r). */
  entropyUpperBound: number | null;
  /** M = ||h0||^2, R = sum of other squared norms, c = M/R, a = weighted cos^2. */
  bound: { M: number; R: number; c: number; a: number; r: number };
  massive: MassiveSummary;
  /** Per query head sink score s[l][k] of the block writing this layer; null for layer 0. */
  headSinkScores: number[] | null;
  sinkRate: number | null;
  /** Heads whose sink score is within a factor 2 of the chance level u(T) (RunMetrics.chanceSinkScore); null for layer 0. */
  headsAtChance: number[] | null;
  /** Per-token sink mass mean_k A[i][0] (length T); null for layer 0. */
  tokenSinkMass: number[] | null;
  /** Mean over heads of the normalised attention-row entropy (MixingHeads.rowEntropy); null for layer 0 or T < 2. */
  mixing: number | null;
  /** Mean over heads of the attention mass on keys other than BOS and self; null for layer 0 or T < 2. */
  otherMass: number | null;
  /** Per-head mixing of the block writing this layer; null for layer 0 or T < 2. */
  mixingHeads: MixingHeads | null;
  /** What the block writing this layer wrote at BOS; null for layer 0. */
  bosWrite: BosWrite | null;
  logitLens: LogitLensLayer | null;
  // Learned sinks (gpt-oss)
  /**
   * Per query head of the block writing this layer: the mean over queries i >= 1 of the attention its
   * learned sink logit absorbs (docs/METRICS.md "Learned-sink share"). Absent or null for families
   * without learned sinks and for layer 0.
   */
  learnedSinkHeads?: number[] | null;
  /** Mean of learnedSinkHeads over heads; absent or null as learnedSinkHeads. */
  learnedSinkShare?: number | null;
}

export interface TopToken {
  id: number;
  text: string;
  logit: number;
  prob: number;
}

export interface RunMetrics {
  layers: LayerMetrics[];
  phases: Phases;
  /** Block indices where bosRatio first jumps by more than 3x (h[b] -> h[b+1]). */
  spikeBlocks: number[];
  /**
   * Dimensions that recur (>= 2 layers) among the top scalars that pass a massive test: the relative one
   * (> 1000 x median |h|) at least, 'absolute' when one also passes > 100. Ranked by magnitude.
   */
  recurringDims: { dim: number; layers: number[]; maxAbs: number; test: 'absolute' | 'relative' }[];
  /** The sink score of a uniformly attending causal head at this T: mean over the scored queries of 1/(i+1). */
  chanceSinkScore: number;
  /** False below MIN_INFORMATIVE_TOKENS: sink rates and phases are then not informative. */
  informative: boolean;
  /** How many queries per head the mixing reduces (T - 1, or an evenly spaced sample of 128). */
  mixingQueries: number;
  /** The block and component that write the spike (the first spike block), or null without a spike. */
  spikeWriter: { block: number; component: 'attn' | 'mlp'; share: number } | null;
  /** Top-k next-token predictions at the last position. */
  lastTopK: TopToken[];
  /** The final layer's next-token loss over the prompt; absent or null when not computed. */
  tokenLoss?: TokenLoss | null;
}

export interface AblationResult {
  /** Every block the compared run intervened on. */
  blocks: number[];
  /** The component of the first write intervention ('attn' when only heads were switched off). */
  target: 'mlp' | 'attn';
  /** What the compared run changed, as applied (`ablate` is zero at BOS); absent in results saved before interventions. */
  interventions?: Intervention[];
  /** The next-token loss before and after; absent or null when the loss was not computed. */
  loss?: LossChange | null;
  /** The last position's top-k before and after; absent in results saved before interventions. */
  topK?: TopKChange;
  run: RunMetrics;
  /** Per layer: ablated minus baseline for the headline metrics. */
  delta: { layer: number; bosRatio: number; entropy: number | null; sinkRate: number | null }[];
  /** Whether the spike, the sinks and the valley are still present after ablation. */
  effect: { spikeRemoved: boolean; valleyRemoved: boolean; sinkRateBefore: number; sinkRateAfter: number };
}

/** One layer's metrics that need only the forward pass (no spectrum). */
export type ForwardLayerMetrics = Pick<
  LayerMetrics,
  'layer' | 'norms' | 'bosNorm' | 'medianOtherNorm' | 'bosRatio' | 'headSinkScores' | 'sinkRate' | 'tokenSinkMass'
>;

/** One layer's spectral metrics (the slow part of a run: a Gram eigendecomposition per layer). */
export type SpectralLayerMetrics = Pick<
  LayerMetrics,
  'layer' | 'entropy' | 'entropyRaw' | 'entropyExclBos' | 'anisotropy' | 'anisotropyLowerBound' | 'entropyUpperBound'
>;

/**
 * The baseline forward's metrics, delivered (as `Progress.partial`) as soon as the forward pass is
 * done and before any spectrum: enough to paint the token strip, the BOS-ratio and sink-rate curves.
 * The final AnalysisResult carries the same values (they are computed from the same tensors).
 */
export interface PartialResult {
  schemaVersion: typeof RESULT_SCHEMA_VERSION;
  input: { sha256: string };
  tokens: TokenInfo[];
  model: ModelInfo;
  layers: ForwardLayerMetrics[];
  spikeBlocks: number[];
  runMs: number;
}

export interface Warning {
  /** shortPrompt: T below the informative minimum (sink rates and phases not informative); nonFinite: NaN/Inf in a layer. */
  code: 'truncated' | 'noBos' | 'boundViolated' | 'shortPrompt' | 'nonFinite' | 'other';
  message: string;
}

export interface Timings {
  loadMs: number;
  tokenizeMs: number;
  runMs: number;
  metricsMs: number;
  totalMs: number;
}

/** One line that summarises a run (code lens, status, CLI). */
export interface ResultSummary {
  tokens: number;
  maxSinkRate: number;
  meanSinkMass: number;
  /** Compress band over h indices, or null for no valley. */
  valley: { start: number; end: number } | null;
  spikeBlocks: number[];
  maxBosRatio: number;
  /** The sink score a uniform causal head gets at this T (RunMetrics.chanceSinkScore). */
  chanceSinkScore: number;
  /** False for short prompts: the code lens and panel say sink rates and phases are not informative. */
  informative: boolean;
  /** Cause of the valley when there is one. */
  valleyCause: ValleyCause | null;
  /** Who writes the spike (RunMetrics.spikeWriter). */
  spikeWriter: RunMetrics['spikeWriter'];
}

export interface AnalysisResult {
  schemaVersion: typeof RESULT_SCHEMA_VERSION;
  createdAt: string;
  input: { text: string; sha256: string };
  tokens: TokenInfo[];
  model: ModelInfo;
  settings: AnalysisSettings;
  baseline: RunMetrics;
  ablation: AblationResult | null;
  summary: ResultSummary;
  warnings: Warning[];
  timings: Timings;
}

/** The T x T attention of one (block, head), fetched on demand; rows are queries, columns keys. */
export interface AttentionMap {
  block: number;
  head: number;
  tokens: number;
  /** Row-major T x T probabilities (JSON array; the panel protocol may ship it as a Float32Array). */
  data: number[];
}
