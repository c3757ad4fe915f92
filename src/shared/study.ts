/**
 * The study schema: a prompt set run on one or more models, aggregated per layer (and on relative
 * depth l/L, so models of different depths share one axis). What `sinklens study --json` writes, what
 * `sinklens report` renders, and what a study view consumes. Pure JSON data, versioned.
 *
 * Layer indices follow result.ts: h[0..L], L+1 entries; sink rate is null at h[0] (no attention writes it).
 */
import type { ChatTemplateMode, PrependBos, ResultSummary } from './result';

export const STUDY_SCHEMA_VERSION = 1;
export const PREVIEW_CHARS = 400;

/** One prompt of a prompt set, after reading (messages already rendered to text). */
export interface StudyPrompt {
  /** 0-based position in the set. */
  index: number;
  /** The line's `id`, the file name, or `p<index+1>`. */
  id: string;
  /** Where it came from: `set.jsonl:7`, `prompts.txt:3`, `dir/a.prompt`. */
  source: string;
  text: string;
  /** True when the prompt came as chat `messages` (rendered as documented in study/prompts.ts). */
  fromMessages: boolean;
}

/** Mean and interquartile band of one metric at one layer over the prompts that have a value there. */
export interface Stat {
  mean: number | null;
  /** 25th and 75th percentile (linear interpolation between order statistics, numpy's default). */
  q1: number | null;
  median: number | null;
  q3: number | null;
  /** Number of prompts with a value. */
  n: number;
}

/** The per-layer curves of one prompt on one model: what the study keeps from an AnalysisResult. */
export interface PromptCurves {
  /** Normalised matrix entropy per layer (null on a layer with non-finite values). */
  entropy: (number | null)[];
  entropyExclBos: (number | null)[];
  sinkRate: (number | null)[];
  /** log10 of the BOS token's hidden-state norm ||h[l][0]||. */
  bosNormLog10: number[];
  bosRatio: number[];
}

/** One prompt's outcome on one model (what the journal stores, the JSON lists, the CSV tables hold). */
export interface PromptRecord {
  index: number;
  id: string;
  source: string;
  textSha256: string;
  tokens: number;
  truncated: boolean;
  curves: PromptCurves;
  summary: ResultSummary;
  /** Depth of the entropy dip, min(max before, max after) - min (phases.ts's test); 0 without a valley. */
  valleyDepth: number;
  /** Layer of the entropy minimum (h index) and the Compress band; null without a valley. */
  valleyLayer: number | null;
  /** Phase per layer ('mix' | 'compress' | 'refine'), or null everywhere without a valley. */
  phases: (string | null)[];
  /** Per-token table: text, offsets into the prompt, mean sink mass over layers h[1..L]. */
  tokenTable: { text: string; start: number; end: number; special: boolean; sinkMass: number | null }[];
  /** Per-head sink scores of every block: [block][head] (block b writes h[b+1]). */
  headSinkScores: number[][];
  warnings: string[];
  ms: number;
}

export interface LayerAggregate {
  layer: number;
  /** l / L. */
  relDepth: number;
  entropy: Stat;
  entropyExclBos: Stat;
  sinkRate: Stat;
  bosNormLog10: Stat;
  bosRatio: Stat;
  /** Fraction of the prompts in which this layer is in the Compress phase. */
  compressRate: number;
}

export interface ValleyStats {
  prompts: number;
  withValley: number;
  /** withValley / prompts. */
  rate: number;
  /** How many prompts have their valley minimum at each layer (index = h index). */
  minLayerCounts: number[];
  /** Relative depth of the valley minimum, over prompts with a valley. */
  relDepth: Stat;
  /** Valley depth over prompts with a valley. */
  depth: Stat;
  /** How many prompts have a BOS-norm spike at each block (index = block). */
  spikeBlockCounts: number[];
  withSpike: number;
}

/** A prompt the engine could not analyse on a model: left out of the aggregates, not journaled (a rerun retries it). */
export interface PromptFailure {
  index: number;
  id: string;
  source: string;
  /** SinkLensError code ('badTokenizer', 'internal', ...). */
  code: string;
  message: string;
}

export interface StudyModel {
  name: string;
  dir: string;
  arch: string;
  layers: number;
  heads: number;
  dtype: string;
  /** sha256 of every weight file, from ModelInfo. */
  weights: { name: string; sha256: string }[];
  tokenizerSha256: string | null;
  perLayer: LayerAggregate[];
  valley: ValleyStats;
  prompts: PromptRecord[];
  failures: PromptFailure[];
}

/** The per-layer means and bands of every model, linearly interpolated onto one relative-depth grid. */
export interface RelativeDepthCurves {
  /** Grid points in [0, 1]: (max L over the models) + 1 evenly spaced points. */
  grid: number[];
  models: { name: string; entropy: Stat[]; sinkRate: Stat[]; bosNormLog10: Stat[] }[];
}

export interface StudySettings {
  prependBos: PrependBos;
  chatTemplate: ChatTemplateMode;
  maxTokens: number | 'auto';
  tau: number;
  entropy: { alpha: number; excludeBos: boolean; center: boolean; rowNormalize: boolean };
  includeFirstQuery: boolean;
}

export interface Provenance {
  sinklensVersion: string;
  createdAt: string;
  /** The prompt set's path as given and the sha256 of all its texts (in order). */
  promptSet: { path: string; prompts: number; sha256: string };
  models: { name: string; dir: string; weights: { name: string; sha256: string }[]; tokenizer: { file: string; sha256: string } | null }[];
  settings: StudySettings;
  host: { node: string; platform: string };
}

export interface StudyResult {
  kind: 'sinklens-study';
  schemaVersion: typeof STUDY_SCHEMA_VERSION;
  /** False when the study was cancelled: the aggregates cover the prompts done so far. */
  complete: boolean;
  provenance: Provenance;
  /**
   * The prompt set; `preview` is the first PREVIEW_CHARS characters of the text, `text` the whole text (so that a
   * study view can open one prompt's analysis; absent in JSON written before it was added).
   */
  prompts: { index: number; id: string; source: string; chars: number; sha256: string; preview: string; text?: string }[];
  models: StudyModel[];
  relativeDepth: RelativeDepthCurves;
}

/** A study's progress report (the CLI prints it; the engine process forwards it to the extension). */
export interface StudyProgress {
  model: string;
  modelIndex: number;
  models: number;
  /** Prompts of this model finished (journaled ones included). */
  done: number;
  total: number;
  /** Prompts of this model taken from the journal. */
  resumed: number;
  /** The prompt just finished; undefined on the "starting model" report. */
  promptId?: string;
  /** Set when that prompt failed (it is left out and retried by a rerun). */
  failure?: PromptFailure;
  /** That prompt's record when it succeeded (a study view can show rows as they come). */
  record?: PromptRecord;
  msPerPrompt: number | null;
  /** Estimated time left for the whole study. */
  etaMs: number | null;
}
